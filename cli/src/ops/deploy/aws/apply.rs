//! Applies an aws deploy plan: shared resources first (images' repository
//! settings, IAM, secrets, load balancer), then each role's launch template
//! and Auto Scaling group, then the rolling updates.

pub use crate::fleet::producer_url;
use std::time::Duration;

use backon::{ConstantBuilder, Retryable};
use serde::Serialize;

use crate::aws::autoscaling::{self, GroupSpec};
use crate::aws::launch_template::{self, LaunchTemplate};
use crate::aws::{ecr, iam, ssm, AwsClients, AwsError, AwsErrorKind};
use crate::console::Console;
use crate::fleet::desired::{self, version_description};
use crate::fleet::plan::{template_changes, Change, FleetPlan, FleetRolePlan, SharedChange};
use crate::fleet::roles::RoleAction;
use crate::fleet::FleetError;
use crate::naming::{environment_tags, TAG_NAME};
use crate::ops::deploy::aws::applier::Applier;
use crate::ops::deploy::aws::front::Front;
use crate::ops::deploy::aws::observe::{AwsDeployOptions, Fleet};
use crate::ops::deploy::aws::plan::{group_of, template_for};
use crate::ops::deploy::aws::rollout::{self, PendingRollout, RolloutOutcome};
use crate::profile::RoleName;

/// Seconds a new instance gets to boot, pull and start before health
/// checks count (Docker install and image pull on AL2023).
const HEALTH_CHECK_GRACE_SECONDS: i32 = 300;
/// IAM is eventually consistent: a just-created instance profile can be
/// refused by Auto Scaling for a few seconds.
const IAM_PROPAGATION_ATTEMPTS: usize = 10;
const IAM_PROPAGATION_PAUSE: Duration = Duration::from_secs(6);

#[derive(Debug, Clone, Serialize)]
pub struct RoleResult {
    pub role: RoleName,
    pub action: RoleAction,
    pub group: String,
    pub launch_template_version: i64,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub rollout: Option<RolloutOutcome>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AwsDeployReport {
    pub environment: String,
    pub version: String,
    pub applied: Vec<SharedChange>,
    pub roles: Vec<RoleResult>,
    /// The producer API's address on its load balancer.
    pub producer_url: Option<String>,
}

pub async fn apply(
    clients: &AwsClients,
    options: &AwsDeployOptions,
    fleet: &Fleet,
    plan: &FleetPlan,
    console: &Console,
) -> Result<AwsDeployReport, FleetError> {
    let tags = environment_tags(&options.environment);
    let applier = Applier { clients, options, fleet, console, tags };
    let applied: Vec<SharedChange> = plan.shared.iter().filter(|s| s.change != Change::Keep).cloned().collect();
    applier.repositories(plan).await?;
    applier.instance_role(plan).await?;
    applier.secrets().await?;
    let front = if plan.roles.iter().any(|r| r.role() == RoleName::Producer) {
        Some(applier.load_balancer().await?)
    } else {
        None
    };

    let mut results = Vec::new();
    let mut rollouts = Vec::new();
    for role_plan in &plan.roles {
        let (result, rollout) = applier.role(role_plan, front.as_ref()).await?;
        results.push(result);
        rollouts.extend(rollout);
    }
    let outcomes = rollout::follow(clients, rollouts, options.batch_timeout, options.poll_interval, console).await?;
    for result in &mut results {
        result.rollout = outcomes.get(&result.role).cloned();
    }
    let failed = rollout::failures(&outcomes, &options.version, &options.environment.name);
    if let Some(error) = failed {
        return Err(error);
    }
    Ok(AwsDeployReport {
        environment: options.environment.name.clone(),
        version: options.version.clone(),
        applied,
        roles: results,
        producer_url: front.map(|front| producer_url(&options.environment, &front.dns_name)),
    })
}

fn change_of(plan: &FleetPlan, kind: &str) -> Change {
    plan.shared.iter().find(|s| s.kind == kind).map(|s| s.change).unwrap_or(Change::Keep)
}

impl Applier<'_> {
    async fn repositories(&self, plan: &FleetPlan) -> Result<(), FleetError> {
        let keep = self.options.environment.services.keep_images;
        for repo in &self.fleet.repositories {
            let planned = plan.shared.iter().find(|s| s.kind == "ecr repository" && s.name == repo.name);
            if planned.is_none_or(|s| s.change == Change::Keep) {
                continue;
            }
            if !repo.scan_on_push {
                ecr::enable_scan_on_push(&self.clients.ecr, &repo.name).await?;
            }
            let policy = desired::lifecycle_policy(keep);
            let current = self.fleet.lifecycle_policies.get(&repo.name).cloned().flatten();
            if !current.is_some_and(|text| desired::same_json(&text, &policy)) {
                ecr::put_lifecycle_policy(&self.clients.ecr, &repo.name, &policy.to_string()).await?;
            }
            self.console.info(format!("ecr repository {}: scan on push, keep the newest {keep} images", repo.name));
        }
        Ok(())
    }

