//! `forgectl adopt`: find a cluster forgectl did not create and its
//! security group, plan its adoption against the environment's tier (and
//! read its topics), show it, and with approval tag both with forgectl's
//! ownership tags. Adoption changes tags only; `provision` converges after.

use std::time::Instant;

use serde::Serialize;

use crate::aws::msk::{self, MskCluster};
use crate::aws::{ec2, msk_update, AwsClients};
use crate::cluster::adopt::{self as model, Adoption, Candidate, Finding, TagStep};
use crate::cluster::{ControlPlaneError, ResourceKind};
use crate::console::ConsoleError;
use crate::ops::cluster::plan::{observe, prepare, Prepared};
use crate::ops::cluster::ClusterOpError;
use crate::ops::context::RunContext;
use crate::ops::topics::reconcile::{self as topics_ops, TopicsOptions, Via};
use crate::progress::Progress;

/// How the command names the cluster to adopt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterRef {
    Arn(String),
    Name(String),
}

impl ClusterRef {
    /// `--cluster-arn` wins over `--cluster-name`; neither is `None`.
    pub fn from_flags(arn: Option<String>, name: Option<String>) -> Option<Self> {
        arn.map(ClusterRef::Arn).or(name.map(ClusterRef::Name))
    }

    pub fn describe(&self) -> &str {
        match self {
            ClusterRef::Arn(text) | ClusterRef::Name(text) => text,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AdoptOptions {
    pub cluster: ClusterRef,
    /// `--tier`; the environment's `tier` when `None`.
    pub tier: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdoptReport {
    #[serde(flatten)]
    pub adoption: Adoption,
    /// The topics as read from the brokers, compared with the tier.
    pub topic_findings: Vec<Finding>,
    /// Why the topics were not compared, when they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics_note: Option<String>,
    /// The resources tagged by this run (none without approval).
    pub tagged: Vec<TagStep>,
    pub elapsed_ms: u128,
}

/// The command's say between planning and tagging: it shows the adoption
/// and, when there is something to tag, asks to go ahead.
pub trait AdoptReview {
    fn review(&self, report: &AdoptReport, will_apply: bool) -> Result<(), ConsoleError>;
}

pub async fn adopt(
    context: &RunContext,
    options: &AdoptOptions,
    review: &dyn AdoptReview,
    progress: &dyn Progress,
) -> Result<AdoptReport, ClusterOpError> {
    let prepared = prepare(context, options.tier.as_deref())?;
    let started = Instant::now();
    let target = &prepared.target;
    let clients = context.aws().await;
    let cluster = find(clients, &options.cluster).await?;
    let groups = async {
        Ok::<_, ControlPlaneError>(ec2::describe_security_groups(&clients.ec2, &cluster.security_groups).await?)
    };
    let (actual, groups) = futures::try_join!(observe(clients, target), groups)?;
    let candidate = Candidate { cluster, groups };
    let adoption = model::adoption(target, &actual, &candidate);
    let (topic_findings, topics_note) = read_topics(context, &prepared, &candidate.cluster, clients, progress).await;
    let mut report = AdoptReport { adoption, topic_findings, topics_note, tagged: Vec::new(), elapsed_ms: 0 };

    if report.adoption.refused() {
        review.review(&report, false)?;
        return Err(ControlPlaneError::AdoptionRefused {
            env: target.env.clone(),
            cluster: candidate.cluster.arn.clone(),
            reasons: report.adoption.refusals.clone(),
        }
        .into());
    }
    let pending = report.adoption.pending();
    review.review(&report, pending)?;
    if pending {
        report.tagged = tag(clients, &candidate.cluster, &report.adoption.tags, progress).await?;
    }
    report.elapsed_ms = started.elapsed().as_millis();
    Ok(report)
}

/// By ARN (DescribeClusterV2) or by exact name (ListClustersV2).
pub async fn find(clients: &AwsClients, cluster: &ClusterRef) -> Result<MskCluster, ControlPlaneError> {
    let found = match cluster {
        ClusterRef::Arn(arn) => msk::describe_cluster(&clients.kafka, arn).await?,
        ClusterRef::Name(name) => msk::list_clusters_named(&clients.kafka, name).await?.into_iter().next(),
    };
    found.ok_or_else(|| ControlPlaneError::ClusterNotFound { cluster: cluster.describe().to_string() })
}

/// The topics against the tier, read through the brokers or the MSK topic
/// API like `topics plan`. Adoption does not depend on them: a cluster that
/// cannot be read yet is adopted all the same, with a note saying so.
async fn read_topics(
    context: &RunContext,
    prepared: &Prepared,
    cluster: &MskCluster,
    clients: &AwsClients,
    progress: &dyn Progress,
) -> (Vec<Finding>, Option<String>) {
    if cluster.state != "ACTIVE" {
        return (Vec::new(), Some(format!("not read: the cluster is {}", cluster.state)));
    }
    let options = TopicsOptions::for_tier(context, Some(prepared.target.tier.clone()), Via::Auto)
        .on_cluster(cluster.arn.clone(), clients.clone());
    match topics_ops::plan(&options, progress).await {
        Ok(report) => {
            let suffix = prepared.profile.dead_letter.as_ref().map(|d| d.suffix.as_str());
            (model::topic_findings(&report.plan, suffix), None)
        }
        Err(error) => {
            let note = format!("not read: {error}");
            progress.warn(format!("topics of {}: {note}", cluster.name));
            (Vec::new(), Some(note))
        }
    }
}

/// The adoption itself: TagResource on the cluster, CreateTags on its group.
async fn tag(
    clients: &AwsClients,
    cluster: &MskCluster,
    steps: &[TagStep],
    progress: &dyn Progress,
) -> Result<Vec<TagStep>, ControlPlaneError> {
    let mut done = Vec::new();
    for step in steps {
        match step.resource {
            ResourceKind::Cluster => msk_update::tag_cluster(&clients.kafka, cluster, &step.tags).await?,
            _ => ec2::tag(&clients.ec2, &step.id, &step.tags).await?,
        }
        progress.info(format!("tagged {} {} ({})", step.resource.as_str(), step.name, step.id));
        done.push(step.clone());
    }
    Ok(done)
}
