//! The aws deploy plan: per shared resource (images' repositories, IAM,
//! secrets, the producer's front door) and per role, what `deploy` does
//! and the typed steps that do it. Computed by a pure function of the
//! target and what AWS holds (`compare`), so it is unit-tested without AWS,
//! and the applier executes exactly these steps.

use serde::Serialize;

use crate::aws::ec2::{IngressRule, RuleSource};
use crate::aws::elb::{Listener, LoadBalancer, TargetGroup};
use crate::aws::elb_rules::Route;
use crate::aws::launch_template::{LaunchTemplate, TemplateData};
use crate::aws::scaling_policy::TrackedMetric;
use crate::aws::ssm::SecretValue;
use crate::profile::RoleName;

use super::roles::{RoleAction, RolePlan};
use super::FleetError;

pub use super::compare::plan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Create,
    Update,
    Keep,
}

impl Change {
    /// Keeps a `Create`; otherwise takes `other` if it is a change.
    pub fn max_with(self, other: Change) -> Change {
        match (self, other) {
            (Change::Create, _) => Change::Create,
            (_, Change::Keep) => self,
            (_, other) => other,
        }
    }
}

/// The resources a deploy shares between roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ResourceKind {
    #[serde(rename = "ecr repository")]
    Repository,
    #[serde(rename = "iam role")]
    InstanceRole,
    #[serde(rename = "iam role policy")]
    RolePolicy,
    #[serde(rename = "instance profile")]
    InstanceProfile,
    #[serde(rename = "ssm securestring")]
    Secret,
    #[serde(rename = "security group")]
    SecurityGroup,
    #[serde(rename = "target group")]
    TargetGroup,
    #[serde(rename = "load balancer")]
    LoadBalancer,
    #[serde(rename = "listeners")]
    Listeners,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Repository => "ecr repository",
            ResourceKind::InstanceRole => "iam role",
            ResourceKind::RolePolicy => "iam role policy",
            ResourceKind::InstanceProfile => "instance profile",
            ResourceKind::Secret => "ssm securestring",
            ResourceKind::SecurityGroup => "security group",
            ResourceKind::TargetGroup => "target group",
            ResourceKind::LoadBalancer => "load balancer",
            ResourceKind::Listeners => "listeners",
        }
    }
}

/// One shared resource, what `deploy` does to it, and how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedChange {
    pub kind: ResourceKind,
    pub name: String,
    pub change: Change,
    /// Why an update, e.g. `scan on push off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// How the applier carries the change out, in order; empty for `keep`.
    #[serde(skip)]
    pub steps: Vec<Step>,
}

impl SharedChange {
    pub fn new(kind: ResourceKind, name: impl Into<String>, change: Change) -> Self {
        SharedChange { kind, name: name.into(), change, detail: None, steps: Vec::new() }
    }

    pub fn because(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_steps(mut self, steps: Vec<Step>) -> Self {
        self.steps = steps;
        self
    }
}

/// Why the plan will not run: applying would fight something running, or
/// expose the producers in a way nobody opted into. Nothing is changed
/// when anything is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Refusal {
    /// An instance refresh an earlier run started goes to another template
    /// version than this deploy would.
    RefreshInProgress { group: String, refresh_id: String },
    /// The producers' endpoint would be open in a way `forgectl.yaml` has
    /// not opted into by name (plain HTTP on the internet, no API key).
    Exposure { env: String, problem: String, hint: String },
    /// Elastic Load Balancing cannot change a load balancer's scheme in place.
    SchemeChange { env: String, load_balancer: String, from: String, to: String },
}

impl Refusal {
    pub fn describe(&self) -> String {
        match self {
            Refusal::RefreshInProgress { refresh_id, .. } => format!("instance refresh {refresh_id} in progress"),
            Refusal::Exposure { problem, .. } => problem.clone(),
            Refusal::SchemeChange { load_balancer, from, to, .. } => {
                format!("load balancer {load_balancer} is {from}; the environment asks for {to}")
            }
        }
    }
}

