//! What pages and what shows on AWS: the environment's SNS topic and its
//! subscriptions, the CloudWatch alarms of the tier's thresholds and the
//! dashboard. The shape of `fleet/`: the desired set (`alarms`,
//! `dashboard`) from the target, what AWS holds (`Observed`), and a pure
//! comparison (`plan`) into typed steps that `ops::deploy::aws::monitoring`
//! applies. `deploy` shows it as its own section of the plan.
//!
//! The same alerts, in PromQL, are `render::alerts`; docs/operations.md
//! describes both sets side by side.

pub mod alarms;
pub mod dashboard;
pub mod plan;

#[cfg(test)]
mod tests;

use crate::aws::cloudwatch::ObservedAlarm;
use crate::aws::sns::{Subscription, Topic};
use crate::config::AlertSubscriptions;
use crate::profile::Profile;

/// Stand-ins for what this deploy creates before the alarms are written:
/// the applier replaces them with the real values once they exist.
pub const PENDING_TOPIC: &str = "pending:alarm-topic";
pub const PENDING_LOAD_BALANCER: &str = "pending:load-balancer";
pub const PENDING_TARGET_GROUP: &str = "pending:target-group";

/// The names of the environment's monitoring resources, from its prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringNames {
    pub topic: String,
    /// CloudWatch dashboards have no tags: this exact name is how a later
    /// run (and `destroy`) finds the environment's dashboard.
    pub dashboard: String,
    /// Every alarm's name starts with it.
    pub alarm_prefix: String,
}

impl MonitoringNames {
    pub fn for_prefix(prefix: &str) -> Self {
        MonitoringNames {
            topic: format!("{prefix}-alerts"),
            dashboard: prefix.to_string(),
            alarm_prefix: format!("{prefix}-"),
        }
    }

    pub fn alarm(&self, what: &str) -> String {
        format!("{}{what}", self.alarm_prefix)
    }
}

/// What the alarms and the dashboard are about.
#[derive(Debug, Clone)]
pub struct MonitoringTarget<'a> {
    /// The forgectl environment: the services' `Environment` dimension.
    pub env: &'a str,
    pub names: MonitoringNames,
    pub profile: &'a Profile,
    pub subscriptions: &'a AlertSubscriptions,
    /// The region the dashboard's graphs read from.
    pub region: String,
    /// The MSK cluster's name (its `Cluster Name` dimension).
    pub cluster: String,
    /// MSK numbers brokers from 1; their `Broker ID` dimension.
    pub brokers: u32,
    /// The load balancer's and target group's ARN suffixes (their
    /// CloudWatch dimensions), or the `PENDING_*` stand-ins when this deploy
    /// creates them; `None` when the environment has no producer front door.
    pub load_balancer: Option<String>,
    pub target_group: Option<String>,
    /// The Auto Scaling group of each role, with its ladder (min, max).
    pub groups: Vec<(crate::profile::RoleName, String, u32, u32)>,
}

/// What AWS holds of the environment's monitoring.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub topic: Option<Topic>,
    pub subscriptions: Vec<Subscription>,
    /// The alarms under the prefix, each with whether its tags make it this
    /// environment's.
    pub alarms: Vec<(ObservedAlarm, bool)>,
    pub dashboard: Option<String>,
}

/// `arn:aws:elasticloadbalancing:…:loadbalancer/app/name/id` → `app/name/id`,
/// the form CloudWatch's `LoadBalancer` dimension takes.
pub fn load_balancer_dimension(arn: &str) -> Option<String> {
    arn.split_once(":loadbalancer/").map(|(_, suffix)| suffix.to_string())
}

/// `arn:…:targetgroup/name/id` → `targetgroup/name/id`, the `TargetGroup` dimension.
pub fn target_group_dimension(arn: &str) -> Option<String> {
    arn.rsplit_once(':').map(|(_, suffix)| suffix.to_string()).filter(|suffix| suffix.starts_with("targetgroup/"))
}
