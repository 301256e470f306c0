//! The runbook's `DI_MONGODB_*` variables, read once into typed settings.
//!
//! Two of them have no counterpart in the Rust driver (it supports neither
//! `socketTimeoutMS` nor `waitQueueTimeoutMS`), so the sink enforces them
//! itself; see `MongoSettings::socket_timeout` and `wait_queue_timeout`.

use std::collections::BTreeSet;
use std::time::Duration;

use mongodb::options::{ClientOptions, Credential, ServerAddress};

use forgectl_service_common::env::{self, EnvSource};
use forgectl_service_common::env_vars;
use forgectl_service_common::{ConfigError, Kind, Secret};

#[derive(Debug, Clone)]
pub struct MongoSettings {
    pub host: String,
    pub port: u16,
    /// Both or neither: a server without authentication (the dev stack's
    /// FerretDB over SQLite) gets no credential at all.
    pub username: Option<String>,
    pub password: Secret,
    pub database: String,
    pub enabled: EnabledSources,
    pub max_pool_size: u32,
    pub min_pool_size: u32,
    pub server_selection_timeout: Duration,
    pub connect_timeout: Duration,
    /// Upper bound on one write round trip (the insert of a batch of one
    /// collection); past it the write counts as an outage and is retried.
    pub socket_timeout: Duration,
    pub retry_writes: bool,
    /// Upper bound on waiting for one of the `max_pool_size` write slots.
    pub wait_queue_timeout: Duration,
}

/// `DI_MONGODB_ENABLED_SOURCES`: which consumed topics also go to MongoDB.
///
/// Syntax: `*` (every topic this consumer reads), or a comma-separated list
/// whose entries are each a kind (`sms`, `events`, `apps_and_device`,
/// `contacts`, `call_logs`: that kind's topic, whatever its prefix) or an
/// exact topic name. Blanks around entries are ignored; an empty value is an
/// error (unset the variable or `DI_MONGODB_HOST` to turn the sink off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnabledSources {
    All,
    Listed { kinds: Vec<Kind>, topics: BTreeSet<String> },
}

const ENABLED_SOURCES: &str = env_vars::DI_MONGODB_ENABLED_SOURCES;

impl EnabledSources {
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid { var: ENABLED_SOURCES, value: value.to_string(), reason };
        let entries: Vec<&str> = value.split(',').map(str::trim).collect();
        if entries.iter().all(|e| e.is_empty()) {
            return Err(invalid("empty: use `*` or a list of kinds/topics".into()));
        }
        if entries.contains(&"*") {
            if entries.len() > 1 {
                return Err(invalid("`*` stands alone".into()));
            }
            return Ok(EnabledSources::All);
        }
        let mut kinds = Vec::new();
        let mut topics = BTreeSet::new();
        for entry in entries.into_iter().filter(|e| !e.is_empty()) {
            if let Ok(kind) = entry.parse::<Kind>() {
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            } else if entry.len() <= 200
                && entry.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            {
                topics.insert(entry.to_string());
            } else {
                return Err(invalid(format!("{entry:?} is neither a kind nor a Kafka topic name")));
            }
        }
        Ok(EnabledSources::Listed { kinds, topics })
    }

    pub fn includes(&self, topic: &str) -> bool {
        match self {
            EnabledSources::All => true,
            EnabledSources::Listed { kinds, topics } => {
                topics.contains(topic) || Kind::from_topic(topic).is_some_and(|k| kinds.contains(&k))
            }
        }
    }
}

/// MongoDB's collection names may not hold `$` or start with `system.`;
/// Kafka topic names (letters, digits, `.`, `_`, `-`) never do, so the
/// collection is the topic's own name.
pub fn collection_name(topic: &str) -> &str {
    topic
}

