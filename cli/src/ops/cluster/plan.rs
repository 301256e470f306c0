//! `forgectl plan`: read what AWS holds for the environment (the describes
//! run concurrently, one call per resource) and compare it with the tier.
//! Also the first half of `provision` and `status`.

use std::time::Instant;

use serde::Serialize;

use crate::aws::ec2::SecurityGroup;
use crate::aws::msk::MskCluster;
use crate::aws::msk_config::MskConfiguration;
use crate::aws::{ec2, msk, msk_config, AwsClients};
use crate::cluster::actual::{configured_network, default_network, pick_groups};
use crate::cluster::{self, Actual, ControlPlaneError, Network, Plan, Target};
use crate::config::Environment;
use crate::cost::retention::{self, RetentionSizing};
use crate::cost::Workload;
use crate::naming::Names;
use crate::ops::cluster::ClusterOpError;
use crate::ops::context::RunContext;
use crate::ops::cost::{tier_change, CostChange};
use crate::profile::Profile;

/// The environment, its tier and the desired state: everything that can be
/// wrong in the config or the tier is found here, before any AWS call.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub environment: Environment,
    pub profile: Profile,
    pub target: Target,
}

/// `tier` is `--tier`; the environment's `tier` when `None`.
pub fn prepare(context: &RunContext, tier: Option<&str>) -> Result<Prepared, ClusterOpError> {
    let environment = context.environment.clone();
    let profile = context.tier_profile(tier)?.profile;
    let target = Target::new(&environment, &profile)?;
    Ok(Prepared { environment, profile, target })
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    #[serde(flatten)]
    pub plan: Plan,
    /// AWS calls the plan took, and how long it took, for the benchmark.
    pub aws_calls: usize,
    pub elapsed_ms: u128,
    /// The monthly change from the environment's tier to the planned one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostChange>,
    /// The consumer outage the tier's retention tolerates, and its disk use.
    pub retention: RetentionSizing,
}

pub async fn plan(context: &RunContext, tier: Option<&str>) -> Result<PlanReport, ClusterOpError> {
    let prepared = prepare(context, tier)?;
    let started = Instant::now();
    let clients = context.aws().await;
    let actual = observe(clients, &prepared.target).await?;
    let plan = cluster::plan(&prepared.target, &actual);
    let cost = tier_change(&prepared.environment, &context.profiles, &prepared.profile);
    let retention = retention::size(&prepared.profile, &Workload::builtin()?);
    Ok(PlanReport {
        plan,
        aws_calls: clients.calls.count(),
        elapsed_ms: started.elapsed().as_millis(),
        cost,
        retention,
    })
}

/// The environment's resources, found by name and tags; no network.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub groups: Vec<SecurityGroup>,
    pub configuration: Option<MskConfiguration>,
    pub cluster: Option<MskCluster>,
}

/// Three independent lookups, run at once.
pub async fn discover(clients: &AwsClients, env: &str, names: &Names) -> Result<Discovered, ControlPlaneError> {
    let groups = async { Ok::<_, ControlPlaneError>(ec2::find_security_groups(&clients.ec2, env).await?) };
    let configuration = async {
        Ok::<_, ControlPlaneError>(msk_config::find_configuration(&clients.kafka, &names.configuration).await?)
    };
    // By its tags first: an adopted cluster keeps the runbook's name.
    let cluster =
        async { Ok::<_, ControlPlaneError>(msk::find_environment_cluster(&clients.kafka, env, &names.cluster).await?) };
    let (groups, configuration, cluster) = futures::try_join!(groups, configuration, cluster)?;
    Ok(Discovered { groups, configuration, cluster })
}

/// Reads every resource of the environment. The lookups do not depend on
/// each other, so they run at once: a plan costs one round trip plus the
/// configuration's properties.
pub async fn observe(clients: &AwsClients, target: &Target) -> Result<Actual, ControlPlaneError> {
    let (network, discovered) =
        futures::try_join!(resolve_network(clients, target), discover(clients, &target.env, &target.names))?;
    // Needs the cluster's ARN for its associations: after the lookups above.
    let scram = super::scram::observe(clients, target, discovered.cluster.as_ref()).await?;
    Ok(Actual { scram, ..assemble(target, network, discovered) })
}

pub fn assemble(target: &Target, network: Network, discovered: Discovered) -> Actual {
    let attached = discovered.cluster.as_ref().map(|cluster| cluster.security_groups.as_slice()).unwrap_or_default();
    let (client_sg, broker_sg) = pick_groups(discovered.groups, &target.names, Some(&network.vpc_id), attached);
    Actual {
        network,
        client_sg,
        broker_sg,
        configuration: discovered.configuration,
        cluster: discovered.cluster,
        scram: Default::default(),
    }
}

pub async fn resolve_network(clients: &AwsClients, target: &Target) -> Result<Network, ControlPlaneError> {
    if target.subnets.is_empty() {
        let found = ec2::default_subnets(&clients.ec2).await?;
        return default_network(found, target.zones);
    }
    let found = ec2::describe_subnets(&clients.ec2, &target.subnets).await?;
    configured_network(&target.subnets, target.vpc_id.as_deref(), found)
}
