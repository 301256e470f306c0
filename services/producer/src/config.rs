//! Producer configuration: the seeds' variables plus optional extras, read
//! once at start and validated with errors that name the variable.

use std::net::SocketAddr;
use std::time::Duration;

use forgectl_service_common::endpoints::{PRODUCER_METRICS_PORT, PRODUCER_PORT};
use forgectl_service_common::env::{self, EnvSource};
use forgectl_service_common::env_vars;
use forgectl_service_common::{ConfigError, KafkaSettings, PgSettings, Secret};

/// An API key and the name it is reported under (insights `client` column).
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub name: String,
    pub key: Secret,
}

/// Who may upload: named keys, or anyone when the operator opted out
/// explicitly with `PRODUCER_ALLOW_ANONYMOUS=true`.
#[derive(Debug, Clone)]
pub enum Access {
    Keys(Vec<ApiKey>),
    Anonymous,
}

#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// The public listener: `/v1/*`, `/health` and `/ready` only.
    pub listen: SocketAddr,
    /// `/metrics` only; loopback by default so no load balancer reaches it.
    pub metrics_listen: SocketAddr,
    pub kafka: KafkaSettings,
    /// Prepended to every topic name; empty in production, unique per run in
    /// tests that share one cluster.
    pub topic_prefix: String,
    /// `None` disables API-insights rows (no `DI_POSTGRES_HOST`).
    pub pg: Option<PgSettings>,
    pub access: Access,
    pub max_body_bytes: usize,
    pub max_records: usize,
    pub max_inflight_bytes: usize,
    /// Upload requests served at once; the next one gets 503 + Retry-After.
    pub max_concurrent_uploads: usize,
    /// Whole-request bound (body read, validation, Kafka ack): a slow client
    /// cannot hold a slot or budget longer than this.
    pub request_timeout: Duration,
    pub delivery_timeout: Duration,
    pub linger_ms: u32,
    pub compression: String,
    pub queue_max_messages: u32,
    pub retry_after_secs: u32,
    pub insights_queue: usize,
    pub insights_batch: usize,
    pub insights_flush: Duration,
}

