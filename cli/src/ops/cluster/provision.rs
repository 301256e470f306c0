//! `forgectl provision`: plan, confirm, apply in dependency order, wait
//! (bounded, interruptible), print the bootstrap brokers, sync the topics.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::aws::msk::{self, MskCluster};
use crate::cluster::{self, ControlPlaneError, Plan};
use crate::console::ConsoleError;
use crate::ops::cluster::apply::{Applied, Applier};
use crate::ops::cluster::plan::{observe, prepare, Prepared};
use crate::ops::cluster::scram;
use crate::ops::cluster::wait::Deadline;
use crate::ops::cluster::ClusterOpError;
use crate::ops::context::RunContext;
use crate::ops::topics::reconcile::{self as topics_ops, KnownCluster, TopicsOptions, TopicsSyncOptions, Via};
use crate::progress::Progress;
use crate::topics::TopicsError;

/// Default bound on waiting: MSK documents cluster creation at up to about
/// 60 minutes (broker type changes take ~15 minutes per broker pair), plus
/// headroom so a slow but healthy create is not abandoned.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(90 * 60);

#[derive(Debug, Clone)]
pub struct ProvisionOptions {
    /// `--tier`; the environment's `tier` when `None`.
    pub tier: Option<String>,
    pub assume_yes: bool,
    pub dry_run: bool,
    pub timeout: Duration,
    pub skip_topics: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProvisionReport {
    pub env: String,
    pub tier: String,
    pub dry_run: bool,
    pub plan: Plan,
    pub applied: Vec<Applied>,
    pub cluster: MskCluster,
    pub client_auth: String,
    /// The bootstrap string for the environment's client auth mode.
    pub bootstrap_brokers: Option<String>,
    /// A one-line summary of `topics sync`; `None` with `--skip-topics`.
    pub topics: Option<String>,
    pub elapsed_ms: u128,
}

/// What provision ends with.
pub enum Provisioned {
    Report(Box<ProvisionReport>),
    /// `--dry-run` where there is no cluster yet to report on: only the plan.
    PlanOnly(Plan),
}

/// The command's say between planning and applying: it shows the plan and,
/// when something is pending and this is no dry run, asks to go ahead.
pub trait Review {
    fn review(&self, plan: &Plan, will_apply: bool) -> Result<(), ConsoleError>;
}

pub async fn provision(
    context: &RunContext,
    options: &ProvisionOptions,
    review: &dyn Review,
    progress: &dyn Progress,
) -> Result<Provisioned, ClusterOpError> {
    let prepared = prepare(context, options.tier.as_deref())?;
    let started = Instant::now();
    let target = &prepared.target;
    let clients = context.aws().await;
    let actual = observe(clients, target).await?;
    let plan = cluster::plan(target, &actual);
    if plan.refused {
        review.review(&plan, false)?;
        return Err(ControlPlaneError::Refused { env: target.env.clone(), reasons: plan.refusals() }.into());
    }
    review.review(&plan, !options.dry_run && plan.pending)?;
    if options.dry_run {
        return Ok(match actual.cluster.clone() {
            Some(cluster) => {
                Provisioned::Report(Box::new(report(&prepared, plan, Vec::new(), cluster, None, None, true, started)))
            }
            None => Provisioned::PlanOnly(plan),
        });
    }

    let applier = Applier { aws: clients, progress, target, deadline: Deadline::after(options.timeout) };
    // Ctrl-C drops the apply at its next await: whatever AWS has accepted
    // stays, tagged, and the next run's plan picks it up.
    let (applied, cluster) = tokio::select! {
        result = applier.apply(&plan, &actual) => result?,
        _ = tokio::signal::ctrl_c() => {
            return Err(ControlPlaneError::Interrupted { what: format!("provisioning environment {}", target.env) }.into())
        }
    };
    let mut applied = applied;
    applied.extend(scram::apply(clients, target, &plan, &actual.scram, &cluster, progress).await?);
    let brokers = msk::bootstrap_brokers(&clients.kafka, &cluster.arn).await.map_err(ControlPlaneError::from)?;
    let bootstrap = brokers.for_auth(target.cluster.client_auth).map(str::to_string);

    // Topic sync goes on with this run's profile, clients, cluster and brokers.
    let known = KnownCluster { clients: clients.clone(), cluster_arn: cluster.arn.clone(), brokers };
    let topics = if options.skip_topics {
        None
    } else {
        tokio::select! {
            result = sync_topics(context, &prepared, options, known, progress) => Some(result?),
            _ = tokio::signal::ctrl_c() => {
                return Err(ControlPlaneError::Interrupted { what: "syncing topics".into() }.into())
            }
        }
    };
    Ok(Provisioned::Report(Box::new(report(&prepared, plan, applied, cluster, bootstrap, topics, false, started))))
}

#[allow(clippy::too_many_arguments)]
fn report(
    prepared: &crate::ops::cluster::plan::Prepared,
    plan: Plan,
    applied: Vec<Applied>,
    cluster: MskCluster,
    bootstrap_brokers: Option<String>,
    topics: Option<String>,
    dry_run: bool,
    started: Instant,
) -> ProvisionReport {
    ProvisionReport {
        env: prepared.target.env.clone(),
        tier: prepared.target.tier.clone(),
        dry_run,
        plan,
        applied,
        cluster,
        client_auth: prepared.target.cluster.client_auth.as_str().to_string(),
        bootstrap_brokers,
        topics,
        elapsed_ms: started.elapsed().as_millis(),
    }
}

/// `topics sync` for the tier, against the cluster just provisioned.
async fn sync_topics(
    context: &RunContext,
    prepared: &Prepared,
    options: &ProvisionOptions,
    known: KnownCluster,
    progress: &dyn Progress,
) -> Result<String, TopicsError> {
    let sync = TopicsSyncOptions {
        topics: TopicsOptions::for_tier(context, Some(prepared.target.tier.clone()), Via::Auto)
            .on_cluster(known.cluster_arn.clone(), known.clients.clone()),
        dry_run: false,
        // Provision only adds and grows; deleting topics stays an explicit `topics sync --prune`.
        prune: false,
        assume_yes: options.assume_yes,
    };
    let report = topics_ops::sync_known(&sync, prepared.profile.clone(), known, progress).await?;
    Ok(if report.applied.is_empty() {
        format!(
            "{} topics in sync (via {})",
            report
                .plan
                .changes
                .iter()
                .filter(|change| change.action != crate::topics::Action::Unmanaged)
                .map(|change| &change.topic)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            report.backend.as_str()
        )
    } else {
        format!("{} change(s) applied via {}", report.applied.len(), report.backend.as_str())
    })
}
