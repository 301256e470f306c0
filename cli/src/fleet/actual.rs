//! What AWS holds for a deploy, as `ops::deploy::aws::observe` read it.
//! Plain data, so the plan is a pure function of it and tests write it by hand.

use std::collections::BTreeMap;

use crate::aws::autoscaling::{Group, Refresh};
use crate::aws::ec2::{SecurityGroup, Subnet};
use crate::aws::ecr::Repository;
use crate::aws::elb::{Listener, LoadBalancer, TargetGroup};
use crate::aws::iam::{InstanceProfile, Role};
use crate::aws::launch_template::{LaunchTemplate, TemplateVersion};
use crate::aws::scaling_policy::TrackedMetric;
use crate::aws::ssm::SecretValue;
use crate::kafka::KafkaConnection;
use crate::profile::RoleName;
use crate::render::ServiceEnv;

use super::desired::{version_from_description, AccountScope};
use super::plan::Change;
use crate::naming::fleet::FleetNames;

/// Everything read from AWS before planning.
#[derive(Debug, Clone)]
pub struct Actual {
    pub names: FleetNames,
    pub scope: AccountScope,
    pub registry: String,
    pub repositories: Vec<Repository>,
    pub lifecycle_policies: BTreeMap<String, Option<String>>,
    pub subnets: Vec<Subnet>,
    pub vpc_id: String,
    pub client_sg: String,
    pub security_groups: Vec<SecurityGroup>,
    pub kafka: KafkaConnection,
    /// The MSK cluster's name: the `Cluster Name` of its CloudWatch metrics.
    pub cluster_name: String,
    pub role: Option<Role>,
    pub role_policy: Option<String>,
    pub instance_profile: Option<InstanceProfile>,
    /// Per secret variable: what Parameter Store holds and what the caller gave.
    pub secrets: Vec<SecretState>,
    /// The producers' API keys (`forgectl api-keys`): where, and whether any exist.
    pub api_keys: ApiKeysState,
    pub target_group: Option<TargetGroup>,
    pub load_balancer: Option<LoadBalancer>,
    pub listeners: Vec<Listener>,
    /// AMI parameter → image ID.
    pub images: BTreeMap<String, String>,
    pub roles: BTreeMap<RoleName, ObservedRole>,
    pub envs: BTreeMap<RoleName, ServiceEnv>,
    /// The MSK cluster's ARN when the services authenticate with IAM: the
    /// instance role gets its topics and groups.
    pub msk_iam_cluster: Option<String>,
}

impl Actual {
    pub fn security_group(&self, name: &str) -> Option<&SecurityGroup> {
        self.security_groups.iter().find(|group| group.name == name)
    }

    pub fn subnet_ids(&self) -> Vec<String> {
        self.subnets.iter().map(|subnet| subnet.id.clone()).collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ApiKeysState {
    pub parameter: String,
    pub stored: bool,
}

#[derive(Debug, Clone)]
pub struct SecretState {
    pub variable: String,
    pub parameter: String,
    /// The caller's environment variable that holds the value.
    pub source: String,
    pub stored: Option<SecretValue>,
    pub given: Option<SecretValue>,
}

impl SecretState {
    pub fn change(&self) -> Change {
        match (&self.stored, &self.given) {
            (None, _) => Change::Create,
            (Some(stored), Some(given)) if stored != given => Change::Update,
            _ => Change::Keep,
        }
    }
}

/// What runs of one role on AWS now.
#[derive(Debug, Clone, Default)]
pub struct ObservedRole {
    pub group: Option<Group>,
    /// The role's launch template, if it exists.
    pub template: Option<LaunchTemplate>,
    /// The template version the group launches from.
    pub group_template: Option<TemplateVersion>,
    /// The template's latest version: what an interrupted run published last.
    pub latest_template: Option<TemplateVersion>,
    /// The service version each instance runs, read from its template version.
    pub instance_versions: Vec<String>,
    pub cpu_target: Option<f64>,
    /// The consumers' lag-per-instance policy as AWS holds it.
    pub lag_policy: Option<TrackedMetric>,
    /// An instance refresh still running (an earlier run was interrupted).
    pub active_refresh: Option<Refresh>,
}

/// The template versions a group and its instances launch from, of the
/// template `template_id`: what to read to know what runs.
pub fn template_numbers(group: &Group, template_id: &str) -> Vec<i64> {
    let mut numbers: Vec<i64> = group
        .template
        .iter()
        .chain(group.instances.iter().filter_map(|instance| instance.template.as_ref()))
        .filter(|reference| reference.id == template_id)
        .filter_map(|reference| reference.number())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

/// The service version each live instance runs, read from the description
/// of its template version (`unknown` for versions forgectl did not write).
pub fn instance_versions(group: &Group, versions: &[TemplateVersion]) -> Vec<String> {
    group
        .instances
        .iter()
        .filter(|instance| !instance.lifecycle.starts_with("Terminat"))
        .map(|instance| {
            let number = instance.template.as_ref().and_then(|t| t.number());
            versions
                .iter()
                .find(|version| Some(version.number) == number)
                .and_then(|version| version_from_description(version.description.as_deref()))
                .unwrap_or_else(|| "unknown".into())
        })
        .collect()
}