impl ProducerConfig {
    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let pg = match env::optional(env, env_vars::DI_POSTGRES_HOST) {
            Some(_) => Some(PgSettings::from_env(env)?),
            None => None,
        };
        let compression = env::optional(env, "PRODUCER_COMPRESSION").unwrap_or_else(|| "lz4".into());
        if !matches!(compression.as_str(), "none" | "gzip" | "snappy" | "lz4" | "zstd") {
            return Err(ConfigError::Invalid {
                var: "PRODUCER_COMPRESSION",
                value: compression,
                reason: "expected none, gzip, snappy, lz4 or zstd".into(),
            });
        }
        let cfg = Self {
            listen: env::parse_or(
                env,
                env_vars::PRODUCER_LISTEN_ADDR,
                SocketAddr::from(([0, 0, 0, 0], PRODUCER_PORT)),
            )?,
            metrics_listen: env::parse_or(
                env,
                env_vars::PRODUCER_METRICS_ADDR,
                SocketAddr::from(([127, 0, 0, 1], PRODUCER_METRICS_PORT)),
            )?,
            kafka: KafkaSettings::from_env(env)?,
            topic_prefix: env::optional(env, "DI_KAFKA_TOPIC_PREFIX").unwrap_or_default(),
            pg,
            access: access(env)?,
            max_body_bytes: env::parse_or(env, "PRODUCER_MAX_BODY_BYTES", 4 * 1024 * 1024)?,
            max_records: env::parse_or(env, "PRODUCER_MAX_RECORDS", 1000)?,
            max_inflight_bytes: env::parse_or(env, "PRODUCER_MAX_INFLIGHT_BYTES", 256 * 1024 * 1024)?,
            max_concurrent_uploads: env::parse_or(env, "PRODUCER_MAX_CONCURRENT_UPLOADS", 512)?,
            request_timeout: Duration::from_millis(env::parse_or(env, "PRODUCER_REQUEST_TIMEOUT_MS", 60_000u64)?),
            delivery_timeout: Duration::from_millis(env::parse_or(env, "PRODUCER_DELIVERY_TIMEOUT_MS", 15_000u64)?),
            linger_ms: env::parse_or(env, "PRODUCER_LINGER_MS", 5)?,
            compression,
            queue_max_messages: env::parse_or(env, "PRODUCER_QUEUE_MAX_MESSAGES", 100_000)?,
            retry_after_secs: env::parse_or(env, "PRODUCER_RETRY_AFTER_SECS", 1)?,
            insights_queue: env::parse_or(env, "PRODUCER_INSIGHTS_QUEUE", 10_000)?,
            insights_batch: env::parse_or(env, "PRODUCER_INSIGHTS_BATCH", 500)?,
            insights_flush: Duration::from_millis(env::parse_or(env, "PRODUCER_INSIGHTS_FLUSH_MS", 1000u64)?),
        };
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("PRODUCER_MAX_BODY_BYTES", self.max_body_bytes),
            ("PRODUCER_MAX_RECORDS", self.max_records),
            ("PRODUCER_MAX_INFLIGHT_BYTES", self.max_inflight_bytes),
            ("PRODUCER_MAX_CONCURRENT_UPLOADS", self.max_concurrent_uploads),
            ("PRODUCER_INSIGHTS_QUEUE", self.insights_queue),
            ("PRODUCER_INSIGHTS_BATCH", self.insights_batch),
        ];
        for (var, v) in positive {
            if v == 0 {
                return Err(ConfigError::Invalid { var, value: "0".into(), reason: "must be positive".into() });
            }
        }
        if self.max_inflight_bytes < self.max_body_bytes {
            return Err(ConfigError::Conflict(
                "PRODUCER_MAX_INFLIGHT_BYTES is smaller than PRODUCER_MAX_BODY_BYTES, so a maximal upload \
                 could never be accepted; raise PRODUCER_MAX_INFLIGHT_BYTES"
                    .into(),
            ));
        }
        if self.delivery_timeout < Duration::from_secs(1) {
            return Err(ConfigError::Invalid {
                var: "PRODUCER_DELIVERY_TIMEOUT_MS",
                value: self.delivery_timeout.as_millis().to_string(),
                reason: "must be at least 1000 so a leader election can finish".into(),
            });
        }
        // The ack wait is bounded by the delivery timeout plus a margin; a
        // request timeout below that would answer 408 for uploads Kafka is
        // about to acknowledge.
        if self.request_timeout < self.delivery_timeout + Duration::from_secs(5) {
            return Err(ConfigError::Conflict(format!(
                "PRODUCER_REQUEST_TIMEOUT_MS ({} ms) must exceed PRODUCER_DELIVERY_TIMEOUT_MS ({} ms) by at least \
                 5000 ms so an upload is not timed out while Kafka acknowledges it",
                self.request_timeout.as_millis(),
                self.delivery_timeout.as_millis()
            )));
        }
        if self.metrics_listen == self.listen && self.listen.port() != 0 {
            return Err(ConfigError::Conflict(
                "PRODUCER_METRICS_ADDR equals PRODUCER_LISTEN_ADDR; /metrics needs its own address".into(),
            ));
        }
        Ok(())
    }

    /// The configured keys; empty when anonymous uploads are allowed.
    pub fn api_keys(&self) -> &[ApiKey] {
        match &self.access {
            Access::Keys(keys) => keys,
            Access::Anonymous => &[],
        }
    }

    pub fn topic(&self, kind: forgectl_service_common::Kind) -> String {
        format!("{}{}", self.topic_prefix, kind.topic())
    }
}

/// Keys, or anonymous access when asked for explicitly; neither is a
/// configuration error, so a forgotten secret never opens the API.
fn access(env: &dyn EnvSource) -> Result<Access, ConfigError> {
    let keys = parse_api_keys(env)?;
    let anonymous = env::bool_or(env, env_vars::PRODUCER_ALLOW_ANONYMOUS, false)?;
    match (keys.is_empty(), anonymous) {
        (false, false) => Ok(Access::Keys(keys)),
        (true, true) => Ok(Access::Anonymous),
        (true, false) => Err(ConfigError::Conflict(
            "no API keys: set PRODUCER_API_KEYS (name:key,...) or, to accept uploads from anyone, \
             PRODUCER_ALLOW_ANONYMOUS=true"
                .into(),
        )),
        (false, true) => Err(ConfigError::Conflict(
            "PRODUCER_API_KEYS and PRODUCER_ALLOW_ANONYMOUS=true are both set; keep one".into(),
        )),
    }
}

