//! The rdkafka context. Rebalance callbacks only record what happened; the
//! main loop reads the events and acts (loads offsets, seeks, drops state).

use std::sync::Mutex;

use tokio::sync::Notify;

use forgectl_service_common::kafka_iam::{self, MskIam};
use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::TopicPartitionList;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebalanceEvent {
    Assigned(Vec<(String, i32)>),
    Revoked(Vec<(String, i32)>),
    Error(String),
}

#[derive(Default)]
pub struct LoopContext {
    events: Mutex<Vec<RebalanceEvent>>,
    /// Wakes the loop when an event is recorded: an assignment must be
    /// checked (positions.rs) even if its partitions have no message yet.
    pub recorded: Notify,
    /// MSK IAM settings when the cluster authenticates with IAM.
    iam: Option<MskIam>,
}

fn parts(tpl: &TopicPartitionList) -> Vec<(String, i32)> {
    tpl.elements().iter().map(|e| (e.topic().to_string(), e.partition())).collect()
}

impl LoopContext {
    pub fn new(iam: Option<MskIam>) -> LoopContext {
        LoopContext { iam, ..LoopContext::default() }
    }

    pub fn take_events(&self) -> Vec<RebalanceEvent> {
        match self.events.lock() {
            Ok(mut g) => std::mem::take(&mut *g),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }

    fn push(&self, ev: RebalanceEvent) {
        match self.events.lock() {
            Ok(mut g) => g.push(ev),
            Err(poisoned) => poisoned.into_inner().push(ev),
        }
        self.recorded.notify_one();
    }
}

impl ClientContext for LoopContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn generate_oauth_token(&self, _config: Option<&str>) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        kafka_iam::oauth_token(self.iam.as_ref())
    }

    fn stats(&self, statistics: Statistics) {
        // Lag as librdkafka sees it (high watermark minus committed offset is
        // what lag tools show; this is high watermark minus our position).
        for (topic, t) in &statistics.topics {
            for (id, p) in &t.partitions {
                if *id >= 0 && p.consumer_lag >= 0 {
                    metrics::gauge!("consumer_lag", "topic" => topic.clone(), "partition" => id.to_string())
                        .set(p.consumer_lag as f64);
                }
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(error = %error, reason, "kafka client error");
    }
}

impl ConsumerContext for LoopContext {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => self.push(RebalanceEvent::Assigned(parts(tpl))),
            Rebalance::Revoke(tpl) => self.push(RebalanceEvent::Revoked(parts(tpl))),
            Rebalance::Error(e) => self.push(RebalanceEvent::Error(e.to_string())),
        }
    }

    /// The Kafka commit only feeds lag tools (MSK's offset-lag metrics, the
    /// lag alarms and scaling; PostgreSQL holds the offsets that count), so a
    /// failed one loses nothing. It is still reported: commits that keep
    /// failing make the lag look frozen to everything that scales on it.
    fn commit_callback(&self, result: rdkafka::error::KafkaResult<()>, offsets: &TopicPartitionList) {
        if let Err(error) = result {
            metrics::counter!("consumer_kafka_commit_failures_total").increment(1);
            tracing::warn!(error = %error, partitions = offsets.count(), "kafka offset commit failed");
        }
    }
}
