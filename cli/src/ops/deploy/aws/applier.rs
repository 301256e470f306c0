//! Executes one step of an aws deploy plan. IDs of resources this run
//! creates are bound as they appear, so later steps that name them as
//! `Pending` IDs reach the real ones.

use std::collections::BTreeMap;
use std::time::Duration;

use backon::{ConstantBuilder, Retryable};

use crate::aws::api::DeployApi;
use crate::aws::autoscaling::GroupSpec;
use crate::aws::ec2::RuleSource;
use crate::aws::elb::{self, ListenerAction, LoadBalancer};
use crate::aws::elb_rules::Route;
use crate::aws::launch_template::TemplateData;
use crate::aws::{AwsError, AwsErrorKind};
use crate::fleet::plan::Step;
use crate::fleet::target::{tcp_rules, Pending};
use crate::fleet::FleetError;
use crate::naming::fleet::FleetNames;
use crate::naming::TAG_NAME;
use crate::progress::Progress;

/// Seconds a new instance gets to boot, pull and start before health
/// checks count (Docker install and image pull on AL2023).
const HEALTH_CHECK_GRACE_SECONDS: i32 = 300;
/// IAM is eventually consistent: a just-created instance profile can be
/// refused by Auto Scaling for a few seconds.
const IAM_PROPAGATION_ATTEMPTS: usize = 10;
const IAM_PROPAGATION_PAUSE: Duration = Duration::from_secs(6);

/// What a role's steps produced: the template version it runs and the
/// instance refresh to follow.
#[derive(Debug, Default)]
pub(super) struct RoleOutcome {
    pub(super) template: Option<(String, i64)>,
    pub(super) refresh_id: Option<String>,
}

/// Generic over the AWS calls, so unit tests run plans against a fake.
pub(super) struct Applier<'a, A> {
    pub(super) aws: &'a A,
    pub(super) progress: &'a dyn Progress,
    pub(super) names: FleetNames,
    pub(super) tags: BTreeMap<String, String>,
    /// `Pending` ID → the ID the resource got.
    pub(super) bound: BTreeMap<String, String>,
    pub(super) load_balancer: Option<LoadBalancer>,
}

