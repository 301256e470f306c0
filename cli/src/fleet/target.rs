//! What a deploy asks for: the environment, the tier's ladder, the version
//! and the roles; and from it, with what `actual` read, each resource's
//! desired state (launch template data, inbound rules, listeners).

use forgectl_contract::endpoints::PRODUCER_METRICS_PORT;
use forgectl_contract::scaling;

use crate::aws::ec2::{IngressRule, RuleSource};
use crate::aws::launch_template::TemplateData;
use crate::config::Environment;
use crate::naming::{environment_tags, TAG_NAME};
use crate::profile::{Profile, RoleName};

use super::actual::Actual;
use super::desired::{self, BootContext};
use super::postgres_ca;
use super::FleetError;

/// The runbooks' scaling rule, as the float the Auto Scaling policy holds.
pub const CPU_TARGET_PERCENT: f64 = scaling::CPU_TARGET_PERCENT as f64;
/// Where new instances' health is checked by the target group.
pub use forgectl_contract::endpoints::READY_PATH;

/// The resources whose IDs later steps need before they exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    SecurityGroup,
    TargetGroup,
    /// A listener, named by its port.
    Listener,
}

impl Pending {
    /// Stands for the ID of the resource named `name` this deploy creates
    /// (a target group and a security group may share a name): the plan
    /// shows it, the applier binds it once the resource exists.
    pub fn id(self, name: &str) -> String {
        match self {
            Pending::SecurityGroup => format!("(new security group {name})"),
            Pending::TargetGroup => format!("(new target group {name})"),
            Pending::Listener => format!("(new listener :{name})"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub environment: &'a Environment,
    pub profile: &'a Profile,
    pub version: &'a str,
    /// Empty: every role of the tier.
    pub roles: &'a [RoleName],
    /// The port the consumers' containers publish (health and metrics).
    pub consumer_metrics_port: u16,
}

impl Target<'_> {
    pub fn selected_roles(&self) -> Vec<RoleName> {
        self.profile
            .roles
            .iter()
            .map(|spec| spec.name)
            .filter(|role| self.roles.is_empty() || self.roles.contains(role))
            .collect()
    }

    /// The producer's front door (load balancer and its groups) is part of this deploy.
    pub fn serves_producer(&self) -> bool {
        self.selected_roles().contains(&RoleName::Producer)
    }

    pub fn certificate_arn(&self) -> Option<&str> {
        self.environment.services.certificate_arn.as_deref()
    }

    /// The listeners' ports, open to the configured ranges.
    pub fn load_balancer_rules(&self) -> Vec<IngressRule> {
        let cidrs = &self.environment.services.load_balancer_cidrs;
        desired::listeners(self.certificate_arn(), "")
            .iter()
            .flat_map(|listener| tcp_rules(listener.port, cidrs.iter().cloned().map(RuleSource::Cidr)))
            .collect()
    }

    /// The inbound rules of the load balancer's and the producers' groups. The
    /// producers' rule names the load balancer's group, pending until it exists.
    pub fn front_rules(&self, actual: &Actual) -> Vec<(String, Vec<IngressRule>)> {
        let names = &actual.names;
        let lb_group = actual.security_group(&names.load_balancer_sg);
        let lb_group_id = lb_group
            .map(|group| group.id.clone())
            .unwrap_or_else(|| Pending::SecurityGroup.id(&names.load_balancer_sg));
        let producer_rules = tcp_rules(self.environment.producer_port, [RuleSource::Group(lb_group_id)]);
        vec![(names.load_balancer_sg.clone(), self.load_balancer_rules()), (names.producer_sg.clone(), producer_rules)]
    }

    /// Who the environment lets scrape the services' metrics ports.
    pub fn monitoring_sources(&self) -> Vec<RuleSource> {
        let services = &self.environment.services;
        let cidrs = services.monitoring_cidrs.iter().cloned().map(RuleSource::Cidr);
        cidrs.chain(services.monitoring_security_group.iter().cloned().map(RuleSource::Group)).collect()
    }

    /// The metrics group's inbound rules: both metrics ports (an instance
    /// runs one role, the group is shared) from each monitoring source.
    pub fn metrics_rules(&self) -> Vec<IngressRule> {
        let sources = self.monitoring_sources();
        [PRODUCER_METRICS_PORT, self.consumer_metrics_port]
            .into_iter()
            .flat_map(|port| tcp_rules(port, sources.clone()))
            .collect()
    }

    /// The launch template data of `role`; the producers' group is pending
    /// while it does not exist.
    pub fn template_for(&self, actual: &Actual, role: RoleName) -> Result<TemplateData, FleetError> {
        let environment = self.environment;
        let names = &actual.names;
        let invalid = |message: String, hint: &str| FleetError::Invalid {
            env: environment.name.clone(),
            message,
            hint: hint.to_string(),
        };
        let spec = self.profile.role(role).ok_or_else(|| {
            invalid(format!("role {role} is not in tier {}", self.profile.tier), "pick a role of the tier")
        })?;
        let instance_type = desired::instance_type(environment, spec);
        let parameter = desired::ami_parameter(&instance_type);
        let image_id = actual
            .images
            .get(parameter)
            .ok_or_else(|| invalid(format!("the AMI of {parameter} for role {role} was not read"), "re-run deploy"))?;
        let env =
            actual.envs.get(&role).ok_or_else(|| invalid(format!("role {role} was not read"), "re-run deploy"))?;
        let (env, postgres_ca) = postgres_ca::for_instance(&desired::with_listen_address(
            env,
            environment.producer_port,
        ))
        .map_err(|err| {
            invalid(err.to_string(), "point postgres.ca_file at a readable PEM bundle (RDS: the region's bundle)")
        })?;
        let boot = BootContext {
            environment: &environment.name,
            region: &actual.scope.region,
            registry: &actual.registry,
            version: self.version,
            names,
            ports: desired::role_ports(
                role,
                environment.producer_port,
                self.consumer_metrics_port,
                !self.monitoring_sources().is_empty(),
            ),
            postgres_ca,
        };
        let script = desired::user_data(&env, &boot)?;
        if script.len() > postgres_ca::USER_DATA_LIMIT {
            return Err(invalid(
                format!(
                    "role {role}'s boot script is {} bytes, over EC2's {} byte limit",
                    script.len(),
                    postgres_ca::USER_DATA_LIMIT
                ),
                "use the region's RDS bundle (REGION-bundle.pem), not the global one, as postgres.ca_file",
            ));
        }
        let producer_sg = match actual.security_group(&names.producer_sg) {
            Some(group) => group.id.clone(),
            None => Pending::SecurityGroup.id(&names.producer_sg),
        };
        let metrics_sg = match actual.security_group(&names.metrics_sg) {
            Some(group) => group.id.clone(),
            None => Pending::SecurityGroup.id(&names.metrics_sg),
        };
        let mut groups = vec![actual.client_sg.as_str(), metrics_sg.as_str()];
        if role == RoleName::Producer {
            groups.push(&producer_sg);
        }
        let mut tags = environment_tags(environment);
        tags.insert(TAG_NAME.into(), names.group(role));
        Ok(desired::template_data(image_id, instance_type, &groups, names, &script, tags))
    }
}

/// TCP `port` from each source.
pub fn tcp_rules(port: u16, sources: impl IntoIterator<Item = RuleSource>) -> Vec<IngressRule> {
    sources
        .into_iter()
        .map(|source| IngressRule {
            protocol: "tcp".into(),
            from_port: Some(i32::from(port)),
            to_port: Some(i32::from(port)),
            source,
        })
        .collect()
}
