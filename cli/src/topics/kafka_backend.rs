//! The Kafka admin protocol backend: reads in a constant number of requests
//! (one Metadata, one DescribeConfigs), writes in one request per kind of
//! change, then waits until the change is visible in metadata.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backend::{Batching, CONSISTENT_READ_TIMEOUT, SETTLE_POLL_INTERVAL, SETTLE_TIMEOUT};
use super::{ActualTopic, BackendKind, ClusterState, RequestCounts, TopicBackend, TopicsError};
use crate::kafka::{is_internal_topic, Admin, ClusterMetadata, KafkaConnection, NewTopicSpec, TopicConfigChange};
use crate::profile::TopicSpec;
use crate::progress::Progress;

/// How long one Metadata request may take before the cluster counts as
/// unreachable.
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(15);

pub struct KafkaBackend {
    admin: Admin,
    batching: Batching,
    progress: Arc<dyn Progress>,
}

impl KafkaBackend {
    pub fn connect(
        connection: &KafkaConnection,
        batching: Batching,
        progress: &dyn Progress,
    ) -> Result<Self, TopicsError> {
        Ok(Self { admin: Admin::connect(connection)?, batching, progress: progress.share() })
    }

    pub fn admin(&self) -> &Admin {
        &self.admin
    }

    /// One request per topic in the baseline, one for all otherwise.
    fn chunks<'a, T>(&self, items: &'a [T]) -> Vec<&'a [T]> {
        match self.batching {
            Batching::Batched if !items.is_empty() => vec![items],
            Batching::Batched => Vec::new(),
            Batching::PerTopic => items.chunks(1).collect(),
        }
    }

    async fn metadata(&self) -> Result<ClusterMetadata, TopicsError> {
        Ok(self.admin.metadata(METADATA_TIMEOUT, None).await?)
    }

    /// Polls every broker's metadata until `done` holds on all of them,
    /// bounded by [`SETTLE_TIMEOUT`].
    async fn wait_for(&self, what: &str, done: impl Fn(&ClusterMetadata) -> bool) -> Result<(), TopicsError> {
        let mut waiting = self.progress.wait(what);
        let started = Instant::now();
        loop {
            let views = self.admin.metadata_on_each_broker(METADATA_TIMEOUT).await?;
            if !views.is_empty() && views.iter().all(&done) {
                waiting.finish("visible in metadata");
                return Ok(());
            }
            if started.elapsed() >= SETTLE_TIMEOUT {
                return Err(TopicsError::WaitTimeout { what: what.to_string(), waited: started.elapsed() });
            }
            waiting.update("waiting for the brokers to report it");
            tokio::time::sleep(SETTLE_POLL_INTERVAL).await;
        }
    }

    /// Topic overrides as `broker` reports them.
    async fn overrides_on(&self, topics: &[String], broker: i32) -> Result<Overrides, TopicsError> {
        let mut out = BTreeMap::new();
        for chunk in self.chunks(topics) {
            for (topic, values) in self.admin.topic_configs_on(chunk, Some(broker)).await? {
                let overrides = values
                    .into_iter()
                    .filter(|v| v.is_topic_override())
                    .filter_map(|v| Some((v.name, v.value?)))
                    .collect();
                out.insert(topic, overrides);
            }
        }
        Ok(out)
    }
}

type Overrides = BTreeMap<String, BTreeMap<String, String>>;

impl KafkaBackend {
    /// One read of the cluster as each broker sees it: the state (from the
    /// first broker) and, when another broker answers differently, what differs.
    async fn read_every_broker(&self, desired: &[String]) -> Result<(ClusterState, Option<String>), TopicsError> {
        let views = self.admin.metadata_on_each_broker(METADATA_TIMEOUT).await?;
        let Some(metadata) = views.first() else {
            return Err(TopicsError::Kafka(crate::kafka::KafkaError::Native {
                operation: "Metadata",
                message: "the cluster reported no brokers".into(),
            }));
        };
        // The baseline also looks each desired topic up on its own, as a
        // per-topic `kafka-topics.sh --describe` loop would.
        if self.batching == Batching::PerTopic {
            for topic in desired {
                self.admin.metadata(METADATA_TIMEOUT, Some(topic)).await?;
            }
        }
        let live_brokers = u32::try_from(metadata.brokers.len()).unwrap_or(u32::MAX);
        let topics: Vec<_> = metadata.topics.iter().filter(|t| t.error.is_none()).collect();
        let existing: BTreeSet<&str> = topics.iter().map(|t| t.name.as_str()).collect();
        let wanted: Vec<String> = desired.iter().filter(|name| existing.contains(name.as_str())).cloned().collect();
        let mut per_broker = Vec::with_capacity(metadata.brokers.len());
        for broker in &metadata.brokers {
            per_broker.push((broker.id, self.overrides_on(&wanted, broker.id).await?));
        }
        let disagreement = first_disagreement(&views, &per_broker, &wanted);
        let mut overrides = per_broker.into_iter().next().map(|(_, overrides)| overrides).unwrap_or_default();
        let topics = topics
            .into_iter()
            .map(|t| ActualTopic {
                name: t.name.clone(),
                partitions: u32::try_from(t.partitions.len()).unwrap_or(u32::MAX),
                replication_factor: t.replication_factor(),
                overrides: if is_internal_topic(&t.name) {
                    BTreeMap::new()
                } else {
                    overrides.remove(&t.name).unwrap_or_default()
                },
            })
            .collect();
        Ok((ClusterState { topics, live_brokers }, disagreement))
    }
}