impl<A: DeployApi> Applier<'_, A> {
    fn resolve(&self, id: &str) -> String {
        self.bound.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    fn bind(&mut self, pending: Pending, name: &str, id: String) {
        self.bound.insert(pending.id(name), id);
    }

    fn tags_named(&self, name: &str) -> BTreeMap<String, String> {
        let mut tags = self.tags.clone();
        tags.insert(TAG_NAME.into(), name.to_string());
        tags
    }

    fn bound_data(&self, data: &TemplateData) -> TemplateData {
        let mut security_group_ids: Vec<String> = data.security_group_ids.iter().map(|id| self.resolve(id)).collect();
        security_group_ids.sort();
        TemplateData { security_group_ids, ..data.clone() }
    }

    fn bound_listener(&self, listener: &elb::Listener) -> elb::Listener {
        let action = match &listener.action {
            ListenerAction::Forward(arn) => ListenerAction::Forward(self.resolve(arn)),
            other => other.clone(),
        };
        elb::Listener { action, ..listener.clone() }
    }

    fn load_balancer(&self) -> Result<&LoadBalancer, FleetError> {
        self.load_balancer.as_ref().ok_or_else(|| FleetError::NotProvisioned {
            env: self.names.env().to_string(),
            what: format!("load balancer {}", self.names.load_balancer),
        })
    }

    /// Runs a resource's steps in order; the first failure stops the rest.
    pub(super) async fn run(&mut self, steps: &[Step], role: &mut RoleOutcome) -> Result<(), FleetError> {
        for step in steps {
            self.execute(step, role).await?;
        }
        Ok(())
    }

    pub(super) async fn execute(&mut self, step: &Step, role: &mut RoleOutcome) -> Result<(), FleetError> {
        let aws = self.aws;
        match step {
            Step::EnableScanOnPush { repository } => aws.enable_scan_on_push(repository).await?,
            Step::PutLifecyclePolicy { repository, policy } => aws.put_lifecycle_policy(repository, policy).await?,
            Step::CreateRole { name, trust_policy } => {
                let purpose = "forgectl: the services' EC2 instances";
                aws.create_role(name, trust_policy, purpose, &self.tags).await?;
                self.progress.info(format!("iam role {name}: created"));
            }
            Step::PutRolePolicy { role, name, policy } => {
                aws.put_role_policy(role, name, policy).await?;
                self.progress.info(format!("iam role policy {name}: ECR pull, {}*, logs", self.names.secrets_path));
            }
            Step::CreateInstanceProfile { name } => {
                aws.create_instance_profile(name, &self.tags).await?;
                self.progress.info(format!("instance profile {name}: created"));
            }
            Step::AddRoleToInstanceProfile { profile, role } => aws.add_role_to_instance_profile(profile, role).await?,
            Step::PutSecret { parameter, value, overwrite } => {
                aws.put_secret(parameter, value, *overwrite, &self.tags).await?;
                // The name only: the value never reaches a log.
                self.progress.info(format!("ssm parameter {parameter}: stored as SecureString"));
            }
            Step::CreateSecurityGroup { name, description, vpc_id } => {
                let id = aws.create_security_group(name, description, vpc_id, &self.tags_named(name)).await?;
                self.progress.info(format!("security group {name}: created ({id})"));
                self.bind(Pending::SecurityGroup, name, id);
            }
            Step::Authorize { group: (id, name), port, sources, description } => {
                let id = self.resolve(id);
                let sources: Vec<RuleSource> = sources
                    .iter()
                    .map(|source| match source {
                        RuleSource::Group(group) => RuleSource::Group(self.resolve(group)),
                        other => other.clone(),
                    })
                    .collect();
                aws.authorize_tcp((&id, name), *port, &sources, description).await?;
                let opened: Vec<String> = tcp_rules(*port, sources).iter().map(|rule| format!("+{rule}")).collect();
                self.progress.info(format!("security group {name}: {}", opened.join(", ")));
            }
            Step::Revoke { group: (id, name), rules } => {
                aws.revoke_ingress((&self.resolve(id), name), rules).await?;
                let closed: Vec<String> = rules.iter().map(|rule| format!("-{rule}")).collect();
                self.progress.info(format!("security group {name}: {}", closed.join(", ")));
            }
            Step::CreateTargetGroup { name, vpc_id, port, health_check_path } => {
                let group = aws.create_target_group(name, vpc_id, *port, health_check_path, &self.tags).await?;
                self.progress.info(format!("target group {name}: created, health check {health_check_path}"));
                self.bind(Pending::TargetGroup, name, group.arn);
            }
            Step::SetHealthCheckPath { target_group, path } => {
                aws.set_health_check_path(target_group, path).await?;
                self.progress.info(format!("target group {}: health check {path}", target_group.name));
            }
            Step::CreateLoadBalancer { name, scheme, subnets, security_group } => {
                let security_group = self.resolve(security_group);
                let lb = aws.create_load_balancer(name, scheme, subnets, &security_group, &self.tags).await?;
                self.progress.info(format!("load balancer {}: created ({})", lb.name, lb.dns_name));
                self.load_balancer = Some(lb);
            }
            Step::CreateListener(listener) => {
                let listener = self.bound_listener(listener);
                let lb = self.load_balancer()?;
                let arn = aws.create_listener(lb, &listener).await?;
                self.progress.info(format!("load balancer {}: listener +{listener}", lb.name));
                self.bind(Pending::Listener, &listener.port.to_string(), arn);
            }
            Step::ModifyListener { arn, listener } => {
                let listener = self.bound_listener(listener);
                aws.modify_listener(arn, &listener).await?;
                self.progress.info(format!("load balancer {}: listener ~{listener}", self.names.load_balancer));
            }
            Step::CreateRule { listener, route } => {
                let listener = self.resolve(listener);
                let route =
                    Route { forward_to: route.forward_to.as_deref().map(|arn| self.resolve(arn)), ..route.clone() };
                aws.create_rule(&listener, &route).await?;
                self.progress.info(format!("load balancer {}: route {route}", self.names.load_balancer));
            }
            Step::DeleteRule { arn } => {
                aws.delete_rule(arn).await?;
                self.progress.info(format!("load balancer {}: rule {arn} deleted", self.names.load_balancer));
            }
            Step::DeleteListener { arn } => {
                aws.delete_listener(arn).await?;
                self.progress.info(format!("load balancer {}: listener {arn} deleted", self.names.load_balancer));
            }
            Step::CreateLaunchTemplate { name, data, description } => {
                let data = self.bound_data(data);
                let template = aws.create_launch_template(name, &data, description, &self.tags).await?;
                self.progress.info(format!("launch template {name}: created, version 1 ({description})"));
                role.template = Some((template.id, 1));
            }
            Step::CreateTemplateVersion { template, data, description } => {
                let data = self.bound_data(data);
                let number = aws.create_template_version(template, &data, description).await?;
                self.progress.info(format!("launch template {}: version {number} ({description})", template.name));
                role.template = Some((template.id.clone(), number));
            }
            Step::UseTemplateVersion { template_id, number } => role.template = Some((template_id.clone(), *number)),
            Step::CreateGroup { name, min, max, desired, subnets, target_group } => {
                let (template_id, number) = self.template_of(name, role)?;
                let target_groups: Vec<String> = target_group.iter().map(|arn| self.resolve(arn)).collect();
                let tags = self.tags_named(name);
                let spec = GroupSpec {
                    name,
                    template_id: &template_id,
                    template_version: number,
                    min: *min,
                    max: *max,
                    desired: *desired,
                    subnet_ids: subnets,
                    target_group_arns: &target_groups,
                    elb_health_check: !target_groups.is_empty(),
                    health_check_grace_seconds: HEALTH_CHECK_GRACE_SECONDS,
                    tags: &tags,
                };
                self.create_group(&spec).await?;
                self.progress
                    .info(format!("auto scaling group {name}: created, {min}..{max} instances, {desired} now"));
            }
            Step::UpdateSize { name, from: (was_min, was_max), min, max, desired } => {
                aws.update_size(name, *min, *max, *desired).await?;
                self.progress.info(format!(
                    "auto scaling group {name}: {was_min}..{was_max} -> {min}..{max} instances, {desired} now"
                ));
            }
            Step::StartRefresh { group } => {
                let (template_id, number) = self.template_of(group, role)?;
                let refresh = super::rollout::REFRESH_PLAN;
                let id = aws.start_refresh(group, &template_id, number, refresh).await?;
                self.progress.info(format!("auto scaling group {group}: instance refresh {id} to version {number}"));
                role.refresh_id = Some(id);
            }
            Step::FollowRefresh { group, refresh_id } => {
                self.progress.info(format!("auto scaling group {group}: following instance refresh {refresh_id}"));
                role.refresh_id = Some(refresh_id.clone());
            }
            Step::PutCpuTarget { group, policy, target_percent } => {
                aws.put_cpu_target(group, policy, *target_percent).await?
            }
            Step::EnableGroupMetrics { group, metrics } => {
                aws.enable_group_metrics(group, metrics).await?;
                self.progress.info(format!("auto scaling group {group}: publishes {}", metrics.join(", ")));
            }
            Step::PutLagTarget { group, policy, tracking } => {
                aws.put_tracked_metric(group, policy, tracking).await?;
                self.progress.info(format!(
                    "auto scaling group {group}: scaling policy {policy}, lag per instance {}",
                    tracking.target
                ));
            }
        }
        Ok(())
    }

    /// The template version a role's earlier step settled on.
    pub(super) fn template_of(&self, group: &str, role: &RoleOutcome) -> Result<(String, i64), FleetError> {
        role.template.clone().ok_or_else(|| FleetError::NotProvisioned {
            env: self.names.env().to_string(),
            what: format!("launch template version for {group}"),
        })
    }

    /// A just-created instance profile may not be visible to Auto Scaling yet.
    async fn create_group(&self, spec: &GroupSpec<'_>) -> Result<(), FleetError> {
        let pauses =
            ConstantBuilder::default().with_delay(IAM_PROPAGATION_PAUSE).with_max_times(IAM_PROPAGATION_ATTEMPTS - 1);
        let create = || self.aws.create_group(spec);
        create
            .retry(pauses)
            .when(is_profile_not_ready)
            .notify(|_, _| {
                self.progress.info(format!(
                    "{}: the new instance profile is not visible to Auto Scaling yet; retrying",
                    spec.name
                ))
            })
            .await
            .map_err(Into::into)
    }
}

fn is_profile_not_ready(error: &AwsError) -> bool {
    error.is(AwsErrorKind::InvalidInput) && error.message.to_ascii_lowercase().contains("instance profile")
}

#[cfg(test)]
#[path = "applier_tests.rs"]
mod tests;
