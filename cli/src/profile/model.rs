//! The resolved profile of one tier: every layer merged, every rule checked.
//! Its serde form is the stable JSON that `profiles show/list --output json`
//! print and CI pipelines consume (documented in docs/profiles-json.md), so
//! field names here change only with a new schema version.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Bumped whenever the JSON form changes incompatibly.
pub const PROFILE_JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub schema_version: u32,
    pub tier: String,
    pub dau: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the India switch was applied when this profile was resolved.
    pub india: bool,
    pub kafka: KafkaSpec,
    pub topics: Vec<TopicSpec>,
    pub roles: Vec<RoleSpec>,
    /// Topics the India switch removes; kept so tools can report them as
    /// unmanaged rather than unknown.
    pub india_excluded_topics: Vec<String>,
    /// How the consumers' dead-letter topics are laid out; `None` when the
    /// profile declares none.
    pub dead_letter: Option<DeadLetterSpec>,
    /// The objectives `forgectl loadtest` judges a run against; `None` when
    /// the profile declares none.
    pub slo: Option<SloSpec>,
    /// Thresholds of the pipeline's alerts; `None` when the profile declares none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<AlertsSpec>,
    /// The file this tier was loaded from (a `builtin:` path when embedded).
    pub source: String,
}

impl Profile {
    pub fn topic(&self, name: &str) -> Option<&TopicSpec> {
        self.topics.iter().find(|topic| topic.name == name)
    }

    pub fn role(&self, name: RoleName) -> Option<&RoleSpec> {
        self.roles.iter().find(|role| role.name == name)
    }

    /// One dead-letter topic per topic of the tier (after the India switch).
    pub fn dead_letter_topics(&self) -> Vec<TopicSpec> {
        let Some(dead_letter) = &self.dead_letter else {
            return Vec::new();
        };
        self.topics
            .iter()
            .map(|topic| TopicSpec {
                name: format!("{}{}", topic.name, dead_letter.suffix),
                partitions: dead_letter.partitions,
                replication_factor: topic.replication_factor,
                configs: dead_letter.configs.clone(),
            })
            .collect()
    }

    /// Every topic forgectl manages: the tier's and their dead-letter topics.
    pub fn managed_topics(&self) -> Vec<TopicSpec> {
        let mut topics = self.topics.clone();
        topics.extend(self.dead_letter_topics());
        topics
    }

