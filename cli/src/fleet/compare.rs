//! Target against actual, one resource at a time: each function returns
//! the resource's row of the plan with the steps that carry it out.

use crate::aws::launch_template::{TemplateData, TemplateVersion};
use crate::profile::{Profile, RoleName};

use super::actual::{Actual, ObservedRole};
use super::desired::{self, version_description};
use super::diff::{listener_changes, template_changes};
use super::plan::{Change, FleetPlan, FleetRolePlan, Refusal, ResourceKind, SharedChange, Step};
use super::roles::{self, RoleAction, RunningRole};
use super::security_groups::security_group;
use super::target::{Pending, Target, CPU_TARGET_PERCENT, READY_PATH};
use super::FleetError;

const LB_SG_DESCRIPTION: &str = "forgectl: the producer API's load balancer";
const LB_RULE_DESCRIPTION: &str = "producer API clients (forgectl)";
const PRODUCER_SG_DESCRIPTION: &str = "forgectl: producer instances, reached from the load balancer";
const PRODUCER_RULE_DESCRIPTION: &str = "load balancer to producer (forgectl)";
const METRICS_SG_DESCRIPTION: &str = "forgectl: the services' metrics ports, reached only by monitoring";
const METRICS_RULE_DESCRIPTION: &str = "monitoring scrapes the services' metrics (forgectl)";

/// The whole plan: shared resources first, in the order the applier
/// creates them, then one row per role. Pure: no AWS, no clock, no I/O.
pub fn plan(actual: &Actual, target: &Target<'_>) -> Result<FleetPlan, FleetError> {
    let mut shared = repositories(actual, target);
    shared.extend(instance_role(actual));
    shared.extend(secrets(actual));
    // Every role's instances carry it; it opens their metrics ports only to
    // the monitoring the environment names (nobody, by default).
    shared.push(security_group(
        actual,
        actual.names.metrics_sg.clone(),
        &target.metrics_rules(),
        (METRICS_SG_DESCRIPTION, METRICS_RULE_DESCRIPTION),
    ));
    let serves_producer = target.serves_producer();
    let mut refusals = Vec::new();
    if serves_producer {
        shared.extend(front(actual, target));
        refusals = super::exposure::refusals(actual, target);
    }
    let mut roles = Vec::new();
    for role in target.selected_roles() {
        let desired = target.template_for(actual, role)?;
        let observed = actual.roles.get(&role).cloned().unwrap_or_default();
        if let Some(mut plan) = plan_role(target.profile, role, &observed, &desired, target.version) {
            role_steps(actual, target, &observed, desired, &mut plan);
            super::scaling::lag_steps(actual, target.profile, &observed, &mut plan);
            roles.push(plan);
        }
    }
    Ok(FleetPlan {
        version: target.version.to_string(),
        refusals,
        roles,
        shared,
        load_balancer: actual.load_balancer.clone().filter(|_| serves_producer),
        serves_producer,
    })
}

fn repositories(actual: &Actual, target: &Target<'_>) -> Vec<SharedChange> {
    let keep = target.environment.services.keep_images;
    let policy = desired::lifecycle_policy(keep);
    let mut rows = Vec::new();
    for repo in &actual.repositories {
        let lifecycle = actual.lifecycle_policies.get(&repo.name).cloned().flatten();
        let lifecycle_ok = lifecycle.is_some_and(|text| desired::same_json(&text, &policy));
        let mut steps = Vec::new();
        if !repo.scan_on_push {
            steps.push(Step::EnableScanOnPush { repository: repo.name.clone() });
        }
        if !lifecycle_ok {
            steps.push(Step::PutLifecyclePolicy { repository: repo.name.clone(), policy: policy.to_string() });
        }
        let change = if steps.is_empty() { Change::Keep } else { Change::Update };
        let row = SharedChange::new(ResourceKind::Repository, &repo.name, change).with_steps(steps);
        rows.push(match (repo.scan_on_push, lifecycle_ok) {
            (true, true) => row,
            (false, _) => row.because("scan on push off"),
            (true, false) => row.because(format!("lifecycle: keep the newest {keep}")),
        });
    }
    rows
}

