//! `forgectl profiles from-cluster`: read a live cluster (the environment's,
//! or one named by ARN or name) and its topics, and write a tier profile
//! that states what it runs. Changes nothing in AWS or Kafka.

use std::path::PathBuf;

use serde::Serialize;

use crate::aws::msk;
use crate::cluster::capture::capture;
use crate::cluster::ControlPlaneError;
use crate::ops::cluster::adopt::{find, ClusterRef};
use crate::ops::cluster::ClusterOpError;
use crate::ops::context::RunContext;
use crate::ops::topics::reconcile::{read_state, TopicsOptions, Via};
use crate::profile::{self, ResolveOptions};
use crate::progress::Progress;

#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// `None`: the environment's cluster (found by its tags).
    pub cluster: Option<ClusterRef>,
    /// The tier whose topics are read and whose ladder is kept.
    pub tier: Option<String>,
    pub out: PathBuf,
    /// Replace `out` if it exists.
    pub force: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaptureReport {
    pub cluster_name: String,
    pub cluster_arn: String,
    /// The tier the ladder, dead letters, SLOs and alerts come from.
    pub tier: String,
    /// The brokers or the MSK topic API the topics were read through.
    pub topics_read_from: String,
    pub out: String,
    pub notes: Vec<String>,
}

pub async fn from_cluster(
    context: &RunContext,
    options: &CaptureOptions,
    progress: &dyn Progress,
) -> Result<CaptureReport, ClusterOpError> {
    let out = options.out.display().to_string();
    if options.out.exists() && !options.force {
        return Err(ControlPlaneError::OutputExists { path: out }.into());
    }
    let tier = context.tier(options.tier.as_deref())?;
    // Without the India switch: the written file carries the switch itself.
    let profile = profile::load_tier(&context.profiles, &tier, ResolveOptions { india: false })?;
    let clients = context.aws().await;
    let cluster = match &options.cluster {
        Some(named) => find(clients, named).await?,
        None => msk::find_cluster(&clients.kafka, &context.environment)
            .await
            .map_err(ControlPlaneError::from)?
            .ok_or_else(|| ControlPlaneError::ClusterNotFound {
                cluster: format!("tagged as environment {}'s", context.environment.name),
            })?,
    };
    let names: Vec<String> = profile.managed_topics().into_iter().map(|topic| topic.name).collect();
    let topics = TopicsOptions::for_tier(context, Some(tier.clone()), Via::Auto)
        .on_cluster(cluster.arn.clone(), clients.clone());
    let (state, topics_read_from) = read_state(&topics, &names, progress).await?;
    let captured = capture(&cluster, &state, &profile)?;
    std::fs::write(&options.out, &captured.yaml)
        .map_err(|source| ControlPlaneError::Write { path: out.clone(), source })?;
    Ok(CaptureReport {
        cluster_name: cluster.name,
        cluster_arn: cluster.arn,
        tier,
        topics_read_from,
        out,
        notes: captured.notes,
    })
}
