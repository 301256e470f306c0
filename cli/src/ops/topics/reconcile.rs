//! `topics plan`, `sync` and `check`: read the cluster, plan against the
//! tier's topics, and apply. `sync` is also the library entry point that
//! `provision` calls at its end.

use std::time::Instant;

use serde::Serialize;

use crate::aws::AwsClients;
use crate::ops::context::RunContext;
use crate::ops::topics::target::{connect, connect_known, Target};
pub use crate::ops::topics::target::{KnownCluster, TargetOptions, Via};
use crate::profile::{self, Profile, ProfileSource, ResolveOptions, TopicSpec};
use crate::progress::Progress;
use crate::topics::{self, BackendKind, Change, Plan, PlanOptions, RequestCounts, TopicBackend, TopicsError};

/// What to plan: the cluster, the tier and which topics count.
#[derive(Debug, Clone)]
pub struct TopicsOptions {
    pub target: TargetOptions,
    pub profiles: ProfileSource,
    /// `--tier`; the environment's tier when `None`.
    pub tier: Option<String>,
    /// Only topics starting with this are listed, compared or pruned.
    pub scope: Option<String>,
}

impl TopicsOptions {
    /// All of a tier's topics on an environment's cluster, with the default
    /// batching: what provision, status and the local provider read.
    pub fn for_tier(context: &RunContext, tier: Option<String>, via: Via) -> Self {
        Self {
            target: TargetOptions {
                environment: context.environment.clone(),
                via,
                bootstrap: None,
                cluster_arn: None,
                aws: None,
                batching: topics::Batching::default(),
            },
            profiles: context.profiles.clone(),
            tier,
            scope: None,
        }
    }

    /// On an MSK cluster the command found already, with the run's clients.
    pub fn on_cluster(mut self, cluster_arn: String, clients: AwsClients) -> Self {
        self.target.cluster_arn = Some(cluster_arn);
        self.target.aws = Some(clients);
        self
    }
}

#[derive(Debug, Clone)]
pub struct TopicsSyncOptions {
    pub topics: TopicsOptions,
    pub dry_run: bool,
    pub prune: bool,
    /// `--yes`: delete without asking (pruning is the only destructive step).
    pub assume_yes: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    pub tier: String,
    pub india: bool,
    pub backend: BackendKind,
    /// Bootstrap servers or the MSK cluster ARN.
    pub target: String,
    pub plan: Plan,
    pub in_sync: bool,
    pub requests: RequestCounts,
    pub elapsed_ms: u128,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub tier: String,
    pub india: bool,
    pub backend: BackendKind,
    pub target: String,
    pub dry_run: bool,
    /// The plan as read before applying.
    pub plan: Plan,
    /// The rows that were applied (all changes of the plan, or none on a dry run).
    pub applied: Vec<Change>,
    pub requests: RequestCounts,
    pub elapsed_ms: u128,
}

/// The tier's profile with the environment's India switch.
pub fn desired(options: &TopicsOptions) -> Result<Profile, TopicsError> {
    let env = &options.target.environment;
    let tier = env.tier_or(options.tier.as_deref())?;
    Ok(profile::load_tier(&options.profiles, &tier, ResolveOptions { india: env.india })?)
}

fn plan_options(options: &TopicsOptions, profile: &Profile, prune: bool) -> PlanOptions {
    // The dead-letter topics of excluded topics are excluded with them.
    let suffix = profile.dead_letter.as_ref().map(|d| d.suffix.clone());
    let mut india_excluded = profile.india_excluded_topics.clone();
    if let Some(suffix) = suffix {
        india_excluded.extend(profile.india_excluded_topics.iter().map(|t| format!("{t}{suffix}")));
    }
    PlanOptions { prune, scope: options.scope.clone(), india_excluded }
}

/// Everything forgectl manages for the tier: its topics and their
/// dead-letter topics.
fn desired_topics(profile: &Profile) -> Vec<TopicSpec> {
    profile.managed_topics()
}

async fn read_plan<B: TopicBackend>(backend: &B, profile: &Profile, options: PlanOptions) -> Result<Plan, TopicsError> {
    let desired = desired_topics(profile);
    let names: Vec<String> = desired.iter().map(|t| t.name.clone()).collect();
    let state = backend.read_state(&names).await?;
    Ok(topics::plan(&desired, &state, &options))
}

/// Reads the cluster and plans; changes nothing.
pub async fn plan(options: &TopicsOptions, progress: &dyn Progress) -> Result<PlanReport, TopicsError> {
    plan_with_prune(options, false, progress).await
}