/// The first difference between brokers about the `wanted` topics: their
/// partition counts (from each broker's metadata) or their overrides.
fn first_disagreement(views: &[ClusterMetadata], overrides: &[(i32, Overrides)], wanted: &[String]) -> Option<String> {
    let partitions = |view: &ClusterMetadata, topic: &str| {
        view.topics.iter().find(|t| t.name == topic && t.error.is_none()).map(|t| t.partitions.len())
    };
    let (first_view, rest) = views.split_first()?;
    for topic in wanted {
        let expected = partitions(first_view, topic);
        if let Some(view) = rest.iter().find(|view| partitions(view, topic) != expected) {
            let count = |n: Option<usize>| n.map_or("no".to_string(), |n| n.to_string());
            return Some(format!(
                "topic {topic}: {} partition(s) on one broker, {} on another (of {})",
                count(expected),
                count(partitions(view, topic)),
                view.brokers.len()
            ));
        }
    }
    let ((first_broker, first), rest) = overrides.split_first()?;
    for topic in wanted {
        if let Some((broker, other)) = rest.iter().find(|(_, other)| other.get(topic) != first.get(topic)) {
            let show = |o: Option<&BTreeMap<String, String>>| {
                o.map(|o| o.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")).unwrap_or_default()
            };
            return Some(format!(
                "topic {topic}: broker {first_broker} reports [{}], broker {broker} [{}]",
                show(first.get(topic)),
                show(other.get(topic))
            ));
        }
    }
    None
}

/// Partitions per topic, counting only topics with every partition led.
fn ready_partitions(metadata: &ClusterMetadata) -> BTreeMap<&str, usize> {
    metadata
        .topics
        .iter()
        .filter(|t| t.error.is_none() && !t.partitions.is_empty() && t.partitions.iter().all(|p| p.leader >= 0))
        .map(|t| (t.name.as_str(), t.partitions.len()))
        .collect()
}

impl TopicBackend for KafkaBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Kafka
    }

    /// Every broker is asked, and the read is repeated (bounded) until they
    /// agree: brokers apply a config or partition change as they replay the
    /// metadata log, so one broker's answer can be a moment old, and a
    /// `check` right after someone else's change would miss the drift.
    async fn read_state(&self, desired: &[String]) -> Result<ClusterState, TopicsError> {
        let started = Instant::now();
        loop {
            let (state, disagreement) = self.read_every_broker(desired).await?;
            let Some(disagreement) = disagreement else { return Ok(state) };
            if started.elapsed() >= CONSISTENT_READ_TIMEOUT {
                return Err(TopicsError::BrokersDisagree { detail: disagreement, waited: started.elapsed() });
            }
            tokio::time::sleep(SETTLE_POLL_INTERVAL).await;
        }
    }

    async fn create_topics(&self, topics: &[TopicSpec]) -> Result<(), TopicsError> {
        if topics.is_empty() {
            return Ok(());
        }
        let specs: Vec<NewTopicSpec> = topics
            .iter()
            .map(|t| NewTopicSpec {
                name: t.name.clone(),
                partitions: t.partitions,
                replication_factor: t.replication_factor,
                configs: t.configs.clone(),
            })
            .collect();
        for chunk in self.chunks(&specs) {
            self.admin.create_topics(chunk).await?;
        }
        // CreateTopics returns once the controller has the topics; brokers
        // learn about them a moment later. Success means clients can use them.
        let expected: Vec<(&str, usize)> = topics.iter().map(|t| (t.name.as_str(), t.partitions as usize)).collect();
        self.wait_for(&format!("creation of {} topic(s)", topics.len()), |metadata| {
            let ready = ready_partitions(metadata);
            expected.iter().all(|(name, partitions)| ready.get(name) == Some(partitions))
        })
        .await
    }

    async fn increase_partitions(&self, changes: &[(String, u32)]) -> Result<(), TopicsError> {
        if changes.is_empty() {
            return Ok(());
        }
        for chunk in self.chunks(changes) {
            self.admin.create_partitions(chunk).await?;
        }
        self.wait_for(&format!("new partitions on {} topic(s)", changes.len()), |metadata| {
            let ready = ready_partitions(metadata);
            changes.iter().all(|(name, total)| ready.get(name.as_str()) == Some(&(*total as usize)))
        })
        .await
    }

    async fn set_configs(&self, changes: &BTreeMap<String, BTreeMap<String, String>>) -> Result<(), TopicsError> {
        let requests: Vec<TopicConfigChange> =
            changes.iter().map(|(topic, set)| TopicConfigChange { topic: topic.clone(), set: set.clone() }).collect();
        for chunk in self.chunks(&requests) {
            self.admin.alter_configs(chunk).await?;
        }
        if changes.is_empty() {
            return Ok(());
        }
        // The controller has committed the change; brokers apply it as they
        // replay the metadata log, and DescribeConfigs may hit one that has
        // not yet. Wait until every broker agrees, so `check` right after is clean.
        let topics: Vec<String> = changes.keys().cloned().collect();
        let brokers: Vec<i32> = self.metadata().await?.brokers.iter().map(|b| b.id).collect();
        let started = Instant::now();
        loop {
            let mut applied = true;
            for broker in &brokers {
                let current = self.admin.topic_configs_on(&topics, Some(*broker)).await?;
                applied &= changes.iter().all(|(topic, set)| {
                    current.get(topic).is_some_and(|values| {
                        set.iter().all(|(k, v)| {
                            values.iter().any(|c| c.is_topic_override() && &c.name == k && c.value.as_ref() == Some(v))
                        })
                    })
                });
            }
            if applied {
                return Ok(());
            }
            if started.elapsed() >= SETTLE_TIMEOUT {
                return Err(TopicsError::WaitTimeout {
                    what: format!("new configs on {} topic(s)", topics.len()),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(SETTLE_POLL_INTERVAL).await;
        }
    }

    async fn delete_topics(&self, names: &[String]) -> Result<(), TopicsError> {
        if names.is_empty() {
            return Ok(());
        }
        for chunk in self.chunks(names) {
            self.admin.delete_topics(chunk).await?;
        }
        self.wait_for(&format!("deletion of {} topic(s)", names.len()), |metadata| {
            !metadata.topics.iter().any(|t| t.error.is_none() && names.contains(&t.name))
        })
        .await
    }

    fn requests(&self) -> RequestCounts {
        let (reads, writes) = self.admin.request_counts();
        RequestCounts { reads, writes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::{PartitionMetadata, TopicMetadata};

    fn topic(name: &str, leaders: &[i32]) -> TopicMetadata {
        TopicMetadata {
            name: name.into(),
            error: None,
            partitions: leaders
                .iter()
                .enumerate()
                .map(|(id, leader)| PartitionMetadata {
                    id: id as i32,
                    leader: *leader,
                    replicas: vec![1, 2, 3],
                    isr: vec![1, 2, 3],
                })
                .collect(),
        }
    }

    fn overrides(retention: &str) -> Overrides {
        BTreeMap::from([("a".to_string(), BTreeMap::from([("retention.ms".to_string(), retention.to_string())]))])
    }

    #[test]
    fn brokers_agree_when_partitions_and_overrides_match() {
        let view = ClusterMetadata { brokers: Vec::new(), topics: vec![topic("a", &[1, 2])] };
        let views = vec![view.clone(), view.clone(), view];
        let per_broker = vec![(1, overrides("60000")), (2, overrides("60000")), (3, overrides("60000"))];
        assert_eq!(first_disagreement(&views, &per_broker, &["a".to_string()]), None);
    }

    #[test]
    fn a_broker_behind_on_a_config_or_partitions_is_a_disagreement() {
        let view = ClusterMetadata { brokers: Vec::new(), topics: vec![topic("a", &[1, 2])] };
        let views = vec![view.clone(), view.clone(), view.clone()];
        let per_broker = vec![(1, overrides("60000")), (2, overrides("1800000")), (3, overrides("60000"))];
        let detail = first_disagreement(&views, &per_broker, &["a".to_string()]).unwrap_or_default();
        assert!(detail.contains("broker 2 [retention.ms=1800000]"), "{detail}");

        let grown = ClusterMetadata { brokers: Vec::new(), topics: vec![topic("a", &[1, 2, 3])] };
        let per_broker = vec![(1, overrides("60000")), (2, overrides("60000"))];
        let detail = first_disagreement(&[view, grown], &per_broker, &["a".to_string()]).unwrap_or_default();
        assert!(detail.contains("2 partition(s) on one broker, 3 on another"), "{detail}");
    }

    #[test]
    fn a_topic_is_ready_only_when_every_partition_has_a_leader() {
        let metadata = ClusterMetadata { brokers: Vec::new(), topics: vec![topic("a", &[1, 2]), topic("b", &[1, -1])] };
        let ready = ready_partitions(&metadata);
        assert_eq!(ready.get("a"), Some(&2));
        assert_eq!(ready.get("b"), None);
    }
}
