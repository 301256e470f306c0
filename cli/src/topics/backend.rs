//! The seam between the plan and a cluster: one trait, two implementations
//! (Kafka admin protocol, MSK topic API). Both read into the same
//! [`ClusterState`], so both produce the same plan.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{ClusterState, TopicsError};
use crate::profile::TopicSpec;

/// How long to wait for a change to become visible (creation, new
/// partitions, configs, deletion). Kafka usually takes well under a second;
/// MSK's topic API documents up to about a minute of staleness.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(180);

/// Pause between visibility checks: short enough that a local sync finishes
/// quickly, long enough not to hammer MSK's per-account API rate limits.
/// How long a read waits for the brokers to agree about the topics before
/// it reports the disagreement. A change committed by the controller reaches
/// every broker within a second or two; longer means something is wrong.
pub const CONSISTENT_READ_TIMEOUT: Duration = Duration::from_secs(15);
pub const SETTLE_POLL_INTERVAL: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Kafka,
    Msk,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Kafka => "kafka",
            BackendKind::Msk => "msk",
        }
    }
}

/// Batched is what forgectl does; PerTopic is the one-request-per-topic
/// baseline the benchmark compares against (what a shell loop over
/// `kafka-topics.sh` or `aws kafka create-topic` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Batching {
    #[default]
    Batched,
    PerTopic,
}

/// Admin requests sent, split so a no-op sync can be shown to only read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RequestCounts {
    pub reads: u64,
    pub writes: u64,
}

/// A cluster's topics, read and changed. Every write waits until the
/// change is visible before returning, so a `check` right after a `sync`
/// sees the new state.
// Used through generics inside this crate only, so the futures' auto
// traits need no spelling out.
#[allow(async_fn_in_trait)]
pub trait TopicBackend {
    fn kind(&self) -> BackendKind;

    /// Topic names, partitions, RF and live brokers; topic-level config
    /// overrides for `desired` topics that exist (the only ones compared).
    async fn read_state(&self, desired: &[String]) -> Result<ClusterState, TopicsError>;

    async fn create_topics(&self, topics: &[TopicSpec]) -> Result<(), TopicsError>;

    async fn increase_partitions(&self, changes: &[(String, u32)]) -> Result<(), TopicsError>;

    /// Sets only the given keys per topic; other overrides stay.
    async fn set_configs(&self, changes: &BTreeMap<String, BTreeMap<String, String>>) -> Result<(), TopicsError>;

    async fn delete_topics(&self, names: &[String]) -> Result<(), TopicsError>;

    fn requests(&self) -> RequestCounts;
}