/// `plan`, with unmanaged topics shown as deletions when `prune` is set.
pub async fn plan_with_prune(
    options: &TopicsOptions,
    prune: bool,
    progress: &dyn Progress,
) -> Result<PlanReport, TopicsError> {
    let started = Instant::now();
    let profile = desired(options)?;
    let target = connect(&options.target, progress).await?;
    let where_ = target.describe();
    let plan_options = plan_options(options, &profile, prune);
    let (plan, backend, requests) = match &target {
        Target::Kafka { backend, .. } => {
            (read_plan(backend, &profile, plan_options).await?, backend.kind(), backend.requests())
        }
        Target::Msk { backend, .. } => {
            (read_plan(backend, &profile, plan_options).await?, backend.kind(), backend.requests())
        }
    };
    Ok(PlanReport {
        tier: profile.tier,
        india: profile.india,
        backend,
        target: where_,
        in_sync: !plan.has_drift(),
        plan,
        requests,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// What the cluster holds of `names` (partitions, replication, overrides),
/// and where it was read: for `profiles from-cluster`, which writes a tier
/// from it rather than comparing.
pub async fn read_state(
    options: &TopicsOptions,
    names: &[String],
    progress: &dyn Progress,
) -> Result<(topics::ClusterState, String), TopicsError> {
    let target = connect(&options.target, progress).await?;
    let state = match &target {
        Target::Kafka { backend, .. } => backend.read_state(names).await?,
        Target::Msk { backend, .. } => backend.read_state(names).await?,
    };
    Ok((state, target.describe()))
}

/// Plans and applies. Refusals stop it before any change (exit 2); pruning
/// asks first. Returns what was applied.
pub async fn sync(options: &TopicsSyncOptions, progress: &dyn Progress) -> Result<SyncReport, TopicsError> {
    let started = Instant::now();
    let profile = desired(&options.topics)?;
    let target = connect(&options.topics.target, progress).await?;
    sync_on(options, profile, target, started, progress).await
}

/// `sync` for a caller that loaded the tier's profile and found the cluster
/// already (`provision`): no second profile load, client build or broker lookup.
pub async fn sync_known(
    options: &TopicsSyncOptions,
    profile: Profile,
    known: KnownCluster,
    progress: &dyn Progress,
) -> Result<SyncReport, TopicsError> {
    let started = Instant::now();
    let target = connect_known(&options.topics.target, known, progress).await?;
    sync_on(options, profile, target, started, progress).await
}

async fn sync_on(
    options: &TopicsSyncOptions,
    profile: Profile,
    target: Target,
    started: Instant,
    progress: &dyn Progress,
) -> Result<SyncReport, TopicsError> {
    let where_ = target.describe();
    let (backend, plan, applied, requests) = match &target {
        Target::Kafka { backend, .. } => {
            let (plan, applied) = sync_with(backend, &profile, options, progress).await?;
            (backend.kind(), plan, applied, backend.requests())
        }
        Target::Msk { backend, .. } => {
            let (plan, applied) = sync_with(backend, &profile, options, progress).await?;
            (backend.kind(), plan, applied, backend.requests())
        }
    };
    Ok(SyncReport {
        tier: profile.tier,
        india: profile.india,
        backend,
        target: where_,
        dry_run: options.dry_run,
        plan,
        applied,
        requests,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// The sync itself, against any backend: creates (one request), partition
/// increases, config sets, then deletions.
pub async fn sync_with<B: TopicBackend>(
    backend: &B,
    profile: &Profile,
    options: &TopicsSyncOptions,
    progress: &dyn Progress,
) -> Result<(Plan, Vec<Change>), TopicsError> {
    let plan = read_plan(backend, profile, plan_options(&options.topics, profile, options.prune)).await?;
    refuse_if_needed(&plan, progress)?;
    let applied: Vec<Change> = plan.changes.iter().filter(|c| c.action.is_change()).cloned().collect();
    if options.dry_run || applied.is_empty() {
        return Ok((plan, if options.dry_run { Vec::new() } else { applied }));
    }
    let deletions = plan.deletions();
    if !deletions.is_empty() {
        // Asked before anything changes, so declining leaves the cluster as it was.
        if !options.assume_yes {
            progress.approve(&format!("Delete {} unmanaged topic(s): {}", deletions.len(), deletions.join(", ")))?;
        }
    }
    for warning in &plan.warnings {
        progress.warn(warning);
    }
    let creates: Vec<_> = plan.creates(&desired_topics(profile)).into_iter().cloned().collect();
    if !creates.is_empty() {
        progress.info(format!("creating {} topic(s) via {}", creates.len(), backend.kind().as_str()));
        backend.create_topics(&creates).await?;
    }
    let increases = plan.partition_increases();
    if !increases.is_empty() {
        progress.info(format!("raising partitions on {} topic(s)", increases.len()));
        backend.increase_partitions(&increases).await?;
    }
    let configs = plan.config_changes();
    if !configs.is_empty() {
        progress.info(format!("setting configs on {} topic(s)", configs.len()));
        backend.set_configs(&configs).await?;
    }
    if !deletions.is_empty() {
        progress.info(format!("deleting {} unmanaged topic(s)", deletions.len()));
        backend.delete_topics(&deletions).await?;
    }
    Ok((plan, applied))
}

/// Refused changes end the run before anything is sent, each one named.
fn refuse_if_needed(plan: &Plan, progress: &dyn Progress) -> Result<(), TopicsError> {
    let refused: Vec<&Change> = plan.refusals().collect();
    let Some(first) = refused.first() else {
        return Ok(());
    };
    for change in &refused {
        if let topics::Action::Refused { reason } = &change.action {
            progress.warn(format!("refused: {} {}: {reason}", change.topic, change.field));
        }
    }
    let reason = match &first.action {
        topics::Action::Refused { reason } => reason.clone(),
        _ => String::new(),
    };
    Err(TopicsError::Refused { count: refused.len(), topic: first.topic.clone(), field: first.field.clone(), reason })
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
