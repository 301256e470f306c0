//! The aws deploy plan: per role, the running fleet against the tier's
//! ladder and the requested version, plus the shared resources (images,
//! IAM, secrets, load balancer). Pure, so it is unit-tested without AWS.

use serde::Serialize;

use crate::aws::autoscaling::Group;
use crate::aws::ec2::{IngressRule, RuleSource};
use crate::aws::elb::Listener;
use crate::aws::launch_template::{TemplateData, TemplateVersion};
use crate::fleet::roles::{self, RoleAction, RolePlan, RunningRole};
use crate::profile::{Profile, RoleName};

use super::desired::version_from_description;

/// The runbooks' scaling rule: add nodes above 50% CPU.
pub const CPU_TARGET_PERCENT: f64 = 50.0;

/// What runs of one role on AWS now.
#[derive(Debug, Clone, Default)]
pub struct ObservedRole {
    pub group: Option<Group>,
    /// Whether the role's launch template exists.
    pub template_exists: bool,
    /// The template version the group launches from.
    pub group_template: Option<TemplateVersion>,
    /// The service version each instance runs, read from its template version.
    pub instance_versions: Vec<String>,
    pub cpu_target: Option<f64>,
}

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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetRolePlan {
    #[serde(flatten)]
    pub summary: RolePlan,
    /// Min and max of the existing group.
    pub current_bounds: Option<(u32, u32)>,
    pub launch_template: Change,
    /// Which parts of the launch template change (`version`, `ami`...).
    pub template_changes: Vec<&'static str>,
    pub scaling_policy: Change,
}

impl FleetRolePlan {
    pub fn role(&self) -> RoleName {
        self.summary.role
    }

    pub fn has_changes(&self) -> bool {
        self.summary.action != RoleAction::NoOp
    }
}

/// One shared resource and what `deploy` does to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedChange {
    pub kind: &'static str,
    pub name: String,
    pub change: Change,
    /// Why an update, e.g. `scan on push off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl SharedChange {
    pub fn new(kind: &'static str, name: impl Into<String>, change: Change) -> Self {
        SharedChange { kind, name: name.into(), change, detail: None }
    }

    pub fn because(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetPlan {
    pub version: String,
    pub roles: Vec<FleetRolePlan>,
    pub shared: Vec<SharedChange>,
}

impl FleetPlan {
    pub fn has_changes(&self) -> bool {
        self.roles.iter().any(FleetRolePlan::has_changes) || self.shared.iter().any(|s| s.change != Change::Keep)
    }
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

/// What to open and what to close so that a group's inbound rules are
/// exactly `desired`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleChanges {
    pub open: Vec<IngressRule>,
    pub close: Vec<IngressRule>,
}

impl RuleChanges {
    pub fn is_empty(&self) -> bool {
        self.open.is_empty() && self.close.is_empty()
    }

    pub fn describe(&self) -> String {
        let open = self.open.iter().map(|rule| format!("+{rule}"));
        let close = self.close.iter().map(|rule| format!("-{rule}"));
        open.chain(close).collect::<Vec<_>>().join(", ")
    }
}

pub fn rule_changes(actual: &[IngressRule], desired: &[IngressRule]) -> RuleChanges {
    RuleChanges {
        open: desired.iter().filter(|rule| !actual.contains(rule)).cloned().collect(),
        close: actual.iter().filter(|rule| !desired.contains(rule)).cloned().collect(),
    }
}

/// How the load balancer's listeners get to the desired set, matched by port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListenerChanges {
    pub create: Vec<Listener>,
    /// The existing listener's ARN and what it becomes.
    pub modify: Vec<(String, Listener)>,
    pub delete: Vec<Listener>,
}

impl ListenerChanges {
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.modify.is_empty() && self.delete.is_empty()
    }

    pub fn describe(&self) -> String {
        let create = self.create.iter().map(|l| format!("+{l}"));
        let modify = self.modify.iter().map(|(_, l)| format!("~{l}"));
        let delete = self.delete.iter().map(|l| format!("-{l}"));
        create.chain(modify).chain(delete).collect::<Vec<_>>().join(", ")
    }
}