fn instance_role(actual: &Actual) -> Vec<SharedChange> {
    let names = &actual.names;
    let role = match actual.role {
        Some(_) => SharedChange::new(ResourceKind::InstanceRole, &names.instance_role, Change::Keep),
        None => SharedChange::new(ResourceKind::InstanceRole, &names.instance_role, Change::Create).with_steps(vec![
            Step::CreateRole { name: names.instance_role.clone(), trust_policy: desired::trust_policy() },
        ]),
    };
    let policy = super::msk_iam::with_cluster_access(
        desired::instance_policy(&actual.scope, names),
        actual.msk_iam_cluster.as_deref(),
    );
    let policy_change = match &actual.role_policy {
        None => Change::Create,
        Some(text) if desired::same_json(text, &policy) => Change::Keep,
        Some(_) => Change::Update,
    };
    let put_policy = Step::PutRolePolicy {
        role: names.instance_role.clone(),
        name: names.role_policy.clone(),
        policy: policy.to_string(),
    };
    let policy = SharedChange::new(ResourceKind::RolePolicy, &names.role_policy, policy_change)
        .with_steps(if policy_change == Change::Keep { Vec::new() } else { vec![put_policy] });
    let add_role =
        Step::AddRoleToInstanceProfile { profile: names.instance_profile.clone(), role: names.instance_role.clone() };
    let (profile_change, steps) = match &actual.instance_profile {
        None => (Change::Create, vec![Step::CreateInstanceProfile { name: names.instance_profile.clone() }, add_role]),
        Some(profile) if profile.roles.contains(&names.instance_role) => (Change::Keep, Vec::new()),
        Some(_) => (Change::Update, vec![add_role]),
    };
    let profile =
        SharedChange::new(ResourceKind::InstanceProfile, &names.instance_profile, profile_change).with_steps(steps);
    vec![role, policy, profile]
}

/// A secret neither stored nor given stays a `create` without a step:
/// `deploy` refuses it before applying anything.
fn secrets(actual: &Actual) -> Vec<SharedChange> {
    let rows = actual.secrets.iter().map(|secret| {
        let change = secret.change();
        let steps = match &secret.given {
            Some(value) if change != Change::Keep => vec![Step::PutSecret {
                parameter: secret.parameter.clone(),
                value: value.clone(),
                overwrite: secret.stored.is_some(),
            }],
            _ => Vec::new(),
        };
        SharedChange::new(ResourceKind::Secret, &secret.parameter, change).with_steps(steps)
    });
    rows.collect()
}

/// The producer's front door: its two security groups, the target group
/// with its `/ready` health check, the load balancer and its listeners.
fn front(actual: &Actual, target: &Target<'_>) -> Vec<SharedChange> {
    let names = &actual.names;
    let mut rows = Vec::new();
    let descriptions = [(LB_SG_DESCRIPTION, LB_RULE_DESCRIPTION), (PRODUCER_SG_DESCRIPTION, PRODUCER_RULE_DESCRIPTION)];
    for ((name, desired), descriptions) in target.front_rules(actual).into_iter().zip(descriptions) {
        rows.push(security_group(actual, name, &desired, descriptions));
    }

    let (change, steps) = match &actual.target_group {
        None => (
            Change::Create,
            vec![Step::CreateTargetGroup {
                name: names.target_group.clone(),
                vpc_id: actual.vpc_id.clone(),
                port: target.environment.producer_port,
                health_check_path: READY_PATH,
            }],
        ),
        Some(group) if group.health_check_path == READY_PATH => (Change::Keep, Vec::new()),
        Some(group) => {
            (Change::Update, vec![Step::SetHealthCheckPath { target_group: group.clone(), path: READY_PATH }])
        }
    };
    rows.push(
        SharedChange::new(ResourceKind::TargetGroup, &names.target_group, change)
            .because(format!("health check {READY_PATH}"))
            .with_steps(steps),
    );

    rows.push(match &actual.load_balancer {
        Some(_) => SharedChange::new(ResourceKind::LoadBalancer, &names.load_balancer, Change::Keep),
        None => {
            let security_group = match actual.security_group(&names.load_balancer_sg) {
                Some(group) => group.id.clone(),
                None => Pending::SecurityGroup.id(&names.load_balancer_sg),
            };
            let create = Step::CreateLoadBalancer {
                name: names.load_balancer.clone(),
                scheme: target.environment.services.load_balancer_scheme.as_str(),
                subnets: actual.subnet_ids(),
                security_group,
            };
            SharedChange::new(ResourceKind::LoadBalancer, &names.load_balancer, Change::Create).with_steps(vec![create])
        }
    });

    let target_group_arn = match &actual.target_group {
        Some(group) => group.arn.clone(),
        None => Pending::TargetGroup.id(&names.target_group),
    };
    let changes = listener_changes(&actual.listeners, &desired::listeners(target.certificate_arn(), &target_group_arn));
    let change = match (changes.is_empty(), actual.listeners.is_empty()) {
        (true, _) => Change::Keep,
        (false, true) => Change::Create,
        (false, false) => Change::Update,
    };
    let mut row = SharedChange::new(ResourceKind::Listeners, &names.load_balancer, change);
    if !changes.is_empty() {
        let steps = changes
            .create
            .iter()
            .map(|listener| Step::CreateListener(listener.clone()))
            // Routes before the default actions change: /v1 is served throughout.
            .chain(
                changes
                    .create_routes
                    .iter()
                    .map(|(listener, route)| Step::CreateRule { listener: listener.clone(), route: route.clone() }),
            )
            .chain(
                changes
                    .modify
                    .iter()
                    .map(|(arn, listener)| Step::ModifyListener { arn: arn.clone(), listener: listener.clone() }),
            )
            .chain(changes.delete_routes.iter().map(|route| Step::DeleteRule { arn: route.arn.clone() }))
            .chain(changes.delete.iter().map(|listener| Step::DeleteListener { arn: listener.arn.clone() }));
        row = row.because(changes.describe()).with_steps(steps.collect());
    }
    rows.push(row);
    rows
}

