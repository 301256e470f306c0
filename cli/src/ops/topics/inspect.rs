//! `topics describe` and `topics lag`: read-only views. `describe` works
//! through either backend (the Kafka protocol adds each config's source);
//! `lag` needs the Kafka protocol, because the MSK topic API has no consumer
//! offsets.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::kafka::{self, is_internal_topic, ConfigValue, KafkaConnection, PartitionMetadata, PartitionOffsets};
use crate::ops::topics::reconcile::{desired, TopicsOptions};
use crate::ops::topics::target::{connect, Target};
use crate::progress::Progress;
use crate::topics::{TopicsError, METADATA_TIMEOUT};

/// How long one OffsetFetch or ListOffsets call may take.
const OFFSETS_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Serialize)]
pub struct DescribeReport {
    pub target: String,
    pub brokers: usize,
    pub topics: Vec<TopicDescription>,
    /// Names asked for that the cluster does not have.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicDescription {
    pub name: String,
    pub replication_factor: u16,
    pub partitions: Vec<PartitionMetadata>,
    /// Partitions whose in-sync replicas are fewer than their replicas.
    pub under_replicated: Vec<i32>,
    /// Every config that is not a plain broker default, with its source.
    pub configs: Vec<ConfigValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LagReport {
    pub target: String,
    pub groups: Vec<GroupLag>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupLag {
    pub group: String,
    pub total_lag: i64,
    pub topics: Vec<TopicLag>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicLag {
    pub topic: String,
    pub lag: i64,
    pub partitions: Vec<PartitionLag>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartitionLag {
    pub partition: i32,
    pub committed: Option<i64>,
    pub high_watermark: i64,
    pub lag: i64,
}

async fn kafka_target(
    options: &TopicsOptions,
    progress: &dyn Progress,
    what: &str,
) -> Result<(Target, KafkaConnection), TopicsError> {
    let target = connect(&options.target, progress).await?;
    match &target {
        Target::Kafka { connection, .. } => {
            let connection = connection.clone();
            Ok((target, connection))
        }
        Target::Msk { .. } => Err(TopicsError::InvalidArgument {
            message: format!("topics {what} needs the Kafka protocol, and the brokers are not reachable from here"),
            hint: "run it where the brokers can be reached (--via kafka), or use `topics plan --via msk`".into(),
        }),
    }
}

/// Source label for configs read through the MSK API, which does not say
/// whether a value is an override or a default.
const MSK_CONFIG_SOURCE: &str = "MSK_DESCRIBE_TOPIC";

/// Partitions, leaders, ISR and configs of `names` (default: the tier's
/// topics), through either backend.
pub async fn describe(
    options: &TopicsOptions,
    names: &[String],
    progress: &dyn Progress,
) -> Result<DescribeReport, TopicsError> {
    let names: Vec<String> = if names.is_empty() {
        desired(options)?.managed_topics().into_iter().map(|t| t.name).collect()
    } else {
        names.to_vec()
    };
    let target = connect(&options.target, progress).await?;
    let backend = match &target {
        Target::Kafka { backend, .. } => backend,
        Target::Msk { backend, .. } => {
            let brokers = backend.live_brokers_count().await?;
            let (details, missing) = backend.describe_topics(&names).await?;
            let topics = details
                .into_iter()
                .map(|t| TopicDescription {
                    replication_factor: t
                        .partitions
                        .iter()
                        .map(|p| p.replicas.len())
                        .max()
                        .and_then(|n| u16::try_from(n).ok())
                        .unwrap_or(0),
                    under_replicated: t
                        .partitions
                        .iter()
                        .filter(|p| p.isr.len() < p.replicas.len())
                        .map(|p| p.id)
                        .collect(),
                    configs: t
                        .configs
                        .into_iter()
                        .map(|(name, value)| ConfigValue { name, value: Some(value), source: MSK_CONFIG_SOURCE })
                        .collect(),
                    partitions: t.partitions,
                    name: t.name,
                })
                .collect();
            return Ok(DescribeReport { target: target.describe(), brokers, topics, missing });
        }
    };
    let admin = backend.admin();
    let metadata = admin.metadata(METADATA_TIMEOUT, None).await?;
    let found: BTreeMap<&str, _> =
        metadata.topics.iter().filter(|t| t.error.is_none()).map(|t| (t.name.as_str(), t)).collect();
    let present: Vec<String> = names.iter().filter(|n| found.contains_key(n.as_str())).cloned().collect();
    let mut configs = admin.topic_configs(&present).await?;
    let topics = present
        .iter()
        .filter_map(|name| {
            let topic = found.get(name.as_str())?;
            Some(TopicDescription {
                name: name.clone(),
                replication_factor: topic.replication_factor(),
                under_replicated: topic
                    .partitions
                    .iter()
                    .filter(|p| p.isr.len() < p.replicas.len())
                    .map(|p| p.id)
                    .collect(),
                partitions: topic.partitions.clone(),
                configs: configs
                    .remove(name)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|c| c.source != "DEFAULT_CONFIG")
                    .collect(),
            })
        })
        .collect();
    Ok(DescribeReport {
        target: target.describe(),
        brokers: metadata.brokers.len(),
        topics,
        missing: names.iter().filter(|n| !found.contains_key(n.as_str())).cloned().collect(),
    })
}

/// Committed offset, high watermark and lag per partition, for `groups`
/// (default: the tier's consumer groups, over the topics each consumes).
/// A group the profile does not know is looked up over every topic in scope,
/// keeping the topics it has committed on.
pub async fn lag(
    options: &TopicsOptions,
    groups: &[String],
    progress: &dyn Progress,
) -> Result<LagReport, TopicsError> {
    let profile = desired(options)?;
    let (target, connection) = kafka_target(options, progress, "lag").await?;
    let Target::Kafka { backend, .. } = &target else {
        return Err(TopicsError::InvalidArgument { message: "not a Kafka target".into(), hint: String::new() });
    };
    let metadata = backend.admin().metadata(METADATA_TIMEOUT, None).await?;
    let partition_count: BTreeMap<&str, i32> = metadata
        .topics
        .iter()
        .filter(|t| t.error.is_none())
        .map(|t| (t.name.as_str(), i32::try_from(t.partitions.len()).unwrap_or(i32::MAX)))
        .collect();
    let known: Vec<(String, Vec<String>)> =
        profile.roles.iter().filter_map(|r| Some((r.group.clone()?, r.topics.clone()))).collect();
    let wanted: Vec<(String, Option<Vec<String>>)> = if groups.is_empty() {
        known.iter().map(|(g, t)| (g.clone(), Some(t.clone()))).collect()
    } else {
        groups.iter().map(|g| (g.clone(), known.iter().find(|(k, _)| k == g).map(|(_, t)| t.clone()))).collect()
    };
    let in_scope = |name: &str| options.scope.as_deref().is_none_or(|p| name.starts_with(p));

    let mut out = Vec::new();
    for (group, topics) in wanted {
        let explicit = topics.is_some();
        let topics: Vec<String> = topics.unwrap_or_else(|| {
            partition_count.keys().filter(|t| !is_internal_topic(t) && in_scope(t)).map(|t| t.to_string()).collect()
        });
        let partitions: Vec<(String, i32)> =
            topics.iter().filter_map(|t| Some((t.clone(), *partition_count.get(t.as_str())?))).collect();
        let offsets = kafka::group_offsets(&connection, &group, &partitions, OFFSETS_TIMEOUT).await?;
        out.push(group_lag(group, offsets.partitions, explicit));
    }
    Ok(LagReport { target: target.describe(), groups: out })
}

/// Totals per topic and group. Unless the group's topics were given, only
/// topics it has committed on are kept.
fn group_lag(group: String, partitions: Vec<PartitionOffsets>, keep_uncommitted: bool) -> GroupLag {
    let mut by_topic: BTreeMap<String, Vec<PartitionOffsets>> = BTreeMap::new();
    for partition in partitions {
        by_topic.entry(partition.topic.clone()).or_default().push(partition);
    }
    let topics: Vec<TopicLag> = by_topic
        .into_iter()
        .filter(|(_, parts)| keep_uncommitted || parts.iter().any(|p| p.committed.is_some()))
        .map(|(topic, parts)| {
            let partitions: Vec<PartitionLag> = parts
                .iter()
                .map(|p| PartitionLag {
                    partition: p.partition,
                    committed: p.committed,
                    high_watermark: p.high_watermark,
                    lag: p.lag(),
                })
                .collect();
            TopicLag { topic, lag: partitions.iter().map(|p| p.lag).sum(), partitions }
        })
        .collect();
    GroupLag { group, total_lag: topics.iter().map(|t| t.lag).sum(), topics }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(topic: &str, partition: i32, committed: Option<i64>, high: i64) -> PartitionOffsets {
        PartitionOffsets { topic: topic.into(), partition, committed, low_watermark: 0, high_watermark: high }
    }

    #[test]
    fn totals_add_up_per_topic_and_group() {
        let lag = group_lag(
            "g".into(),
            vec![offsets("a", 0, Some(3), 10), offsets("a", 1, Some(10), 10), offsets("b", 0, None, 4)],
            true,
        );
        assert_eq!(lag.topics[0].lag, 7);
        assert_eq!(lag.topics[1].lag, 4);
        assert_eq!(lag.total_lag, 11);
    }

    #[test]
    fn unknown_groups_keep_only_topics_they_committed_on() {
        let lag = group_lag("g".into(), vec![offsets("a", 0, Some(3), 10), offsets("b", 0, None, 4)], false);
        assert_eq!(lag.topics.len(), 1);
        assert_eq!(lag.total_lag, 7);
    }
}