impl From<Refusal> for FleetError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::RefreshInProgress { group, refresh_id } => FleetError::RefreshInProgress { group, id: refresh_id },
            Refusal::Exposure { env, problem, hint } => FleetError::Invalid { env, message: problem, hint },
            Refusal::SchemeChange { env, load_balancer, from, to } => FleetError::Invalid {
                env: env.clone(),
                message: format!("load balancer {load_balancer} is {from}, and services.load_balancer_scheme asks for {to}"),
                hint: format!(
                    "a load balancer's scheme cannot change in place: delete {load_balancer} (its listeners go with it), \
                     then deploy again, or set load_balancer_scheme back to {from}; nothing was changed"
                ),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetRolePlan {
    #[serde(flatten)]
    pub summary: RolePlan,
    /// Min and max of the existing group.
    pub current_bounds: Option<(u32, u32)>,
    pub launch_template: Change,
    /// Which parts of the launch template change (`version`, `ami`...).
    pub template_changes: Vec<&'static str>,
    /// The CPU target-tracking policy.
    pub scaling_policy: Change,
    /// The consumers' lag-per-instance policy; `None` for the producer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_policy: Option<Change>,
    /// The group's `GroupInServiceInstances` metric, which the lag policy divides by.
    pub group_metrics: Change,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    /// Launch template, group, rollout, scaling policy: in this order.
    #[serde(skip)]
    pub steps: Vec<Step>,
}

impl FleetRolePlan {
    pub fn role(&self) -> RoleName {
        self.summary.role
    }

    pub fn has_changes(&self) -> bool {
        self.summary.action != RoleAction::NoOp
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetPlan {
    pub version: String,
    /// What refuses the whole deploy (the producers' exposure, the load
    /// balancer's scheme), before any role's own refusal.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<Refusal>,
    pub roles: Vec<FleetRolePlan>,
    pub shared: Vec<SharedChange>,
    /// The producer's load balancer as read, when this deploy serves the producer.
    #[serde(skip)]
    pub load_balancer: Option<LoadBalancer>,
    #[serde(skip)]
    pub serves_producer: bool,
}

impl FleetPlan {
    pub fn has_changes(&self) -> bool {
        self.roles.iter().any(FleetRolePlan::has_changes) || self.shared.iter().any(|s| s.change != Change::Keep)
    }

    /// The first refusal: the deploy's own, else a role's.
    pub fn refusal(&self) -> Option<&Refusal> {
        self.refusals.first().or_else(|| self.roles.iter().find_map(|role| role.refused.as_ref()))
    }
}

/// One call's worth of work. IDs of resources this deploy creates are
/// `target::Pending` IDs until the applier binds them.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    EnableScanOnPush {
        repository: String,
    },
    PutLifecyclePolicy {
        repository: String,
        policy: String,
    },
    CreateRole {
        name: String,
        trust_policy: String,
    },
    PutRolePolicy {
        role: String,
        name: String,
        policy: String,
    },
    CreateInstanceProfile {
        name: String,
    },
    AddRoleToInstanceProfile {
        profile: String,
        role: String,
    },
    /// The value comes from the caller's environment; it never reaches a log.
    PutSecret {
        parameter: String,
        value: SecretValue,
        overwrite: bool,
    },
    CreateSecurityGroup {
        name: String,
        description: &'static str,
        vpc_id: String,
    },
    /// Opens single-port TCP from each source; `group` is (ID, name).
    Authorize {
        group: (String, String),
        port: u16,
        sources: Vec<RuleSource>,
        description: &'static str,
    },
    Revoke {
        group: (String, String),
        rules: Vec<IngressRule>,
    },
    CreateTargetGroup {
        name: String,
        vpc_id: String,
        port: u16,
        health_check_path: &'static str,
    },
    SetHealthCheckPath {
        target_group: TargetGroup,
        path: &'static str,
    },
    CreateLoadBalancer {
        name: String,
        /// `internet-facing` or `internal`.
        scheme: &'static str,
        subnets: Vec<String>,
        security_group: String,
    },
    CreateListener(Listener),
    ModifyListener {
        arn: String,
        listener: Listener,
    },
    DeleteListener {
        arn: String,
    },
    /// `listener` is an ARN or a `Pending::Listener` ID.
    CreateRule {
        listener: String,
        route: Route,
    },
    DeleteRule {
        arn: String,
    },
    /// A new template; its version 1 is what the role runs.
    CreateLaunchTemplate {
        name: String,
        data: TemplateData,
        description: String,
    },
    /// A new version of the role's template, which the role then runs.
    CreateTemplateVersion {
        template: LaunchTemplate,
        data: TemplateData,
        description: String,
    },
    /// A version that already holds the desired data (the group's, or one an
    /// interrupted run published).
    UseTemplateVersion {
        template_id: String,
        number: i64,
    },
    CreateGroup {
        name: String,
        min: u32,
        max: u32,
        desired: u32,
        subnets: Vec<String>,
        target_group: Option<String>,
    },
    UpdateSize {
        name: String,
        from: (u32, u32),
        min: u32,
        max: u32,
        desired: u32,
    },
    /// Replace the group's instances with the role's template version.
    StartRefresh {
        group: String,
    },
    /// An earlier run's refresh that goes where this one would.
    FollowRefresh {
        group: String,
        refresh_id: String,
    },
    PutCpuTarget {
        group: String,
        policy: String,
        target_percent: f64,
    },
    /// The group publishes these group metrics to CloudWatch.
    EnableGroupMetrics {
        group: String,
        metrics: Vec<&'static str>,
    },
    /// Target tracking on the consumer group's lag per instance.
    PutLagTarget {
        group: String,
        policy: String,
        tracking: TrackedMetric,
    },
}