pub fn listener_changes(actual: &[Listener], desired: &[Listener]) -> ListenerChanges {
    let mut changes = ListenerChanges::default();
    for want in desired {
        match actual.iter().find(|have| have.port == want.port) {
            None => changes.create.push(want.clone()),
            Some(have)
                if (&have.protocol, &have.certificate_arn, &have.action)
                    != (&want.protocol, &want.certificate_arn, &want.action) =>
            {
                changes.modify.push((have.arn.clone(), want.clone()))
            }
            Some(_) => {}
        }
    }
    changes.delete = actual.iter().filter(|have| !desired.iter().any(|want| want.port == have.port)).cloned().collect();
    changes
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

/// Which fields differ between the group's template version and the desired data.
pub fn template_changes(current: &TemplateVersion, desired: &TemplateData, version: &str) -> Vec<&'static str> {
    let mut changes = Vec::new();
    if version_from_description(current.description.as_deref()).as_deref() != Some(version) {
        changes.push("version");
    }
    let data = &current.data;
    if data.image_id != desired.image_id {
        changes.push("ami");
    }
    if data.instance_type != desired.instance_type {
        changes.push("instance type");
    }
    if data.security_group_ids != desired.security_group_ids {
        changes.push("security groups");
    }
    if data.instance_profile != desired.instance_profile {
        changes.push("instance profile");
    }
    // The boot script embeds the version; other edits (brokers, settings)
    // count on their own.
    if data.user_data != desired.user_data && !changes.contains(&"version") {
        changes.push("boot script");
    }
    if data.instance_tags != desired.instance_tags {
        changes.push("tags");
    }
    changes
}

