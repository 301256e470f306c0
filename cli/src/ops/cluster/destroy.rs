//! `forgectl destroy`: deletes what forgectl created for the environment,
//! found by its tags and names, in the order AWS allows: the cluster (and
//! wait until it is gone), its configuration, the broker SG (it references
//! the client SG), the client SG. Each step checks what is there, so a
//! second run, or a run after a failed one, just finishes the job.

use std::time::Duration;

use serde::Serialize;

use crate::aws::ec2::{self, SecurityGroup};
use crate::aws::{msk_config, msk_update, AwsClients, AwsErrorKind};
use crate::cluster::{ControlPlaneError, ResourceKind};
use crate::naming::fleet::FleetNames;
use crate::naming::{is_managed, Names};
use crate::ops::cluster::plan::discover;
use crate::ops::cluster::scram;
use crate::ops::cluster::wait::{self, Deadline, Poll};
use crate::ops::cluster::ClusterOpError;
use crate::ops::context::RunContext;
use crate::ops::deploy::aws::destroy as destroy_fleet;
use crate::progress::Progress;

/// After an MSK cluster is deleted its network interfaces linger for a few
/// minutes and keep the broker SG "in use" (DependencyViolation); retry
/// that long before reporting it.
const SG_RELEASE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Clone)]
pub struct DestroyOptions {
    pub assume_yes: bool,
    /// `--confirm NAME`: must repeat the environment's name.
    pub confirm: Option<String>,
    pub timeout: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct DestroyReport {
    pub env: String,
    pub deleted: Vec<Deleted>,
    /// The services' resources (`deploy`), deleted first.
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deleted {
    pub resource: ResourceKind,
    pub name: String,
    pub id: String,
}

pub async fn destroy(
    context: &RunContext,
    options: &DestroyOptions,
    progress: &dyn Progress,
) -> Result<DestroyReport, ClusterOpError> {
    let environment = &context.environment;
    let env = environment.name.clone();
    let confirmed = options.assume_yes && options.confirm.as_deref() == Some(env.as_str());
    // Checked before any AWS call: a pipeline missing a flag learns it at once.
    if let Some(given) = options.confirm.as_deref().filter(|given| *given != env) {
        return Err(ControlPlaneError::ConfirmationMismatch { env, given: given.to_string() }.into());
    }
    if !confirmed && !progress.can_ask() {
        return Err(ControlPlaneError::ConfirmationRequired { env }.into());
    }

    let clients = context.aws().await;
    let names = Names::for_env(environment);
    let found = discover(clients, &env, &names).await?;
    let cluster = found.cluster.filter(|cluster| {
        let ours = is_managed(&cluster.tags, &env);
        if !ours {
            progress.warn(format!("cluster {} is not tagged as forgectl's for `{env}`; leaving it", cluster.name));
        }
        ours
    });
    let marker = crate::naming::configuration_marker(&env);
    let configuration = found.configuration.filter(|c| c.description.contains(&marker));
    let mut groups = found.groups;
    // Groups whose rules reference another group go before it: brokers'
    // (clients'), the producers' (the load balancer's).
    let fleet_names = FleetNames::for_env(environment);
    let order = [names.broker_sg.as_str(), fleet_names.producer_sg.as_str(), fleet_names.load_balancer_sg.as_str()];
    groups.sort_by_key(|group| order.iter().position(|name| group.is_named(name)).unwrap_or(order.len()));
    let fleet = destroy_fleet::discover(clients, environment).await?;
    let scram_owned = scram::discover(clients, &env, &names).await?;

    for what in fleet.foreign.iter().chain(&scram_owned.foreign) {
        progress.warn(format!("{what} is not tagged as forgectl's for `{env}`; leaving it"));
    }
    if cluster.is_none() && configuration.is_none() && groups.is_empty() && fleet.is_empty() && scram_owned.is_empty() {
        return Ok(DestroyReport { env, deleted: Vec::new(), services: Vec::new() });
    }
    if !confirmed {
        let mut listing = fleet.listing();
        listing.extend(cluster.iter().map(|c| format!("cluster {}", c.name)));
        listing.extend(configuration.iter().map(|c| format!("configuration {}", c.name)));
        listing.extend(groups.iter().map(|g| format!("security group {} ({})", g.name, g.id)));
        listing.extend(scram_owned.listing());
        progress.approve(&format!("Delete {} of environment {env}", listing.join(", ")))?;
    }

    let deadline = Deadline::after(options.timeout);
    let mut deleted = Vec::new();
    // Instances first: they hold the client and service security groups.
    let mut services = destroy_fleet::teardown(clients, environment, &fleet, progress).await?;
    let work = async {
        if let Some(cluster) = &cluster {
            if cluster.state != "DELETING" {
                msk_update::delete_cluster(&clients.kafka, cluster).await?;
                progress.info(format!("deleting cluster {} ({})", cluster.name, cluster.arn));
            }
            wait::until_gone(clients, progress, &cluster.arn, &cluster.name, deadline).await?;
            deleted.push(Deleted {
                resource: ResourceKind::Cluster,
                name: cluster.name.clone(),
                id: cluster.arn.clone(),
            });
        }
        // The cluster is gone, and with it the secret's association.
        for (resource, name, id) in scram::destroy(clients, &scram_owned, progress).await? {
            deleted.push(Deleted { resource, name, id });
        }
        if let Some(configuration) = configuration.as_ref().filter(|c| c.state != "DELETING") {
            msk_config::delete_configuration(&clients.kafka, configuration).await?;
            progress.info(format!("deleted configuration {}", configuration.name));
            deleted.push(Deleted {
                resource: ResourceKind::Configuration,
                name: configuration.name.clone(),
                id: configuration.arn.clone(),
            });
        }
        for group in &groups {
            delete_group(clients, progress, group, deadline).await?;
            let resource = if group.is_named(&names.broker_sg) {
                ResourceKind::BrokerSecurityGroup
            } else if group.is_named(&names.client_sg) {
                ResourceKind::ClientSecurityGroup
            } else {
                services.push(format!("security group {}", group.name));
                continue;
            };
            deleted.push(Deleted { resource, name: group.name.clone(), id: group.id.clone() });
        }
        Ok::<_, ControlPlaneError>(())
    };
    tokio::select! {
        result = work => result?,
        _ = tokio::signal::ctrl_c() => {
            return Err(ControlPlaneError::Interrupted { what: format!("destroying environment {env}") }.into())
        }
    }
    Ok(DestroyReport { env, deleted, services })
}

/// Deletes a security group, retrying while AWS still reports it in use
/// (bounded by [`SG_RELEASE_TIMEOUT`] and the command's deadline).
async fn delete_group(
    clients: &AwsClients,
    progress: &dyn Progress,
    group: &SecurityGroup,
    deadline: Deadline,
) -> Result<(), ControlPlaneError> {
    let bound = Deadline::after(SG_RELEASE_TIMEOUT).min(deadline);
    let label = format!("security group {}: deleting", group.name);
    wait::poll(progress, &label, bound, || async {
        match ec2::delete_security_group(&clients.ec2, group).await {
            Ok(()) => Ok(Poll::Done(())),
            Err(error) if error.is(AwsErrorKind::NotFound) => Ok(Poll::Done(())),
            Err(error) if error.is(AwsErrorKind::DependencyViolation) => {
                Ok(Poll::Pending("still in use (network interfaces are released after the cluster)".into()))
            }
            Err(error) => Err(error.into()),
        }
    })
    .await
}
