//! Kafka access through librdkafka: client settings from an endpoint, an
//! admin wrapper that returns forgectl's own types, and the safe wrapper over
//! `rd_kafka_IncrementalAlterConfigs`, which the rdkafka crate does not expose.

mod admin;
mod connection;
mod error;
mod incremental;
mod offsets;

pub use admin::{
    Admin, BrokerMetadata, ClusterMetadata, ConfigValue, NewTopicSpec, PartitionMetadata, TopicMetadata,
    ADMIN_REQUEST_TIMEOUT,
};
mod login;
pub use connection::{KafkaConnection, ScramCredentials, SCRAM_MECHANISM};
pub use error::KafkaError;
pub use incremental::{incremental_alter_topic_configs, AlterOutcome, TopicConfigChange};
pub use offsets::{group_offsets, GroupOffsets, PartitionOffsets};

/// Topics Kafka itself owns: `__consumer_offsets`, `__transaction_state`,
/// and by convention anything starting with `_` (Connect, Schema Registry,
/// MSK's own `__amazon_msk_canary`). forgectl never lists, changes or
/// deletes them.
pub fn is_internal_topic(name: &str) -> bool {
    name.starts_with('_')
}
