//! Applies an aws deploy plan: the shared resources' steps in the plan's
//! order, then each role's (launch template, group, scaling policy), then
//! follows the instance refreshes. It executes the plan's steps and nothing else.

pub use crate::fleet::producer_url;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::AwsClients;
use crate::fleet::plan::{Change, FleetPlan, SharedChange};
use crate::fleet::roles::RoleAction;
use crate::fleet::FleetError;
use crate::naming::environment_tags;
use crate::naming::fleet::FleetNames;
use crate::ops::deploy::aws::applier::{Applier, RoleOutcome};
use crate::ops::deploy::aws::observe::AwsDeployOptions;
use crate::ops::deploy::aws::rollout::{self, PendingRollout, RolloutOutcome};
use crate::profile::RoleName;
use crate::progress::Progress;

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
    plan: &FleetPlan,
    progress: &dyn Progress,
) -> Result<AwsDeployReport, FleetError> {
    if let Some(refusal) = plan.refusal() {
        return Err(refusal.clone().into());
    }
    let names = FleetNames::for_env(&options.environment);
    let mut applier = Applier {
        aws: clients,
        progress,
        tags: environment_tags(&options.environment),
        names,
        bound: BTreeMap::new(),
        load_balancer: plan.load_balancer.clone(),
    };
    let mut none = RoleOutcome::default();
    for shared in &plan.shared {
        applier.run(&shared.steps, &mut none).await?;
    }

    let mut results = Vec::new();
    let mut rollouts = Vec::new();
    for role_plan in &plan.roles {
        let mut outcome = RoleOutcome::default();
        applier.run(&role_plan.steps, &mut outcome).await?;
        let summary = &role_plan.summary;
        let group = applier.names.group(summary.role);
        // Every role plan settles on a template version; none is a bug, not version 0.
        let (_, launch_template_version) = applier.template_of(&group, &outcome)?;
        if let Some(refresh_id) = outcome.refresh_id {
            rollouts.push(PendingRollout { role: summary.role, group: group.clone(), refresh_id });
        }
        results.push(RoleResult {
            role: summary.role,
            action: summary.action,
            group,
            launch_template_version,
            min: summary.min,
            max: summary.max,
            desired: summary.new_count,
            rollout: None,
        });
    }
    let outcomes = rollout::follow(clients, rollouts, options.batch_timeout, options.poll_interval, progress).await?;
    for result in &mut results {
        result.rollout = outcomes.get(&result.role).cloned();
    }
    if let Some(error) = rollout::failures(&outcomes, &options.version, &options.environment.name) {
        return Err(error);
    }
    let producer_url = match (plan.serves_producer, &applier.load_balancer) {
        (true, Some(lb)) => Some(producer_url(&options.environment, &lb.dns_name)),
        _ => None,
    };
    Ok(AwsDeployReport {
        environment: options.environment.name.clone(),
        version: options.version.clone(),
        applied: plan.shared.iter().filter(|s| s.change != Change::Keep).cloned().collect(),
        roles: results,
        producer_url,
    })
}
