//! Consumer options: the seeds' variables plus tuning extras.

use std::net::SocketAddr;
use std::time::Duration;

use forgectl_service_common::endpoints::CONSUMER_METRICS_PORT;
use forgectl_service_common::env::{self, EnvSource};
use forgectl_service_common::env_vars;
use forgectl_service_common::kinds::DEFAULT_DEAD_LETTER_SUFFIX;
use forgectl_service_common::{ConfigError, KafkaSettings, Kind, PgSettings};

use crate::mongo::MongoSettings;

#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    pub kafka: KafkaSettings,
    pub pg: PgSettings,
    pub topics: Vec<String>,
    pub group: String,
    /// Flush when this many rows are buffered...
    pub batch_max_rows: usize,
    /// ...or when the oldest buffered message is this old.
    pub batch_max_wait: Duration,
    /// `None`: no HTTP endpoint (tests running several consumers in-process).
    pub metrics_listen: Option<SocketAddr>,
    pub max_poll_interval: Duration,
    /// How fast the group notices a dead member (SIGKILL, crash).
    pub session_timeout: Duration,
    /// Appended to a topic's name for its dead-letter topic; deploy and
    /// render pass the profile's `dead_letter.suffix`.
    pub dead_letter_suffix: String,
    /// A message larger than this is dead-lettered without its value (which
    /// the dead-letter topic may not accept); the producer's uploads are far
    /// below it.
    pub max_message_bytes: usize,
    /// The MongoDB sink's settings; `None` (sink off) without `DI_MONGODB_HOST`.
    pub mongodb: Option<MongoSettings>,
}

impl ConsumerOptions {
    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let topics = env::list(env, env_vars::ENABLED_TOPICS);
        let topics = if topics.is_empty() { Kind::ALL.iter().map(|k| k.topic().to_string()).collect() } else { topics };
        let opts = Self {
            kafka: KafkaSettings::from_env(env)?,
            pg: PgSettings::from_env(env)?,
            group: env::required(env, env_vars::KAFKA_CONSUMER_GROUP)?,
            topics,
            batch_max_rows: env::parse_or(env, "CONSUMER_BATCH_MAX_ROWS", 5000)?,
            batch_max_wait: Duration::from_millis(env::parse_or(env, "CONSUMER_BATCH_MAX_WAIT_MS", 100u64)?),
            metrics_listen: Some(env::parse_or(
                env,
                env_vars::CONSUMER_METRICS_ADDR,
                SocketAddr::from(([0, 0, 0, 0], CONSUMER_METRICS_PORT)),
            )?),
            max_poll_interval: Duration::from_millis(env::parse_or(env, "CONSUMER_MAX_POLL_INTERVAL_MS", 300_000u64)?),
            session_timeout: Duration::from_millis(env::parse_or(env, "CONSUMER_SESSION_TIMEOUT_MS", 45_000u64)?),
            dead_letter_suffix: env::optional(env, env_vars::KAFKA_DEAD_LETTER_SUFFIX)
                .unwrap_or_else(|| DEFAULT_DEAD_LETTER_SUFFIX.to_string()),
            max_message_bytes: env::parse_or(env, "CONSUMER_MAX_MESSAGE_BYTES", 5 * 1024 * 1024)?,
            mongodb: MongoSettings::from_env(env)?,
        };
        opts.validate()?;
        Ok(opts)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.batch_max_rows == 0 {
            return Err(ConfigError::Invalid {
                var: "CONSUMER_BATCH_MAX_ROWS",
                value: "0".into(),
                reason: "must be positive".into(),
            });
        }
        if self.dead_letter_suffix.is_empty()
            || !self.dead_letter_suffix.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(ConfigError::Invalid {
                var: env_vars::KAFKA_DEAD_LETTER_SUFFIX,
                value: self.dead_letter_suffix.clone(),
                reason: "must be non-empty and use only letters, digits, '.', '_' and '-'".into(),
            });
        }
        for t in &self.topics {
            if t.ends_with(&self.dead_letter_suffix) {
                return Err(ConfigError::Invalid {
                    var: env_vars::ENABLED_TOPICS,
                    value: t.clone(),
                    reason: "dead-letter topics are written, not consumed".into(),
                });
            }
            if !t.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) || t.len() > 200 {
                return Err(ConfigError::Invalid {
                    var: env_vars::ENABLED_TOPICS,
                    value: t.clone(),
                    reason: "not a valid Kafka topic name".into(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = [
            ("DI_KAFKA_BROKER_ENDPOINT", "k:9092"),
            ("DI_POSTGRES_HOST", "db"),
            ("DI_POSTGRES_USERNAME", "u"),
            ("KAFKA_CONSUMER_GROUP", "sms-consumer-group"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        m.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        m
    }

    #[test]
    fn seed_split() {
        let o = ConsumerOptions::from_env(&env(&[(
            "ENABLED_TOPICS",
            "apps_and_device_batched, contacts_batched,call_logs_batched",
        )]))
        .unwrap();
        assert_eq!(o.topics, vec!["apps_and_device_batched", "contacts_batched", "call_logs_batched"]);
        assert_eq!(o.metrics_listen.map(|a| a.port()), Some(8001));
        let all = ConsumerOptions::from_env(&env(&[])).unwrap();
        assert_eq!(all.topics.len(), 5);
    }

    #[test]
    fn rejects_bad_topics_and_missing_group() {
        assert!(ConsumerOptions::from_env(&env(&[("ENABLED_TOPICS", "sms_batched.dlq")])).is_err());
        assert!(ConsumerOptions::from_env(&env(&[("ENABLED_TOPICS", "a;drop table")])).is_err());
        let custom = [("ENABLED_TOPICS", "sms_batched.dead"), ("KAFKA_DEAD_LETTER_SUFFIX", ".dead")];
        assert!(ConsumerOptions::from_env(&env(&custom)).is_err());
        let o = ConsumerOptions::from_env(&env(&[("KAFKA_DEAD_LETTER_SUFFIX", ".dead")])).unwrap();
        assert_eq!(o.dead_letter_suffix, ".dead");
        assert!(ConsumerOptions::from_env(&env(&[("KAFKA_DEAD_LETTER_SUFFIX", "/x")])).is_err());
        let mut e = env(&[]);
        e.remove("KAFKA_CONSUMER_GROUP");
        assert!(ConsumerOptions::from_env(&e).unwrap_err().to_string().contains("KAFKA_CONSUMER_GROUP"));
    }
}
