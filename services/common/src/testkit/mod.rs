//! Helpers for the services' integration tests and benchmarks: endpoints from
//! the environment (or `dev/stack env`), unique resource names, and topic and
//! table set-up/tear-down. Tests that use it fail loudly when the stack is
//! missing; they never pass by skipping.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::kafka::{KafkaSettings, SecurityProtocol};
use crate::postgres::PgSettings;
use crate::secret::Secret;

mod test_ca;
mod throwaway;
pub use test_ca::{ServerCert, TestCa};
pub use throwaway::{tempdir, ThrowawayKafka, ThrowawayPg};

const STACK_HINT: &str = "the local stack is not available: run `dev/stack up` then \
     `eval \"$(dev/stack env)\"` (see dev/README) before running these tests";

/// Endpoints of the local stack.
#[derive(Debug, Clone)]
pub struct Stack {
    pub vars: HashMap<String, String>,
    pub brokers: String,
    pub tls_brokers: Option<String>,
    pub tls_ca: Option<String>,
    pub pg: PgSettings,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

/// Variables printed by `dev/stack env` as `export K=V` lines.
fn stack_env_from_script() -> HashMap<String, String> {
    let script = repo_root().join("dev/stack");
    let Ok(out) = std::process::Command::new(&script).arg("env").output() else {
        return HashMap::new();
    };
    if !out.status.success() {
        return HashMap::new();
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export "))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').trim_matches('\'').to_string()))
        .collect()
}

impl Stack {
    /// A stack made of servers the caller started (benchmarks on their own
    /// Kafka and PostgreSQL, away from the shared dev stack).
    pub fn custom(brokers: String, pg: PgSettings) -> Stack {
        Stack { vars: HashMap::new(), brokers, tls_brokers: None, tls_ca: None, pg }
    }

    /// Reads the stack's endpoints and checks that Kafka answers; panics with
    /// instructions otherwise.
    pub fn get() -> Stack {
        const KEYS: &[&str] = &[
            "DI_KAFKA_BROKER_ENDPOINT",
            "KAFKA_BOOTSTRAP_SERVERS",
            "KAFKA_TLS_BOOTSTRAP_SERVERS",
            "KAFKA_TLS_CA_LOCATION",
            "DI_POSTGRES_HOST",
            "DI_POSTGRES_PORT",
            "DI_POSTGRES_USERNAME",
            "DI_POSTGRES_PASSWORD",
            "DI_POSTGRES_DATABASE",
            "DI_POSTGRES_SYNC_DATABASE",
            "DI_POSTGRES_SSL_MODE",
            "DI_POSTGRES_SSL_ROOT_CERT",
        ];
        let mut vars: HashMap<String, String> =
            KEYS.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect();
        if !vars.contains_key("DI_KAFKA_BROKER_ENDPOINT") {
            vars.extend(stack_env_from_script());
        }
        let brokers = vars
            .get("DI_KAFKA_BROKER_ENDPOINT")
            .or_else(|| vars.get("KAFKA_BOOTSTRAP_SERVERS"))
            .cloned()
            .unwrap_or_else(|| panic!("DI_KAFKA_BROKER_ENDPOINT is not set: {STACK_HINT}"));
        let pg = PgSettings::from_env(&vars).unwrap_or_else(|e| panic!("PostgreSQL settings: {e}: {STACK_HINT}"));
        let stack = Stack {
            tls_brokers: vars.get("KAFKA_TLS_BOOTSTRAP_SERVERS").cloned(),
            tls_ca: vars.get("KAFKA_TLS_CA_LOCATION").cloned(),
            brokers,
            pg,
            vars,
        };
        let consumer: BaseConsumer = stack
            .kafka()
            .client_config()
            .create()
            .unwrap_or_else(|e| panic!("creating a Kafka client: {e}: {STACK_HINT}"));
        if let Err(e) = consumer.fetch_metadata(None, Duration::from_secs(10)) {
            panic!("Kafka at {} does not answer: {e}: {STACK_HINT}", stack.brokers);
        }
        stack
    }

    pub fn kafka(&self) -> KafkaSettings {
        KafkaSettings::plaintext(&self.brokers)
    }

    pub fn kafka_tls(&self) -> KafkaSettings {
        let brokers =
            self.tls_brokers.clone().unwrap_or_else(|| panic!("KAFKA_TLS_BOOTSTRAP_SERVERS is not set: {STACK_HINT}"));
        KafkaSettings {
            brokers,
            security_protocol: SecurityProtocol::Ssl,
            ssl_ca_location: self.tls_ca.clone(),
            ssl_verify_hostname: true,
            sasl: None,
            iam: None,
        }
    }

    pub fn pg_password(&self) -> Secret {
        self.pg.password.clone()
    }

    pub async fn pg_client(&self, database: &str) -> tokio_postgres::Client {
        self.pg
            .connect(database)
            .await
            .unwrap_or_else(|e| panic!("connecting to PostgreSQL {database}: {e}: {STACK_HINT}"))
    }
}

/// A name no other test run uses: tests share one Kafka and one database.
pub fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}{}", &id[..10])
}

