//! The on-disk shape of one profile file. Every field is optional because a
//! file is a layer: a tier file states only what differs from the layer it
//! extends. `deny_unknown_fields` everywhere so a misspelt key fails loudly
//! instead of silently falling back to a default.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::model::{ClientBroker, EnhancedMonitoring, RoleName};

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileLayer {
    /// The file this one builds on, relative to it (tiers extend `_base.yaml`).
    pub extends: Option<String>,
    /// Daily active users the tier is sized for.
    pub dau: Option<u64>,
    /// A line shown by `profiles list`.
    pub description: Option<String>,
    /// The MSK cluster.
    pub kafka: Option<KafkaLayer>,
    /// What every topic gets unless it says otherwise.
    pub topic_defaults: Option<TopicDefaultsLayer>,
    /// The data topics, by name.
    pub topics: Option<IndexMap<String, TopicLayer>>,
    /// The services' roles and their scaling ladder.
    pub roles: Option<IndexMap<RoleName, RoleLayer>>,
    /// What `--india` (or `india: true` in an environment) drops.
    pub india: Option<IndiaLayer>,
    /// The consumers' dead-letter topics, one per data topic.
    pub dead_letter: Option<DeadLetterLayer>,
    /// What `forgectl loadtest` judges a run against.
    pub slo: Option<SloLayer>,
    /// Thresholds of the alerts `render prometheus` writes.
    pub alerts: Option<AlertsLayer>,
}

/// The service-level objectives `forgectl loadtest` judges a run against.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloLayer {
    /// Upload latency at the 99th percentile, measured open loop.
    pub upload_p99_ms: Option<u32>,
    /// Upload latency at the 99.9th percentile.
    pub upload_p999_ms: Option<u32>,
    /// Share of uploads that may fail.
    pub max_error_percent: Option<f64>,
    /// Time the consumers get to catch up once the load stops.
    pub lag_drain_seconds: Option<u32>,
}

/// Thresholds of the alerts `forgectl render prometheus` writes (and the
/// CloudWatch alarms plan from).
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsLayer {
    /// Records behind, per group, that warn.
    pub consumer_lag_warning: Option<u64>,
    /// Records behind, per group, that page.
    pub consumer_lag_critical: Option<u64>,
    /// How long lag must stay above a threshold before it fires.
    pub consumer_lag_for_seconds: Option<u32>,
    /// Share of uploads answered 429/503 that warns.
    pub upload_throttled_percent: Option<f64>,
    /// Share of uploads answered 5xx that pages.
    pub upload_error_percent: Option<f64>,
    /// Upload latency at the 99th percentile, measured open loop.
    pub upload_p99_ms: Option<u32>,
    /// How long an upload alert's condition must hold.
    pub upload_for_seconds: Option<u32>,
    /// Dead letters in five minutes that warn.
    pub dead_letters_per_5m: Option<u64>,
    /// How long a scrape target may be down before it pages.
    pub instance_down_for_seconds: Option<u32>,
    /// MSK's estimated time lag (`EstimatedMaxTimeLag`) of a group's
    /// slowest partition, in seconds, that pages (AWS alarms only).
    pub consumer_lag_max_seconds: Option<u32>,
    /// A broker's data volume use (`KafkaDataLogsDiskUsed`), in percent,
    /// that pages (AWS alarms only).
    pub broker_disk_used_percent: Option<f64>,
    /// A broker's CPU (user + system), in percent over 15 minutes, that
    /// warns (AWS alarms only).
    pub broker_cpu_percent: Option<f64>,
}

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterLayer {
    /// Appended to a topic's name for its dead-letter topic.
    pub suffix: Option<String>,
    /// Partition count; partitions can only grow.
    pub partitions: Option<u32>,
    /// Topic configs, e.g. `retention.ms`; only the keys given are managed.
    pub configs: Option<IndexMap<String, ConfigValue>>,
}

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KafkaLayer {
    /// MSK's Kafka version: `4.1.x.kraft` (the default), `4.0.x.kraft`, or a 3.7–3.9 line as `3.9.x` (ZooKeeper) or `3.9.x.kraft`.
    pub version: Option<String>,
    /// Broker count; a multiple of `zones`.
    pub brokers: Option<u32>,
    /// Availability zones, one client subnet each.
    pub zones: Option<u32>,
    /// MSK broker instance type, e.g. `kafka.m7g.large`.
    pub broker_type: Option<String>,
    /// Storage per broker; `profiles validate` keeps retained data under half of it.
    pub ebs_volume_gib: Option<u32>,
    /// TLS between clients and brokers, and between brokers.
    pub encryption_in_transit: Option<EncryptionLayer>,
    /// MSK's CloudWatch metrics level.
    pub enhanced_monitoring: Option<EnhancedMonitoring>,
}

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EncryptionLayer {
    /// Encryption between clients and brokers.
    pub client_broker: Option<ClientBroker>,
    /// TLS between brokers.
    pub in_cluster: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicDefaultsLayer {
    /// Copies of each partition; at most the broker count.
    pub replication_factor: Option<u16>,
    /// Topic configs, e.g. `retention.ms`; only the keys given are managed.
    pub configs: Option<IndexMap<String, ConfigValue>>,
}

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicLayer {
    /// Partition count; partitions can only grow.
    pub partitions: Option<u32>,
    /// Copies of each partition; at most the broker count.
    pub replication_factor: Option<u16>,
    /// Topic configs, e.g. `retention.ms`; only the keys given are managed.
    pub configs: Option<IndexMap<String, ConfigValue>>,
}

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleLayer {
    /// Instances at least (the ladder's lower rung).
    pub min: Option<u32>,
    /// Instances at most; a consumer role's topics need at least this many partitions.
    pub max: Option<u32>,
    /// The consumer group (consumers only).
    pub group: Option<String>,
    /// The topics the role consumes (consumers only).
    pub topics: Option<Vec<String>>,
    /// Consumers only: the group's lag (messages, over all its topics) per
    /// running instance that the Auto Scaling group (and the rendered KEDA
    /// ScaledObject) holds by adding or removing instances, next to the CPU
    /// target. Default 100, the runbooks' first lag step.
    pub lag_per_instance: Option<u64>,
    /// EC2 instance types by `services.instance_size`.
    pub instance_types: Option<InstanceTypesLayer>,
}

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceTypesLayer {
    /// The dev/UAT size.
    pub dev: Option<String>,
    /// The production size.
    pub production: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndiaLayer {
    /// Topics not collected in India (contacts, call logs).
    pub excluded_topics: Option<Vec<String>>,
}

/// Kafka config values are strings on the wire, but YAML authors write
/// `retention.ms: 1800000`; accept any scalar and keep its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigValue(pub String);

/// Kafka accepts a config's value as text; a profile may write it as YAML's
/// string, number or boolean.
impl JsonSchema for ConfigValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ConfigValue".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": ["string", "number", "boolean"],
            "description": "A topic config value, e.g. \"86400000\" for retention.ms"
        })
    }
}

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
