//! Topic reconciliation: the desired-versus-actual plan model and the two
//! backends (Kafka admin protocol, MSK topic API) it runs against.

mod backend;
mod error;
mod kafka_backend;
mod msk_backend;
mod msk_describe;
mod plan;

pub use backend::{BackendKind, Batching, RequestCounts, TopicBackend, SETTLE_POLL_INTERVAL, SETTLE_TIMEOUT};
pub use error::TopicsError;
pub use kafka_backend::{KafkaBackend, METADATA_TIMEOUT};
pub use msk_backend::{decode_configs, encode_configs, MskBackend};
pub use msk_describe::MskTopicDetails;
pub use plan::{
    plan, Action, ActualTopic, Change, ClusterState, Plan, PlanOptions, CONFIG_FIELD_PREFIX, FIELD_PARTITIONS,
    FIELD_REPLICATION_FACTOR, FIELD_TOPIC,
};