fn admin(settings: &KafkaSettings) -> AdminClient<DefaultClientContext> {
    settings.client_config().create().unwrap_or_else(|e| panic!("creating a Kafka admin client: {e}"))
}

/// Creates topics with replication factor 3 (as MSK would) and waits until
/// their metadata is visible.
pub async fn create_topics(settings: &KafkaSettings, names: &[String], partitions: i32) {
    let admin = admin(settings);
    let topics: Vec<NewTopic> =
        names.iter().map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(3))).collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results =
        admin.create_topics(&topics, &opts).await.unwrap_or_else(|e| panic!("creating topics {names:?}: {e}"));
    for r in results {
        if let Err((name, code)) = r {
            if code != rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists {
                panic!("creating topic {name}: {code}");
            }
        }
    }
    // Leaders are elected asynchronously, and each broker learns of the topic
    // on its own: produce before that fails, and a consumer group formed from
    // a lagging broker's metadata gets no partitions. Ask every broker.
    for broker in settings.brokers.split(',').map(str::trim).filter(|b| !b.is_empty()) {
        let mut one = settings.clone();
        one.brokers = broker.to_string();
        let consumer: BaseConsumer =
            one.client_config().create().unwrap_or_else(|e| panic!("creating a Kafka client for {broker}: {e}"));
        for name in names {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while !topic_ready(&consumer, name, partitions) {
                assert!(std::time::Instant::now() < deadline, "topic {name} never became ready on {broker}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

fn topic_ready(consumer: &BaseConsumer, name: &str, partitions: i32) -> bool {
    consumer
        .fetch_metadata(Some(name), Duration::from_secs(5))
        .map(|m| {
            m.topics().iter().any(|t| {
                t.error().is_none()
                    && t.partitions().len() == partitions as usize
                    && t.partitions().iter().all(|p| p.leader() >= 0)
            })
        })
        .unwrap_or(false)
}

pub async fn delete_topics(settings: &KafkaSettings, names: &[String]) {
    let admin = admin(settings);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let _ = admin.delete_topics(&refs, &opts).await;
}

/// Polls `f` until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if f().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A free loopback port for a service under test.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

impl Stack {
    /// The service variables a deployment would set, pointing at the stack.
    pub fn service_env(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        m.insert("DI_KAFKA_BROKER_ENDPOINT".into(), self.brokers.clone());
        m.insert("DI_POSTGRES_HOST".into(), self.pg.host.clone());
        m.insert("DI_POSTGRES_PORT".into(), self.pg.port.to_string());
        m.insert("DI_POSTGRES_USERNAME".into(), self.pg.user.clone());
        m.insert("DI_POSTGRES_PASSWORD".into(), self.pg.password.expose().to_string());
        m.insert("DI_POSTGRES_DATABASE".into(), self.pg.database.clone());
        m.insert("DI_POSTGRES_SYNC_DATABASE".into(), self.pg.sync_database.clone());
        m.insert("DI_POSTGRES_SSL_MODE".into(), self.pg.tls.mode.to_string());
        if let Some(ca) = &self.pg.tls.root_cert {
            m.insert("DI_POSTGRES_SSL_ROOT_CERT".into(), ca.display().to_string());
        }
        m
    }

    /// Same as [`Stack::service_env`] but over the TLS listener.
    pub fn service_env_tls(&self) -> HashMap<String, String> {
        let tls = self.kafka_tls();
        let mut m = self.service_env();
        m.insert("DI_KAFKA_BROKER_ENDPOINT".into(), tls.brokers);
        m.insert("DI_KAFKA_SECURITY_PROTOCOL".into(), "SSL".into());
        if let Some(ca) = tls.ssl_ca_location {
            m.insert("DI_KAFKA_SSL_CA_LOCATION".into(), ca);
        }
        m
    }
}

/// The five upload topics under `prefix`, and their dead-letter topics.
pub fn prefixed_topics(prefix: &str) -> (Vec<String>, Vec<String>) {
    let topics: Vec<String> = crate::Kind::ALL.iter().map(|k| format!("{prefix}{}", k.topic())).collect();
    let dlqs = topics.iter().map(|t| crate::kinds::dlq_topic(t)).collect();
    (topics, dlqs)
}

/// An upload body with `n` records of roughly `size` bytes each.
pub fn upload_body(device: &str, batch: &str, n: usize, size: usize) -> serde_json::Value {
    let pad = "x".repeat(size.saturating_sub(40));
    let records: Vec<serde_json::Value> =
        (0..n).map(|i| serde_json::json!({ "i": i, "ts": 1_700_000_000_000u64 + i as u64, "body": pad })).collect();
    serde_json::json!({ "device_id": device, "batch_id": batch, "records": records })
}

/// A child process that is killed when the test ends, even by a panic, so a
/// failed test leaves no service running.
pub struct ChildGuard(pub std::process::Child);

impl ChildGuard {
    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl std::ops::Deref for ChildGuard {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