/// Plans one role's counts and what changes. `desired` is the launch
/// template data the role should run.
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
    let (launch_template, template_changes) = match (&observed.group_template, &observed.template) {
        (_, None) => (Change::Create, vec!["new"]),
        (None, Some(_)) => (Change::Update, vec!["version"]),
        (Some(current), Some(_)) => {
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
    Some(FleetRolePlan {
        summary,
        current_bounds,
        launch_template,
        template_changes,
        scaling_policy,
        lag_policy: None,
        group_metrics: Change::Keep,
        refused: None,
        steps: Vec::new(),
    })
}

/// The template version the role runs (reusing one that already holds
/// `desired`), its group's size, the rollout to it, the scaling policy.
fn role_steps(
    actual: &Actual,
    target: &Target<'_>,
    observed: &ObservedRole,
    desired: TemplateData,
    plan: &mut FleetRolePlan,
) {
    let names = &actual.names;
    let role = plan.role();
    let matches = |version: &&TemplateVersion| template_changes(version, &desired, target.version).is_empty();
    let description = version_description(target.version);
    let reuse = observed.group_template.as_ref().filter(matches).or(observed.latest_template.as_ref().filter(matches));
    // The version the role runs after this deploy, when it exists already.
    let (template_step, number) = match (&observed.template, reuse) {
        (None, _) => {
            (Step::CreateLaunchTemplate { name: names.launch_template(role), data: desired, description }, None)
        }
        (Some(template), Some(version)) => (
            Step::UseTemplateVersion { template_id: template.id.clone(), number: version.number },
            Some(version.number),
        ),
        (Some(template), None) => {
            (Step::CreateTemplateVersion { template: template.clone(), data: desired, description }, None)
        }
    };
    let mut steps = vec![template_step];
    let group_name = names.group(role);
    let summary = &plan.summary;
    match &observed.group {
        None => steps.push(Step::CreateGroup {
            name: group_name.clone(),
            min: summary.min,
            max: summary.max,
            desired: summary.min,
            subnets: actual.subnet_ids(),
            target_group: (role == RoleName::Producer).then(|| match &actual.target_group {
                Some(group) => group.arn.clone(),
                None => Pending::TargetGroup.id(&names.target_group),
            }),
        }),
        Some(group) => {
            if (group.min, group.max, group.desired) != (summary.min, summary.max, summary.new_count) {
                steps.push(Step::UpdateSize {
                    name: group_name.clone(),
                    from: (group.min, group.max),
                    min: summary.min,
                    max: summary.max,
                    desired: summary.new_count,
                });
            }
            let current = group.template.as_ref().and_then(|reference| reference.number());
            if number.is_none() || current != number {
                let wanted = number.map(|number| number.to_string());
                match &observed.active_refresh {
                    Some(running) if wanted.is_some() && running.target_version == wanted => {
                        steps.push(Step::FollowRefresh { group: group_name.clone(), refresh_id: running.id.clone() })
                    }
                    Some(running) => {
                        plan.refused =
                            Some(Refusal::RefreshInProgress { group: group_name, refresh_id: running.id.clone() });
                        return;
                    }
                    None => steps.push(Step::StartRefresh { group: group_name.clone() }),
                }
            }
        }
    }
    if plan.scaling_policy != Change::Keep {
        steps.push(Step::PutCpuTarget {
            group: group_name,
            policy: names.scaling_policy(role),
            target_percent: CPU_TARGET_PERCENT,
        });
    }
    plan.steps = steps;
}