/// `PRODUCER_API_KEYS="ios:key1,android:key2"`; a bare key is named by its position.
fn parse_api_keys(env: &dyn EnvSource) -> Result<Vec<ApiKey>, ConfigError> {
    let Some(raw) = env::secret(env, env_vars::PRODUCER_API_KEYS) else {
        return Ok(Vec::new());
    };
    let mut keys = Vec::new();
    for (i, entry) in raw.expose().split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
        let (name, key) = match entry.split_once(':') {
            Some((n, k)) => (n.trim().to_string(), k.trim().to_string()),
            None => (format!("key{i}"), entry.to_string()),
        };
        if key.len() < 16 {
            return Err(ConfigError::InvalidSecret {
                var: env_vars::PRODUCER_API_KEYS,
                reason: format!("key number {i} ({name}) is shorter than 16 characters"),
            });
        }
        keys.push(ApiKey { name, key: Secret::new(key) });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut m: HashMap<String, String> =
            [("DI_KAFKA_BROKER_ENDPOINT", "127.0.0.1:9092"), ("PRODUCER_API_KEYS", "test:0123456789abcdef0")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        m.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        m
    }

    #[test]
    fn defaults_match_seeds() {
        let c = ProducerConfig::from_env(&env(&[])).unwrap();
        assert_eq!(c.listen.port(), 8000);
        assert_eq!(c.metrics_listen, SocketAddr::from(([127, 0, 0, 1], 8002)));
        assert!(c.pg.is_none());
        assert_eq!(c.api_keys().len(), 1);
        assert_eq!(c.topic(forgectl_service_common::Kind::Events), "events_log");
    }

    #[test]
    fn api_keys_are_named_and_hidden() {
        let c = ProducerConfig::from_env(&env(&[("PRODUCER_API_KEYS", "ios:0123456789abcdef0,fedcba98765432100")]))
            .unwrap();
        assert_eq!(c.api_keys().len(), 2);
        assert_eq!(c.api_keys()[0].name, "ios");
        assert_eq!(c.api_keys()[1].name, "key1");
        assert!(!format!("{c:?}").contains("0123456789abcdef0"));
        let e = ProducerConfig::from_env(&env(&[("PRODUCER_API_KEYS", "zq9zq9")])).unwrap_err();
        assert!(!e.to_string().contains("zq9zq9"));
    }

    #[test]
    fn no_keys_is_refused_unless_anonymous_is_explicit() {
        let mut vars = env(&[]);
        vars.remove("PRODUCER_API_KEYS");
        let e = ProducerConfig::from_env(&vars).unwrap_err().to_string();
        assert!(e.contains("PRODUCER_API_KEYS") && e.contains("PRODUCER_ALLOW_ANONYMOUS=true"), "{e}");
        vars.insert("PRODUCER_ALLOW_ANONYMOUS".into(), "true".into());
        let c = ProducerConfig::from_env(&vars).unwrap();
        assert!(matches!(c.access, Access::Anonymous));
        let both = env(&[("PRODUCER_ALLOW_ANONYMOUS", "true")]);
        assert!(ProducerConfig::from_env(&both).unwrap_err().to_string().contains("keep one"));
        vars.insert("PRODUCER_ALLOW_ANONYMOUS".into(), "perhaps".into());
        assert!(ProducerConfig::from_env(&vars).is_err());
    }

    #[test]
    fn request_timeout_must_cover_the_delivery_timeout() {
        let e = ProducerConfig::from_env(&env(&[("PRODUCER_REQUEST_TIMEOUT_MS", "10000")])).unwrap_err();
        assert!(e.to_string().contains("PRODUCER_REQUEST_TIMEOUT_MS"), "{e}");
        let same = env(&[("PRODUCER_LISTEN_ADDR", "127.0.0.1:9000"), ("PRODUCER_METRICS_ADDR", "127.0.0.1:9000")]);
        assert!(ProducerConfig::from_env(&same).is_err());
    }

    #[test]
    fn rejects_bad_values() {
        assert!(ProducerConfig::from_env(&env(&[("PRODUCER_COMPRESSION", "brotli")])).is_err());
        assert!(ProducerConfig::from_env(&env(&[("PRODUCER_MAX_RECORDS", "0")])).is_err());
        let e = ProducerConfig::from_env(&env(&[("PRODUCER_MAX_INFLIGHT_BYTES", "10")])).unwrap_err();
        assert!(e.to_string().contains("PRODUCER_MAX_INFLIGHT_BYTES"));
        assert!(ProducerConfig::from_env(&env(&[("PRODUCER_LISTEN_ADDR", "nope")])).is_err());
    }
}
