//! Committed offsets and high watermarks of a consumer group, for `lag`.
//! Uses a consumer handle that never subscribes: it only fetches the group's
//! committed offsets (OffsetFetch) and each partition's watermarks, so it
//! never joins the group or disturbs its members.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;

use super::{KafkaConnection, KafkaError};

#[derive(Debug, Clone, Serialize)]
pub struct PartitionOffsets {
    pub topic: String,
    pub partition: i32,
    /// `None` when the group has never committed for this partition.
    pub committed: Option<i64>,
    pub low_watermark: i64,
    pub high_watermark: i64,
}

impl PartitionOffsets {
    /// Messages not yet consumed. Without a commit, everything still
    /// retained counts (the group will start from the earliest retained
    /// offset, or skip it all with `auto.offset.reset=latest`).
    pub fn lag(&self) -> i64 {
        let from = self.committed.unwrap_or(self.low_watermark).max(self.low_watermark);
        (self.high_watermark - from).max(0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupOffsets {
    pub group: String,
    pub partitions: Vec<PartitionOffsets>,
}

/// Offsets of `group` on `partitions` (topic, partition count).
pub async fn group_offsets(
    connection: &KafkaConnection,
    group: &str,
    partitions: &[(String, i32)],
    timeout: Duration,
) -> Result<GroupOffsets, KafkaError> {
    let mut config = connection.client_config()?;
    config.set("group.id", group).set("enable.auto.commit", "false");
    let bootstrap = connection.bootstrap_servers.clone();
    let consumer: BaseConsumer =
        config.create().map_err(|source| KafkaError::Client { bootstrap: bootstrap.clone(), source })?;
    let group = group.to_string();
    let partitions = partitions.to_vec();
    // librdkafka's offset calls block; keep them off the async workers.
    tokio::task::spawn_blocking(move || fetch(&consumer, &bootstrap, group, &partitions, timeout))
        .await
        .map_err(|err| KafkaError::Native { operation: "OffsetFetch", message: err.to_string() })?
}

fn fetch(
    consumer: &BaseConsumer,
    bootstrap: &str,
    group: String,
    partitions: &[(String, i32)],
    timeout: Duration,
) -> Result<GroupOffsets, KafkaError> {
    let request = |operation, source| KafkaError::Request { operation, bootstrap: bootstrap.to_string(), source };
    let mut list = TopicPartitionList::new();
    for (topic, count) in partitions {
        for partition in 0..*count {
            list.add_partition(topic, partition);
        }
    }
    let committed = consumer.committed_offsets(list, timeout).map_err(|source| request("OffsetFetch", source))?;
    let mut out = Vec::new();
    for element in committed.elements() {
        let (low, high) = consumer
            .fetch_watermarks(element.topic(), element.partition(), timeout)
            .map_err(|source| request("ListOffsets", source))?;
        let committed = match element.offset() {
            Offset::Offset(offset) => Some(offset),
            _ => None,
        };
        out.push(PartitionOffsets {
            topic: element.topic().to_string(),
            partition: element.partition(),
            committed,
            low_watermark: low,
            high_watermark: high,
        });
    }
    out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    Ok(GroupOffsets { group, partitions: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(committed: Option<i64>, low: i64, high: i64) -> PartitionOffsets {
        PartitionOffsets { topic: "t".into(), partition: 0, committed, low_watermark: low, high_watermark: high }
    }

    #[test]
    fn lag_counts_from_the_commit_or_the_retained_start() {
        assert_eq!(offsets(Some(7), 0, 10).lag(), 3);
        assert_eq!(offsets(None, 4, 10).lag(), 6);
        // A commit older than retention counts from what is still there.
        assert_eq!(offsets(Some(1), 4, 10).lag(), 6);
        assert_eq!(offsets(Some(10), 0, 10).lag(), 0);
    }
}
