//! `forgectl status`: the cluster, its bootstrap brokers, the security
//! groups and their rules, the configuration, a topics summary when the
//! cluster is reachable, and drift from the tier.

use std::time::Duration;

use serde::Serialize;

use crate::aws::ec2::SecurityGroup;
use crate::aws::msk::{self, BootstrapBrokers, MskCluster};
use crate::aws::msk_config::MskConfiguration;
use crate::cluster::{self, Actual, ControlPlaneError, Plan, Target};
use crate::cost::retention::{self, RetentionSizing};
use crate::cost::Workload;
use crate::naming::{is_managed, Names, TAG_TIER};
use crate::ops::cluster::plan::{assemble, discover, resolve_network};
use crate::ops::cluster::ClusterOpError;
use crate::ops::context::RunContext;
use crate::ops::deploy::aws::status::{self as status_fleet, ServicesStatus};
use crate::ops::topics::reconcile::{self as topics_ops, TopicsOptions, Via};
use crate::progress::Progress;

/// Cluster states in which brokers answer (GetBootstrapBrokers works).
const SERVING_STATES: [&str; 3] = ["ACTIVE", "UPDATING", "REBOOTING_BROKER"];

/// How long the topics summary may take: status must stay quick even when
/// the brokers are out of reach (outside the VPC).
const TOPICS_SUMMARY_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub env: String,
    pub region: Option<String>,
    pub cluster: Option<MskCluster>,
    pub bootstrap_brokers: Option<BootstrapBrokers>,
    pub security_groups: Vec<SecurityGroup>,
    pub configuration: Option<MskConfiguration>,
    /// One line: topic counts and sync state, or why it is unknown.
    pub topics: String,
    /// The plan against the tier (`--tier`, the environment's, or the
    /// cluster's `forgectl:tier` tag); `None` when no tier is known.
    pub drift: Option<Plan>,
    pub drift_note: Option<String>,
    /// What `deploy` runs: one entry per role's Auto Scaling group.
    pub services: ServicesStatus,
    /// The consumer outage the tier's retention tolerates; `None` without a tier.
    pub retention: Option<RetentionSizing>,
}

impl StatusReport {
    pub fn has_drift(&self) -> bool {
        self.drift.as_ref().is_some_and(|plan| plan.pending || plan.refused)
    }
}

/// `tier` is `--tier`; without it the environment's, else the cluster's tag.
pub async fn status(
    context: &RunContext,
    tier: Option<&str>,
    progress: &dyn Progress,
) -> Result<StatusReport, ClusterOpError> {
    let environment = &context.environment;
    // The target and the retention it keeps come from the same profile.
    let target_for = |tier: &str| -> Result<(Target, RetentionSizing), ClusterOpError> {
        let profile = context.load_profile(tier)?;
        Ok((Target::new(environment, &profile)?, retention::size(&profile, &Workload::builtin()?)))
    };
    // A tier known up front is checked before any AWS call, and its network
    // is read alongside the other lookups.
    let early = match tier.map(str::to_string).or_else(|| environment.tier.clone()) {
        Some(tier) => Some(target_for(&tier)?),
        None => None,
    };
    let clients = context.aws().await;
    let names = Names::for_env(environment);
    let network = async {
        match &early {
            Some((target, _)) => Ok(Some(resolve_network(clients, target).await?)),
            None => Ok::<_, ControlPlaneError>(None),
        }
    };
    let (found, network) = futures::try_join!(discover(clients, &environment.name, &names), network)?;
    let cluster = found.cluster.clone().filter(|c| is_managed(&c.tags, &environment.name));

    let bootstrap_brokers = match cluster.as_ref().filter(|c| SERVING_STATES.contains(&c.state.as_str())) {
        Some(cluster) => {
            Some(msk::bootstrap_brokers(&clients.kafka, &cluster.arn).await.map_err(ControlPlaneError::from)?)
        }
        None => None,
    };

    // Without one, the tier the cluster was provisioned with (its tag).
    let (target, network) = match (early, network) {
        (Some(target), Some(network)) => (Some(target), Some(network)),
        _ => match cluster.as_ref().and_then(|c| c.tags.get(TAG_TIER).cloned()) {
            Some(tier) => {
                let target = target_for(&tier)?;
                let network = resolve_network(clients, &target.0).await?;
                (Some(target), Some(network))
            }
            None => (None, None),
        },
    };
    let (target, retention) = target.unzip();
    let tier = target.as_ref().map(|t| t.tier.clone());
    let (drift, drift_note) = match (target, network) {
        (Some(target), Some(network)) => {
            let scram = super::scram::observe(clients, &target, found.cluster.as_ref()).await?;
            let actual = Actual { scram, ..assemble(&target, network, found.clone()) };
            (Some(cluster::plan(&target, &actual)), None)
        }
        _ => (None, Some("no tier: pass --tier or set `tier:` in the environment".to_string())),
    };

    let topics = match (&cluster, &tier) {
        (None, _) => "no cluster".into(),
        (Some(cluster), _) if !SERVING_STATES.contains(&cluster.state.as_str()) => {
            format!("not reachable: cluster is {}", cluster.state)
        }
        (Some(_), None) => "not checked: no tier".into(),
        (Some(cluster), Some(tier)) => topics_summary(context, tier, cluster, progress).await,
    };

    let services = status_fleet::services(clients, environment).await?;
    Ok(StatusReport {
        services,
        retention,
        env: environment.name.clone(),
        region: environment.region.clone(),
        cluster,
        bootstrap_brokers,
        security_groups: found.groups,
        configuration: found.configuration,
        topics,
        drift,
        drift_note,
    })
}

/// Status is a report: an unreachable cluster is a line in it, not an error.
async fn topics_summary(context: &RunContext, tier: &str, cluster: &MskCluster, progress: &dyn Progress) -> String {
    let topics = TopicsOptions::for_tier(context, Some(tier.to_string()), Via::Auto)
        .on_cluster(cluster.arn.clone(), context.aws().await.clone());
    match tokio::time::timeout(TOPICS_SUMMARY_TIMEOUT, topics_ops::plan(&topics, progress)).await {
        Ok(Ok(report)) => {
            let declared = report
                .plan
                .changes
                .iter()
                .filter(|c| c.action != crate::topics::Action::Unmanaged)
                .map(|c| c.topic.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            let state = if report.in_sync { "in sync" } else { "drift (see `forgectl topics plan`)" };
            format!("{declared} topics of tier {tier}: {state}")
        }
        Ok(Err(error)) => format!("not reachable: {error}"),
        Err(_) => format!("not reachable within {}s", TOPICS_SUMMARY_TIMEOUT.as_secs()),
    }
}
