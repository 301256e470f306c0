//! A plan: per resource, what `provision` would do and why. Computed by a
//! pure function of the target and what AWS holds, so it is unit-tested
//! without AWS, and `provision` executes exactly what `plan` shows.

use std::collections::BTreeMap;

use serde::Serialize;

use super::actual::{Actual, Network, NetworkSource};
use super::compare;
use super::scram;
use super::target::Target;
use crate::aws::ec2::IngressRule;

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub env: String,
    pub tier: String,
    pub region: Option<String>,
    pub network: NetworkSummary,
    /// In dependency order: what `provision` creates first comes first.
    pub resources: Vec<ResourcePlan>,
    /// Something would be created or updated.
    pub pending: bool,
    /// Something is refused: `provision` would change nothing at all.
    pub refused: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkSummary {
    pub vpc_id: String,
    pub subnets: Vec<String>,
    pub availability_zones: Vec<String>,
    pub source: NetworkSource,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceKind {
    Network,
    ClientSecurityGroup,
    BrokerSecurityGroup,
    Configuration,
    Cluster,
    ScramKey,
    ScramSecret,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Network => "network",
            ResourceKind::ClientSecurityGroup => "client security group",
            ResourceKind::BrokerSecurityGroup => "broker security group",
            ResourceKind::Configuration => "MSK configuration",
            ResourceKind::Cluster => "MSK cluster",
            ResourceKind::ScramKey => "KMS key (SCRAM secret)",
            ResourceKind::ScramSecret => "SCRAM secret",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourcePlan {
    pub resource: ResourceKind,
    pub name: String,
    /// The AWS ID or ARN, when the resource exists.
    pub id: Option<String>,
    pub action: Action,
    pub reason: String,
    /// How `provision` carries out the action, in order.
    #[serde(skip)]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update { changes: Vec<FieldChange> },
    NoOp,
    Refused { reason: String },
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update { .. } => "update",
            Action::NoOp => "no-op",
            Action::Refused { .. } => "refused",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

impl FieldChange {
    pub fn new(field: impl Into<String>, before: impl ToString, after: impl ToString) -> Self {
        FieldChange { field: field.into(), before: before.to_string(), after: after.to_string() }
    }
}

/// One call's worth of work, in the order `provision` runs them.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Security groups and cluster: set these tags (others stay).
    Tags(BTreeMap<String, String>),
    /// Broker SG: open these ports to the client SG.
    Authorize(Vec<u16>),
    /// Broker SG: close rules that are not forgectl's.
    Revoke(Vec<IngressRule>),
    /// Configuration: write its properties as a new revision.
    NewRevision,
    /// Cluster: let a running create or update finish first.
    WaitActive,
    BrokerCount(u32),
    BrokerStorage(u32),
    BrokerType(String),
    /// Cluster: switch to the configuration's latest revision.
    Configuration,
    Monitoring(String),
    /// SCRAM: a customer managed KMS key and its alias.
    CreateKey,
    /// SCRAM: the secret, with a generated password, encrypted with the key.
    CreateSecret,
    /// SCRAM: BatchAssociateScramSecret once the cluster is ACTIVE.
    AssociateSecret,
}

/// The whole comparison. Pure: no AWS, no clock, no I/O.
pub fn plan(target: &Target, actual: &Actual) -> Plan {
    let client_sg = compare::client_sg(target, actual);
    let broker_sg = compare::broker_sg(target, actual);
    let configuration = compare::configuration(target, actual);
    let cluster = compare::cluster(target, actual, &configuration);
    let mut resources = vec![network_plan(&actual.network), client_sg, broker_sg, configuration, cluster];
    // After the cluster: the secret is associated once the cluster is ACTIVE.
    if let Some(spec) = &target.scram {
        let cluster_arn = actual.cluster.as_ref().map(|cluster| cluster.arn.as_str());
        resources.push(scram::key(spec, &actual.scram, &target.env));
        resources.push(scram::secret(spec, &actual.scram, &target.env, cluster_arn));
    }
    let pending = resources.iter().any(|r| matches!(r.action, Action::Create | Action::Update { .. }));
    let refused = resources.iter().any(|r| matches!(r.action, Action::Refused { .. }));
    Plan {
        env: target.env.clone(),
        tier: target.tier.clone(),
        region: target.region.clone(),
        network: NetworkSummary {
            vpc_id: actual.network.vpc_id.clone(),
            subnets: actual.network.subnet_ids(),
            availability_zones: actual.network.subnets.iter().map(|s| s.availability_zone.clone()).collect(),
            source: actual.network.source,
            note: actual.network.describe(),
        },
        resources,
        pending,
        refused,
    }
}

fn network_plan(network: &Network) -> ResourcePlan {
    ResourcePlan {
        resource: ResourceKind::Network,
        name: network.vpc_id.clone(),
        id: Some(network.vpc_id.clone()),
        action: Action::NoOp,
        reason: network.describe(),
        steps: Vec::new(),
    }
}

impl Plan {
    pub fn resource(&self, kind: ResourceKind) -> Option<&ResourcePlan> {
        self.resources.iter().find(|resource| resource.resource == kind)
    }

    pub fn refusals(&self) -> Vec<String> {
        self.resources
            .iter()
            .filter_map(|resource| match &resource.action {
                Action::Refused { reason } => {
                    Some(format!("{} {}: {reason}", resource.resource.as_str(), resource.name))
                }
                _ => None,
            })
            .collect()
    }
}