impl MongoSettings {
    /// `None` when `DI_MONGODB_HOST` is unset: the sink is off.
    pub fn from_env(env: &dyn EnvSource) -> Result<Option<Self>, ConfigError> {
        let Some(host) = env::optional(env, env_vars::DI_MONGODB_HOST) else {
            return Ok(None);
        };
        let ms = |var: &'static str, default: u64| -> Result<Duration, ConfigError> {
            Ok(Duration::from_millis(env::parse_or(env, var, default)?))
        };
        let settings = Self {
            host,
            port: env::parse_or(env, env_vars::DI_MONGODB_PORT, 27017u16)?,
            username: env::optional(env, env_vars::DI_MONGODB_USERNAME),
            password: env::secret(env, env_vars::DI_MONGODB_PASSWORD).unwrap_or_default(),
            database: env::optional(env, env_vars::DI_MONGODB_DATABASE).unwrap_or_else(|| "sync_db".into()),
            enabled: match env::optional(env, ENABLED_SOURCES) {
                Some(v) => EnabledSources::parse(&v)?,
                None => EnabledSources::All,
            },
            max_pool_size: env::parse_or(env, "DI_MONGODB_MAX_POOL_SIZE", 100u32)?,
            min_pool_size: env::parse_or(env, "DI_MONGODB_MIN_POOL_SIZE", 0u32)?,
            server_selection_timeout: ms("DI_MONGODB_SERVER_SELECTION_TIMEOUT_MS", 30_000)?,
            connect_timeout: ms("DI_MONGODB_CONNECT_TIMEOUT_MS", 10_000)?,
            socket_timeout: ms("DI_MONGODB_SOCKET_TIMEOUT_MS", 30_000)?,
            retry_writes: env::bool_or(env, "DI_MONGODB_RETRY_WRITES", true)?,
            wait_queue_timeout: ms("DI_MONGODB_WAIT_QUEUE_TIMEOUT_MS", 10_000)?,
        };
        settings.validate()?;
        Ok(Some(settings))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.max_pool_size == 0 {
            return Err(ConfigError::Invalid {
                var: "DI_MONGODB_MAX_POOL_SIZE",
                value: "0".into(),
                reason: "must be positive (0 would mean unlimited in the driver)".into(),
            });
        }
        if self.min_pool_size > self.max_pool_size {
            return Err(ConfigError::Conflict(format!(
                "DI_MONGODB_MIN_POOL_SIZE={} exceeds DI_MONGODB_MAX_POOL_SIZE={}",
                self.min_pool_size, self.max_pool_size
            )));
        }
        for (var, d) in [
            ("DI_MONGODB_SERVER_SELECTION_TIMEOUT_MS", self.server_selection_timeout),
            ("DI_MONGODB_CONNECT_TIMEOUT_MS", self.connect_timeout),
            ("DI_MONGODB_SOCKET_TIMEOUT_MS", self.socket_timeout),
            ("DI_MONGODB_WAIT_QUEUE_TIMEOUT_MS", self.wait_queue_timeout),
        ] {
            if d.is_zero() {
                return Err(ConfigError::Invalid { var, value: "0".into(), reason: "must be positive".into() });
            }
        }
        if self.database.is_empty()
            || self.database.len() > 63
            || self.database.bytes().any(|b| matches!(b, b'/' | b'\\' | b'.' | b' ' | b'"' | b'$' | 0))
        {
            return Err(ConfigError::Invalid {
                var: env_vars::DI_MONGODB_DATABASE,
                value: self.database.clone(),
                reason: "not a valid MongoDB database name".into(),
            });
        }
        match (&self.username, self.password.is_empty()) {
            (None, false) => Err(ConfigError::Conflict(
                "DI_MONGODB_PASSWORD is set without DI_MONGODB_USERNAME; set both or neither".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Driver options: built field by field, never through a URI, so the
    /// password is never part of a string that could be logged.
    pub fn client_options(&self) -> ClientOptions {
        let mut opts = ClientOptions::default();
        opts.hosts = vec![ServerAddress::Tcp { host: self.host.clone(), port: Some(self.port) }];
        opts.app_name = Some("forgectl-consumer".into());
        opts.max_pool_size = Some(self.max_pool_size);
        opts.min_pool_size = Some(self.min_pool_size);
        opts.server_selection_timeout = Some(self.server_selection_timeout);
        opts.connect_timeout = Some(self.connect_timeout);
        opts.retry_writes = Some(self.retry_writes);
        opts.default_database = Some(self.database.clone());
        if let Some(user) = &self.username {
            let mut credential = Credential::default();
            credential.username = Some(user.clone());
            credential.password = Some(self.password.expose().to_string());
            opts.credential = Some(credential);
        }
        opts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn off_without_host() {
        assert!(MongoSettings::from_env(&env(&[("DI_MONGODB_PORT", "1")])).unwrap().is_none());
    }

    #[test]
    fn runbook_values_reach_the_driver_options() {
        let s = MongoSettings::from_env(&env(&[
            ("DI_MONGODB_USERNAME", "mobileforge_user"),
            ("DI_MONGODB_PASSWORD", "your_secure_password"),
            ("DI_MONGODB_HOST", "db.internal"),
            ("DI_MONGODB_PORT", "27017"),
            ("DI_MONGODB_DATABASE", "sync_db"),
            ("DI_MONGODB_ENABLED_SOURCES", "*"),
            ("DI_MONGODB_MAX_POOL_SIZE", "100"),
            ("DI_MONGODB_MIN_POOL_SIZE", "10"),
            ("DI_MONGODB_SERVER_SELECTION_TIMEOUT_MS", "15000"),
            ("DI_MONGODB_CONNECT_TIMEOUT_MS", "10000"),
            ("DI_MONGODB_SOCKET_TIMEOUT_MS", "10000"),
            ("DI_MONGODB_RETRY_WRITES", "true"),
            ("DI_MONGODB_WAIT_QUEUE_TIMEOUT_MS", "2000"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(s.socket_timeout, Duration::from_secs(10));
        assert_eq!(s.wait_queue_timeout, Duration::from_secs(2));
        assert_eq!(s.enabled, EnabledSources::All);
        assert!(!format!("{s:?}").contains("your_secure_password"));
        let o = s.client_options();
        assert_eq!(o.hosts, vec![ServerAddress::Tcp { host: "db.internal".into(), port: Some(27017) }]);
        assert_eq!((o.max_pool_size, o.min_pool_size), (Some(100), Some(10)));
        assert_eq!(o.server_selection_timeout, Some(Duration::from_secs(15)));
        assert_eq!(o.connect_timeout, Some(Duration::from_secs(10)));
        assert_eq!(o.retry_writes, Some(true));
        let cred = o.credential.unwrap();
        assert_eq!(cred.username.as_deref(), Some("mobileforge_user"));
        assert_eq!(cred.password.as_deref(), Some("your_secure_password"));
    }

    #[test]
    fn no_credential_without_username() {
        let s = MongoSettings::from_env(&env(&[("DI_MONGODB_HOST", "h")])).unwrap().unwrap();
        assert!(s.client_options().credential.is_none());
        let e =
            MongoSettings::from_env(&env(&[("DI_MONGODB_HOST", "h"), ("DI_MONGODB_PASSWORD", "s3cret")])).unwrap_err();
        assert!(e.to_string().contains("DI_MONGODB_USERNAME") && !e.to_string().contains("s3cret"));
    }

    #[test]
    fn rejects_bad_numbers_and_pool_order() {
        for (k, v) in [
            ("DI_MONGODB_MAX_POOL_SIZE", "0"),
            ("DI_MONGODB_PORT", "99999"),
            ("DI_MONGODB_SOCKET_TIMEOUT_MS", "0"),
            ("DI_MONGODB_RETRY_WRITES", "maybe"),
            ("DI_MONGODB_DATABASE", "a.b"),
        ] {
            let e = MongoSettings::from_env(&env(&[("DI_MONGODB_HOST", "h"), (k, v)])).unwrap_err();
            assert!(e.to_string().contains(k), "{e}");
        }
        let e = MongoSettings::from_env(&env(&[
            ("DI_MONGODB_HOST", "h"),
            ("DI_MONGODB_MIN_POOL_SIZE", "20"),
            ("DI_MONGODB_MAX_POOL_SIZE", "10"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("DI_MONGODB_MIN_POOL_SIZE"));
    }

    #[test]
    fn enabled_sources_syntax() {
        assert_eq!(EnabledSources::parse(" * ").unwrap(), EnabledSources::All);
        for bad in ["", " , ", "*,sms", "sms;drop"] {
            let e = EnabledSources::parse(bad).unwrap_err();
            assert!(e.to_string().contains(ENABLED_SOURCES), "{bad}: {e}");
        }
        let listed = EnabledSources::parse("sms, call_logs,,t1_contacts_batched").unwrap();
        assert!(listed.includes("sms_batched"));
        assert!(listed.includes("e2e_x_sms_batched"), "a kind matches its topic under any prefix");
        assert!(listed.includes("call_logs_batched"));
        assert!(listed.includes("t1_contacts_batched"));
        assert!(!listed.includes("contacts_batched"), "a topic entry matches exactly");
        assert!(!listed.includes("events_log"));
        assert!(EnabledSources::All.includes("anything"));
    }
}
