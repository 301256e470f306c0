//! The producer's front door on AWS: the load balancer's and the
//! producers' security groups, the target group with its `/ready` health
//! check, the Application Load Balancer and its listener.

use crate::aws::ec2::{self, IngressRule, RuleSource, SecurityGroup};
use crate::aws::elb::{self, TargetGroup};
use crate::fleet::desired;
use crate::fleet::plan::{listener_changes, rule_changes, tcp_rules};
use crate::fleet::FleetError;
use crate::naming::TAG_NAME;
use crate::ops::deploy::aws::applier::Applier;
use crate::ops::deploy::aws::observe::READY_PATH;
use crate::ops::deploy::aws::plan::{certificate_arn, load_balancer_rules};

/// The producer's way in: the load balancer's DNS name and its target group.
pub(super) struct Front {
    pub(super) dns_name: String,
    pub(super) target_group: TargetGroup,
    pub(super) producer_sg: String,
}

impl Applier<'_> {
    /// The group as read, or a new one (with no rules yet).
    async fn security_group(&self, name: &str, description: &str) -> Result<SecurityGroup, FleetError> {
        if let Some(group) = self.fleet.security_groups.iter().find(|group| group.name == name) {
            return Ok(group.clone());
        }
        let mut tags = self.tags.clone();
        tags.insert(TAG_NAME.into(), name.to_string());
        let id = ec2::create_security_group(&self.clients.ec2, name, description, &self.fleet.vpc_id, &tags).await?;
        self.console.info(format!("security group {name}: created ({id})"));
        Ok(SecurityGroup { id, name: name.into(), vpc_id: self.fleet.vpc_id.clone(), tags, ingress: Vec::new() })
    }

    /// Opens what `desired` adds and closes what it no longer has.
    async fn reconcile_rules(
        &self,
        group: &SecurityGroup,
        desired: &[IngressRule],
        description: &str,
    ) -> Result<(), FleetError> {
        let changes = rule_changes(&group.ingress, desired);
        if changes.is_empty() {
            return Ok(());
        }
        // One call per port: every rule forgectl sets here is single-port TCP.
        let mut ports: Vec<i32> = changes.open.iter().filter_map(|rule| rule.from_port).collect();
        ports.dedup();
        for port in ports {
            let sources: Vec<RuleSource> = changes
                .open
                .iter()
                .filter(|rule| rule.from_port == Some(port))
                .map(|rule| rule.source.clone())
                .collect();
            let port = u16::try_from(port).unwrap_or_default();
            ec2::authorize_tcp(&self.clients.ec2, (&group.id, &group.name), port, &sources, description).await?;
        }
        if !changes.close.is_empty() {
            ec2::revoke_ingress(&self.clients.ec2, (&group.id, &group.name), &changes.close).await?;
        }
        self.console.info(format!("security group {}: {}", group.name, changes.describe()));
        Ok(())
    }

    pub(super) async fn load_balancer(&self) -> Result<Front, FleetError> {
        let names = &self.fleet.names;
        let environment = &self.options.environment;
        let lb_sg = self.security_group(&names.load_balancer_sg, "forgectl: the producer API's load balancer").await?;
        let lb_rules = load_balancer_rules(self.options);
        self.reconcile_rules(&lb_sg, &lb_rules, "producer API clients (forgectl)").await?;
        let producer_sg = self
            .security_group(&names.producer_sg, "forgectl: producer instances, reached from the load balancer")
            .await?;
        let producer_rules = tcp_rules(environment.producer_port, [RuleSource::Group(lb_sg.id.clone())]);
        self.reconcile_rules(&producer_sg, &producer_rules, "load balancer to producer (forgectl)").await?;
        let (lb_sg, producer_sg) = (lb_sg.id, producer_sg.id);
        let target_group = match &self.fleet.target_group {
            Some(group) if group.health_check_path == READY_PATH => group.clone(),
            Some(group) => {
                elb::set_health_check_path(&self.clients.elb, group, READY_PATH).await?;
                TargetGroup { health_check_path: READY_PATH.into(), ..group.clone() }
            }
            None => {
                let group = elb::create_target_group(
                    &self.clients.elb,
                    &names.target_group,
                    &self.fleet.vpc_id,
                    environment.producer_port,
                    READY_PATH,
                    &self.tags,
                )
                .await?;
                self.console.info(format!("target group {}: created, health check {READY_PATH}", group.name));
                group
            }
        };
        let load_balancer = match &self.fleet.load_balancer {
            Some(lb) => lb.clone(),
            None => {
                let subnets: Vec<String> = self.fleet.subnets.iter().map(|subnet| subnet.id.clone()).collect();
                let lb =
                    elb::create_load_balancer(&self.clients.elb, &names.load_balancer, &subnets, &lb_sg, &self.tags)
                        .await?;
                self.console.info(format!("load balancer {}: created ({})", lb.name, lb.dns_name));
                lb
            }
        };
        let desired = desired::listeners(certificate_arn(self.options), &target_group.arn);
        let changes = listener_changes(&self.fleet.listeners, &desired);
        for listener in &changes.create {
            elb::create_listener(&self.clients.elb, &load_balancer, listener).await?;
        }
        for (arn, listener) in &changes.modify {
            elb::modify_listener(&self.clients.elb, arn, listener).await?;
        }
        for listener in &changes.delete {
            elb::delete_listener(&self.clients.elb, &listener.arn).await?;
        }
        if !changes.is_empty() {
            self.console.info(format!("load balancer {}: listeners {}", load_balancer.name, changes.describe()));
        }
        Ok(Front { dns_name: load_balancer.dns_name, target_group, producer_sg })
    }
}