    /// The consumer group that reads `topic`, if any.
    pub fn consumer_of(&self, topic: &str) -> Option<&RoleSpec> {
        self.roles.iter().find(|role| role.topics.iter().any(|t| t == topic))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KafkaSpec {
    pub version: String,
    pub brokers: u32,
    pub zones: u32,
    pub broker_type: String,
    pub ebs_volume_gib: u32,
    pub encryption_in_transit: EncryptionInTransit,
    pub enhanced_monitoring: EnhancedMonitoring,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EncryptionInTransit {
    pub client_broker: ClientBroker,
    pub in_cluster: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u16,
    /// Only the keys the profile declares; broker defaults are not listed.
    pub configs: BTreeMap<String, String>,
}

/// The consumers write what they cannot decode or store to `<topic><suffix>`.
pub use forgectl_contract::DEFAULT_DEAD_LETTER_SUFFIX;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetterSpec {
    pub suffix: String,
    pub partitions: u32,
    pub configs: BTreeMap<String, String>,
}

/// Service-level objectives of a tier at its peak rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloSpec {
    /// Upload latency through the front door, from the scheduled send time.
    pub upload_p99_ms: u32,
    pub upload_p999_ms: u32,
    /// Uploads answered with anything but 2xx (or not answered), in percent.
    pub max_error_percent: f64,
    /// After the load stops, every consumer group's lag reaches 0 within this.
    pub lag_drain_seconds: u32,
}

/// When the pipeline pages: the thresholds of `forgectl render prometheus`'s
/// rules and of the AWS alarms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertsSpec {
    /// A group's total lag (messages) that warns, and that pages.
    pub consumer_lag_warning: u64,
    pub consumer_lag_critical: u64,
    /// How long the lag must stay above a threshold before the alert fires.
    pub consumer_lag_for_seconds: u32,
    /// Share of uploads answered 429 or 503 (back-pressure), in percent.
    pub upload_throttled_percent: f64,
    /// Share of uploads answered 5xx other than 503, in percent.
    pub upload_error_percent: f64,
    /// Upload p99 latency at the producer, in milliseconds.
    pub upload_p99_ms: u32,
    /// How long an upload rate or latency must stay bad before it fires.
    pub upload_for_seconds: u32,
    /// Dead letters tolerated in five minutes (0: any dead letter alerts).
    pub dead_letters_per_5m: u64,
    /// How long a scrape target may be unreachable before it counts as down.
    pub instance_down_for_seconds: u32,
    /// A group's estimated time lag (MSK's `EstimatedMaxTimeLag`), in seconds, that pages.
    pub consumer_lag_max_seconds: u32,
    /// A broker's data volume use, in percent, that pages.
    pub broker_disk_used_percent: f64,
    /// A broker's CPU (user + system), in percent, that warns.
    pub broker_cpu_percent: f64,
}

/// The runbooks' lag rule (seed 001: "sms_batched lag > 100 | 500 | 1000"):
/// a consumer group gets another node when its lag passes 100 messages per
/// node it runs. The default of every consumer role's `lag_per_instance`;
/// 500 and 1000 are the alerts' warning and paging thresholds.
pub const DEFAULT_LAG_PER_INSTANCE: u64 = 100;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleSpec {
    pub name: RoleName,
    pub min: u32,
    pub max: u32,
    /// The Kafka consumer group; `None` for the producer.
    pub group: Option<String>,
    pub topics: Vec<String>,
    /// Consumers: the group's lag per running instance the scaling holds
    /// (messages); `None` for the producer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_per_instance: Option<u64>,
    pub instance_types: InstanceTypes,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceTypes {
    pub dev: String,
    pub production: String,
}

/// The roles the runbooks' production split knows. A closed set: deploy
/// creates one Auto Scaling group per role and names them from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RoleName {
    Producer,
    SmsConsumer,
    EventsConsumer,
    CommonConsumer,
}

impl RoleName {
    pub const ALL: [RoleName; 4] =
        [RoleName::Producer, RoleName::SmsConsumer, RoleName::EventsConsumer, RoleName::CommonConsumer];

    pub fn as_str(self) -> &'static str {
        match self {
            RoleName::Producer => "producer",
            RoleName::SmsConsumer => "sms-consumer",
            RoleName::EventsConsumer => "events-consumer",
            RoleName::CommonConsumer => "common-consumer",
        }
    }

    pub fn is_consumer(self) -> bool {
        self != RoleName::Producer
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// MSK's `EncryptionInTransit.ClientBroker`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientBroker {
    Tls,
    TlsPlaintext,
    Plaintext,
}

impl ClientBroker {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientBroker::Tls => "TLS",
            ClientBroker::TlsPlaintext => "TLS_PLAINTEXT",
            ClientBroker::Plaintext => "PLAINTEXT",
        }
    }
}

/// MSK's `EnhancedMonitoring` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EnhancedMonitoring {
    Default,
    PerBroker,
    PerTopicPerBroker,
    PerTopicPerPartition,
}

impl EnhancedMonitoring {
    pub fn as_str(self) -> &'static str {
        match self {
            EnhancedMonitoring::Default => "DEFAULT",
            EnhancedMonitoring::PerBroker => "PER_BROKER",
            EnhancedMonitoring::PerTopicPerBroker => "PER_TOPIC_PER_BROKER",
            EnhancedMonitoring::PerTopicPerPartition => "PER_TOPIC_PER_PARTITION",
        }
    }
}