/// Plans one role. `desired` is the launch template data the role should run.
pub fn plan_role(
    profile: &Profile,
    role: RoleName,
    observed: &ObservedRole,
    desired: &TemplateData,
    version: &str,
) -> Option<FleetRolePlan> {
    let running = RunningRole { role, versions: observed.instance_versions.clone() };
    let mut summary = roles::plan(profile, &[running], &[role], version).into_iter().next()?;
    let current_bounds = observed.group.as_ref().map(|group| (group.min, group.max));
    if let Some(group) = &observed.group {
        // The group's desired capacity is what runs (instances may be mid-replacement).
        summary.current_count = group.desired;
        summary.new_count = group.desired.clamp(summary.min, summary.max);
    }
    let (launch_template, template_changes) = match (&observed.group_template, observed.template_exists) {
        (_, false) => (Change::Create, vec!["new"]),
        (None, true) => (Change::Update, vec!["version"]),
        (Some(current), true) => {
            let changes = template_changes(current, desired, version);
            (if changes.is_empty() { Change::Keep } else { Change::Update }, changes)
        }
    };
    let scaling_policy = match observed.cpu_target {
        None => Change::Create,
        Some(target) if (target - CPU_TARGET_PERCENT).abs() > f64::EPSILON => Change::Update,
        Some(_) => Change::Keep,
    };
    if observed.group.is_none() {
        summary.action = if summary.new_count == 0 { RoleAction::NoOp } else { RoleAction::Start };
        summary.new_count = summary.min;
    } else if launch_template != Change::Keep {
        summary.action = RoleAction::RollingUpdate;
    } else if summary.action == RoleAction::NoOp
        && (current_bounds != Some((summary.min, summary.max)) || scaling_policy != Change::Keep)
    {
        summary.action = RoleAction::Scale;
    }
    Some(FleetRolePlan { summary, current_bounds, launch_template, template_changes, scaling_policy })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::aws::autoscaling::{GroupInstance, TemplateRef};
    use crate::fleet::desired::version_description;
    use crate::profile::{load_tier, ProfileSource, ResolveOptions};

    fn tier(name: &str) -> Profile {
        load_tier(&ProfileSource::Builtin, name, ResolveOptions::default()).unwrap_or_else(|err| panic!("{err}"))
    }

    fn data(user_data: &str) -> TemplateData {
        TemplateData {
            image_id: "ami-1".into(),
            instance_type: "c7i.xlarge".into(),
            security_group_ids: vec!["sg-1".into()],
            instance_profile: "forgectl-prod-instance".into(),
            user_data: user_data.into(),
            instance_tags: BTreeMap::new(),
        }
    }

    fn running(version: &str, count: u32, bounds: (u32, u32)) -> ObservedRole {
        let template = TemplateRef { id: "lt-1".into(), version: "1".into() };
        ObservedRole {
            group: Some(Group {
                name: "forgectl-prod-producer".into(),
                min: bounds.0,
                max: bounds.1,
                desired: count,
                template: Some(template.clone()),
                instances: (0..count)
                    .map(|n| GroupInstance {
                        id: format!("i-{n}"),
                        template: Some(template.clone()),
                        health: "Healthy".into(),
                        lifecycle: "InService".into(),
                    })
                    .collect(),
                target_group_arns: Vec::new(),
                tags: BTreeMap::new(),
            }),
            template_exists: true,
            group_template: Some(TemplateVersion {
                number: 1,
                description: Some(version_description(version)),
                data: data(&format!("boot {version}")),
            }),
            instance_versions: vec![version.to_string(); count as usize],
            cpu_target: Some(CPU_TARGET_PERCENT),
        }
    }

    #[test]
    fn first_deploy_creates_everything_at_the_ladder_minimum() {
        let plan = plan_role(&tier("50k"), RoleName::SmsConsumer, &ObservedRole::default(), &data("boot v1"), "v1");
        let plan = plan.unwrap_or_else(|| panic!("no plan"));
        assert_eq!(plan.summary.action, RoleAction::Start);
        assert_eq!((plan.summary.new_count, plan.summary.min, plan.summary.max), (2, 2, 8));
        assert_eq!((plan.launch_template, plan.scaling_policy), (Change::Create, Change::Create));
    }

    #[test]
    fn converged_role_is_a_no_op() {
        let plan = plan_role(&tier("50k"), RoleName::Producer, &running("v1", 2, (2, 5)), &data("boot v1"), "v1");
        let plan = plan.unwrap_or_else(|| panic!("no plan"));
        assert_eq!(plan.summary.action, RoleAction::NoOp, "{plan:?}");
        assert_eq!(plan.launch_template, Change::Keep);
    }

    #[test]
    fn a_bigger_tier_moves_bounds_in_place_and_never_lowers_desired() {
        let plan = plan_role(&tier("100k"), RoleName::Producer, &running("v1", 5, (2, 5)), &data("boot v1"), "v1");
        let plan = plan.unwrap_or_else(|| panic!("no plan"));
        assert_eq!(plan.summary.action, RoleAction::Scale);
        assert_eq!(plan.current_bounds, Some((2, 5)));
        assert_eq!((plan.summary.min, plan.summary.max, plan.summary.new_count), (4, 10, 5));
        assert_eq!(plan.launch_template, Change::Keep);
    }

    #[test]
    fn a_new_version_rolls_with_a_new_template_version() {
        let plan = plan_role(&tier("50k"), RoleName::Producer, &running("v1", 2, (2, 5)), &data("boot v2"), "v2");
        let plan = plan.unwrap_or_else(|| panic!("no plan"));
        assert_eq!(plan.summary.action, RoleAction::RollingUpdate);
        assert_eq!(plan.launch_template, Change::Update);
        assert_eq!(plan.template_changes, ["version"]);
    }

    #[test]
    fn a_new_ami_alone_also_rolls() {
        let mut desired = data("boot v1");
        desired.image_id = "ami-2".into();
        let plan = plan_role(&tier("50k"), RoleName::Producer, &running("v1", 2, (2, 5)), &desired, "v1");
        let plan = plan.unwrap_or_else(|| panic!("no plan"));
        assert_eq!((plan.summary.action, plan.template_changes.clone()), (RoleAction::RollingUpdate, vec!["ami"]));
    }

    #[test]
    fn load_balancer_rules_follow_the_configured_ranges() {
        let actual = tcp_rules(80, [RuleSource::Cidr("0.0.0.0/0".into())]);
        let desired = tcp_rules(80, [RuleSource::Cidr("203.0.113.0/24".into())]);
        let changes = rule_changes(&actual, &desired);
        assert_eq!((changes.open.clone(), changes.close.clone()), (desired.clone(), actual.clone()));
        assert_eq!(changes.describe(), "+tcp/80 from 203.0.113.0/24, -tcp/80 from 0.0.0.0/0");
        assert!(rule_changes(&desired, &desired).is_empty());
    }

    #[test]
    fn adding_a_certificate_moves_the_api_to_https_and_redirects_port_80() {
        use crate::aws::elb::ListenerAction;
        use crate::fleet::desired::listeners;
        let mut actual = listeners(None, "tg");
        actual[0].arn = "arn-80".into();
        let changes = listener_changes(&actual, &listeners(Some("arn:aws:acm:r:1:certificate/c"), "tg"));
        assert_eq!(changes.create.len(), 1);
        assert_eq!((changes.create[0].port, changes.create[0].protocol.as_str()), (443, "HTTPS"));
        assert_eq!(changes.modify.len(), 1);
        assert_eq!(
            (changes.modify[0].0.as_str(), &changes.modify[0].1.action),
            ("arn-80", &ListenerAction::RedirectToHttps)
        );
        assert!(changes.delete.is_empty());
        assert!(listener_changes(&actual, &listeners(None, "tg")).is_empty());
    }

    #[test]
    fn a_changed_cpu_target_is_put_back() {
        let mut observed = running("v1", 2, (2, 5));
        observed.cpu_target = Some(70.0);
        let plan = plan_role(&tier("50k"), RoleName::Producer, &observed, &data("boot v1"), "v1");
        let plan = plan.unwrap_or_else(|| panic!("no plan"));
        assert_eq!((plan.summary.action, plan.scaling_policy), (RoleAction::Scale, Change::Update));
    }
}