    async fn instance_role(&self, plan: &FleetPlan) -> Result<(), FleetError> {
        let names = &self.fleet.names;
        if self.fleet.role.is_none() {
            iam::create_role(
                &self.clients.iam,
                &names.instance_role,
                &desired::trust_policy(),
                "forgectl: the services' EC2 instances",
                &self.tags,
            )
            .await?;
            self.console.info(format!("iam role {}: created", names.instance_role));
        }
        if change_of(plan, "iam role policy") != Change::Keep {
            let policy = desired::instance_policy(&self.fleet.scope, names);
            iam::put_role_policy(&self.clients.iam, &names.instance_role, &names.role_policy, &policy.to_string())
                .await?;
            self.console
                .info(format!("iam role policy {}: ECR pull, {}*, logs", names.role_policy, names.secrets_path));
        }
        match &self.fleet.instance_profile {
            None => {
                iam::create_instance_profile(&self.clients.iam, &names.instance_profile, &self.tags).await?;
                iam::add_role_to_instance_profile(&self.clients.iam, &names.instance_profile, &names.instance_role)
                    .await?;
                self.console.info(format!("instance profile {}: created", names.instance_profile));
            }
            Some(profile) if !profile.roles.contains(&names.instance_role) => {
                iam::add_role_to_instance_profile(&self.clients.iam, &names.instance_profile, &names.instance_role)
                    .await?;
            }
            Some(_) => {}
        }
        Ok(())
    }

    async fn secrets(&self) -> Result<(), FleetError> {
        for secret in &self.fleet.secrets {
            let Some(given) = &secret.given else { continue };
            if secret.stored.as_ref() == Some(given) {
                continue;
            }
            ssm::put_secret(&self.clients.ssm, &secret.parameter, given, secret.stored.is_some(), &self.tags).await?;
            // The name only: the value never reaches a log.
            self.console.info(format!("ssm parameter {}: stored as SecureString", secret.parameter));
        }
        Ok(())
    }

