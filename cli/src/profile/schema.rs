//! The on-disk shape of one profile file. Every field is optional because a
//! file is a layer: a tier file states only what differs from the layer it
//! extends. `deny_unknown_fields` everywhere so a misspelt key fails loudly
//! instead of silently falling back to a default.

use indexmap::IndexMap;
use serde::Deserialize;

use super::model::{ClientBroker, EnhancedMonitoring, RoleName};

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileLayer {
    pub extends: Option<String>,
    pub dau: Option<u64>,
    pub description: Option<String>,
    pub kafka: Option<KafkaLayer>,
    pub topic_defaults: Option<TopicDefaultsLayer>,
    pub topics: Option<IndexMap<String, TopicLayer>>,
    pub roles: Option<IndexMap<RoleName, RoleLayer>>,
    pub india: Option<IndiaLayer>,
    pub dead_letter: Option<DeadLetterLayer>,
    pub slo: Option<SloLayer>,
    pub alerts: Option<AlertsLayer>,
}

/// The service-level objectives `forgectl loadtest` judges a run against.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloLayer {
    pub upload_p99_ms: Option<u32>,
    pub upload_p999_ms: Option<u32>,
    pub max_error_percent: Option<f64>,
    pub lag_drain_seconds: Option<u32>,
}

/// Thresholds of the alerts `forgectl render prometheus` writes (and the
/// CloudWatch alarms plan from).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsLayer {
    pub consumer_lag_warning: Option<u64>,
    pub consumer_lag_critical: Option<u64>,
    pub consumer_lag_for_seconds: Option<u32>,
    pub upload_throttled_percent: Option<f64>,
    pub upload_error_percent: Option<f64>,
    pub upload_p99_ms: Option<u32>,
    pub upload_for_seconds: Option<u32>,
    pub dead_letters_per_5m: Option<u64>,
    pub instance_down_for_seconds: Option<u32>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterLayer {
    pub suffix: Option<String>,
    pub partitions: Option<u32>,
    pub configs: Option<IndexMap<String, ConfigValue>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaLayer {
    pub version: Option<String>,
    pub brokers: Option<u32>,
    pub zones: Option<u32>,
    pub broker_type: Option<String>,
    pub ebs_volume_gib: Option<u32>,
    pub encryption_in_transit: Option<EncryptionLayer>,
    pub enhanced_monitoring: Option<EnhancedMonitoring>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionLayer {
    pub client_broker: Option<ClientBroker>,
    pub in_cluster: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicDefaultsLayer {
    pub replication_factor: Option<u16>,
    pub configs: Option<IndexMap<String, ConfigValue>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicLayer {
    pub partitions: Option<u32>,
    pub replication_factor: Option<u16>,
    pub configs: Option<IndexMap<String, ConfigValue>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleLayer {
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub group: Option<String>,
    pub topics: Option<Vec<String>>,
    pub instance_types: Option<InstanceTypesLayer>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceTypesLayer {
    pub dev: Option<String>,
    pub production: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndiaLayer {
    pub excluded_topics: Option<Vec<String>>,
}

/// Kafka config values are strings on the wire, but YAML authors write
/// `retention.ms: 1800000`; accept any scalar and keep its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigValue(pub String);

impl<'de> Deserialize<'de> for ConfigValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Scalar {
            Text(String),
            Integer(i64),
            Float(f64),
            Flag(bool),
        }
        let text = match Scalar::deserialize(deserializer)
            .map_err(|_| serde::de::Error::custom("a topic config value must be a string, number or boolean"))?
        {
            Scalar::Text(text) => text,
            Scalar::Integer(number) => number.to_string(),
            Scalar::Float(number) => number.to_string(),
            Scalar::Flag(flag) => flag.to_string(),
        };
        Ok(ConfigValue(text))
    }
}