    /// Launch template, group, scaling policy; returns the refresh to follow, if any.
    async fn role(
        &self,
        plan: &FleetRolePlan,
        front: Option<&Front>,
    ) -> Result<(RoleResult, Option<PendingRollout>), FleetError> {
        let role = plan.role();
        let names = &self.fleet.names;
        let summary = &plan.summary;
        let desired = template_for(self.fleet, self.options, role, front.map(|f| f.producer_sg.as_str()))?;
        let description = version_description(&self.options.version);
        let observed = self.fleet.roles.get(&role).cloned().unwrap_or_default();
        let (template, number) = match self.fleet.templates.get(&role) {
            None => {
                let template = launch_template::create(
                    &self.clients.ec2,
                    &names.launch_template(role),
                    &desired,
                    &description,
                    &self.tags,
                )
                .await?;
                (template, 1)
            }
            Some(template) => {
                let current = observed.group_template.as_ref();
                let unchanged = current
                    .is_some_and(|current| template_changes(current, &desired, &self.options.version).is_empty());
                let reusable = match unchanged {
                    true => None,
                    false => launch_template::versions(&self.clients.ec2, &template.id, &[template.latest_version])
                        .await?
                        .into_iter()
                        .find(|latest| template_changes(latest, &desired, &self.options.version).is_empty())
                        .map(|latest| latest.number),
                };
                match (current, reusable) {
                    (Some(current), _) if unchanged => (template.clone(), current.number),
                    // A run that stopped after publishing this version: use it.
                    (_, Some(number)) => (template.clone(), number),
                    _ => {
                        let number =
                            launch_template::create_version(&self.clients.ec2, template, &desired, &description)
                                .await?;
                        self.console
                            .info(format!("launch template {}: version {number} ({description})", template.name));
                        (LaunchTemplate { latest_version: number, ..template.clone() }, number)
                    }
                }
            }
        };

        let group_name = names.group(role);
        let mut rollout = None;
        let desired_count;
        match group_of(self.fleet, role) {
            None => {
                desired_count = summary.min;
                self.create_group(role, &group_name, &template, number, front).await?;
                self.console.info(format!(
                    "auto scaling group {group_name}: created, {}..{} instances, {desired_count} now",
                    summary.min, summary.max
                ));
            }
            Some(group) => {
                desired_count = summary.new_count;
                if (group.min, group.max, group.desired) != (summary.min, summary.max, desired_count) {
                    autoscaling::update_size(
                        &self.clients.autoscaling,
                        &group_name,
                        summary.min,
                        summary.max,
                        desired_count,
                    )
                    .await?;
                    self.console.info(format!(
                        "auto scaling group {group_name}: {}..{} -> {}..{} instances, {desired_count} now",
                        group.min, group.max, summary.min, summary.max
                    ));
                }
                let current_number = group.template.as_ref().and_then(|t| t.number());
                let running = match current_number != Some(number) {
                    true => autoscaling::active_refresh(&self.clients.autoscaling, &group_name).await?,
                    false => None,
                };
                if let Some(running) = running {
                    // An earlier run's rollout is still going (the command
                    // was interrupted): follow it if it goes where this one would.
                    if running.target_version.as_deref() != Some(number.to_string().as_str()) {
                        return Err(FleetError::RefreshInProgress { group: group_name, id: running.id });
                    }
                    self.console
                        .info(format!("auto scaling group {group_name}: following instance refresh {}", running.id));
                    rollout = Some(PendingRollout { role, group: group_name.clone(), refresh_id: running.id });
                } else if current_number != Some(number) {
                    let id = autoscaling::start_refresh(
                        &self.clients.autoscaling,
                        &group_name,
                        &template.id,
                        number,
                        rollout::REFRESH_PLAN,
                    )
                    .await?;
                    self.console
                        .info(format!("auto scaling group {group_name}: instance refresh {id} to version {number}"));
                    rollout = Some(PendingRollout { role, group: group_name.clone(), refresh_id: id });
                }
            }
        }
        if plan.scaling_policy != Change::Keep {
            autoscaling::put_cpu_target(
                &self.clients.autoscaling,
                &group_name,
                &names.scaling_policy(role),
                crate::fleet::plan::CPU_TARGET_PERCENT,
            )
            .await?;
        }
        let result = RoleResult {
            role,
            action: summary.action,
            group: group_name,
            launch_template_version: number,
            min: summary.min,
            max: summary.max,
            desired: desired_count,
            rollout: None,
        };
        Ok((result, rollout))
    }

    async fn create_group(
        &self,
        role: RoleName,
        name: &str,
        template: &LaunchTemplate,
        number: i64,
        front: Option<&Front>,
    ) -> Result<(), FleetError> {
        let subnets: Vec<String> = self.fleet.subnets.iter().map(|subnet| subnet.id.clone()).collect();
        let target_groups: Vec<String> = match (role, front) {
            (RoleName::Producer, Some(front)) => vec![front.target_group.arn.clone()],
            _ => Vec::new(),
        };
        let spec = self.options.profile.role(role);
        let mut tags = self.tags.clone();
        tags.insert(TAG_NAME.into(), name.to_string());
        let group = GroupSpec {
            name,
            template_id: &template.id,
            template_version: number,
            min: spec.map(|s| s.min).unwrap_or(0),
            max: spec.map(|s| s.max).unwrap_or(0),
            desired: spec.map(|s| s.min).unwrap_or(0),
            subnet_ids: &subnets,
            target_group_arns: &target_groups,
            elb_health_check: !target_groups.is_empty(),
            health_check_grace_seconds: HEALTH_CHECK_GRACE_SECONDS,
            tags: &tags,
        };
        let pauses =
            ConstantBuilder::default().with_delay(IAM_PROPAGATION_PAUSE).with_max_times(IAM_PROPAGATION_ATTEMPTS - 1);
        let create = || autoscaling::create_group(&self.clients.autoscaling, &group);
        create
            .retry(pauses)
            .when(is_profile_not_ready)
            .notify(|_, _| {
                self.console
                    .info(format!("{name}: the new instance profile is not visible to Auto Scaling yet; retrying"))
            })
            .await
            .map_err(Into::into)
    }
}

fn is_profile_not_ready(error: &AwsError) -> bool {
    error.is(AwsErrorKind::InvalidInput) && error.message.to_ascii_lowercase().contains("instance profile")
}
