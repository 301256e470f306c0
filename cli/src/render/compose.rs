//! `render compose`: a dev/UAT docker-compose file built as typed
//! structures and serialised, so any value (quotes, colons, line breaks)
//! is written as YAML needs it.

use forgectl_contract::endpoints::PRODUCER_PORT;
use indexmap::IndexMap;
use serde::Serialize;

use crate::profile::{RoleName, TopicSpec};
use crate::render::EnvVar;

/// apache/kafka image for the compose file: the line new MSK clusters run (4.1, KRaft) and the local stack runs.
pub const KAFKA_IMAGE: &str = "apache/kafka:4.1.2";
const POSTGRES_IMAGE: &str = "postgres:15";
const MONGODB_IMAGE: &str = "mongo:7";
/// The file's own single broker, on the compose network.
pub const KAFKA_BOOTSTRAP: &str = "kafka:9092";
const KAFKA_TOOLS: &str = "/opt/kafka/bin";

#[derive(Debug, Clone, Serialize)]
pub struct ComposeFile {
    pub name: String,
    pub services: IndexMap<String, ComposeService>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ComposeService {
    pub image: String,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub depends_on: IndexMap<String, DependsOn>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<&'static str>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub environment: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DependsOn {
    pub condition: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deploy {
    pub replicas: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub interval: &'static str,
    pub retries: u32,
}

/// One role as the compose file runs it.
#[derive(Debug, Clone)]
pub struct ComposeRole {
    pub role: RoleName,
    pub image: String,
    pub replicas: u32,
    pub vars: Vec<EnvVar>,
}

#[derive(Debug, Clone)]
pub struct ComposeInput {
    pub name_prefix: String,
    /// Every topic `topics sync` manages: the tier's and their dead-letter topics.
    pub topics: Vec<TopicSpec>,
    pub has_mongodb: bool,
    pub roles: Vec<ComposeRole>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

fn vars(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
}

fn after(pairs: &[(&str, &'static str)]) -> IndexMap<String, DependsOn> {
    pairs.iter().map(|(name, condition)| (name.to_string(), DependsOn { condition })).collect()
}

/// A shell word for the topics script: bare when it is plainly safe, else
/// single-quoted.
fn shell_word(text: &str) -> String {
    let safe = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '=' | ',' | '/' | ':'));
    if safe {
        text.to_string()
    } else {
        super::shell_quote(text.to_string())
    }
}

/// One `kafka-topics.sh --create` per topic, dead-letter topics included;
/// `set -e` so a topic that cannot be made fails the service.
fn topics_script(topics: &[TopicSpec]) -> String {
    let mut lines = vec!["set -e".to_string()];
    for topic in topics {
        let mut line = format!(
            "{KAFKA_TOOLS}/kafka-topics.sh --bootstrap-server {KAFKA_BOOTSTRAP} --create --if-not-exists --topic {} --partitions {} --replication-factor 1",
            shell_word(&topic.name),
            topic.partitions
        );
        for (key, value) in &topic.configs {
            line.push_str(&format!(" --config {}", shell_word(&format!("{key}={value}"))));
        }
        lines.push(line);
    }
    lines.join("\n") + "\n"
}

fn kafka() -> ComposeService {
    ComposeService {
        image: KAFKA_IMAGE.into(),
        environment: vars(&[
            ("KAFKA_NODE_ID", "1"),
            ("KAFKA_PROCESS_ROLES", "broker,controller"),
            ("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093"),
            ("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://kafka:9092"),
            ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
            ("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@kafka:9093"),
            ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
            // As on MSK with forgectl's configuration: topics are declared, not auto-created.
            ("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false"),
            // A single broker cannot hold RF 3; dev/UAT runs RF 1.
            ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1"),
            ("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1"),
            ("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1"),
        ]),
        healthcheck: Some(Healthcheck {
            test: vec![
                "CMD-SHELL".into(),
                format!("{KAFKA_TOOLS}/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 >/dev/null"),
            ],
            interval: "5s",
            retries: 30,
        }),
        ..ComposeService::default()
    }
}

const PG_USER: &str = "${DI_POSTGRES_USERNAME:-mobileforge_user}";
const PG_PASSWORD: &str = "${DI_POSTGRES_PASSWORD:?export DI_POSTGRES_PASSWORD first}";

fn postgres() -> ComposeService {
    ComposeService {
        image: POSTGRES_IMAGE.into(),
        environment: vars(&[
            ("POSTGRES_USER", PG_USER),
            ("POSTGRES_PASSWORD", PG_PASSWORD),
            ("POSTGRES_DB", "api_insights_db"),
        ]),
        command: strings(&["postgres", "-c", "max_connections=200"]),
        healthcheck: Some(Healthcheck {
            test: strings(&["CMD-SHELL", "pg_isready -U $${POSTGRES_USER} -d api_insights_db"]),
            interval: "5s",
            retries: 30,
        }),
        ..ComposeService::default()
    }
}

/// POSTGRES_DB makes one database; the consumers write to a second.
fn databases() -> ComposeService {
    ComposeService {
        image: POSTGRES_IMAGE.into(),
        depends_on: after(&[("postgres", "service_healthy")]),
        environment: vars(&[
            ("PGHOST", "postgres"),
            ("PGUSER", PG_USER),
            ("PGPASSWORD", PG_PASSWORD),
            ("PGDATABASE", "api_insights_db"),
        ]),
        entrypoint: strings(&["/bin/sh", "-c"]),
        command: vec![
            "echo \"SELECT 'CREATE DATABASE sync_db' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'sync_db')\\gexec\" | psql -v ON_ERROR_STOP=1".into(),
        ],
        restart: Some("no"),
        ..ComposeService::default()
    }
}

fn mongodb() -> ComposeService {
    ComposeService {
        image: MONGODB_IMAGE.into(),
        environment: vars(&[
            ("MONGO_INITDB_ROOT_USERNAME", "${DI_MONGODB_USERNAME:-mobileforge_user}"),
            ("MONGO_INITDB_ROOT_PASSWORD", "${DI_MONGODB_PASSWORD:?export DI_MONGODB_PASSWORD first}"),
        ]),
        healthcheck: Some(Healthcheck {
            test: strings(&["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"]),
            interval: "5s",
            retries: 30,
        }),
        ..ComposeService::default()
    }
}

fn role_service(role: &ComposeRole, has_mongodb: bool) -> ComposeService {
    let mut depends_on =
        after(&[("topics", "service_completed_successfully"), ("databases", "service_completed_successfully")]);
    if has_mongodb && role.role.is_consumer() {
        depends_on.insert("mongodb".into(), DependsOn { condition: "service_healthy" });
    }
    // One host port per replica.
    let ports = match (role.role.is_consumer(), role.replicas) {
        (true, _) => Vec::new(),
        (false, 0 | 1) => vec![format!("{PRODUCER_PORT}:{PRODUCER_PORT}")],
        (false, n) => vec![format!("{PRODUCER_PORT}-{}:{PRODUCER_PORT}", u32::from(PRODUCER_PORT) + n - 1)],
    };
    ComposeService {
        image: role.image.clone(),
        depends_on,
        ports,
        deploy: Some(Deploy { replicas: role.replicas }),
        restart: Some("on-failure"),
        environment: role.vars.iter().map(|var| (var.name.clone(), var.value.clone())).collect(),
        ..ComposeService::default()
    }
}

/// Kafka with every managed topic, PostgreSQL (and MongoDB when the
/// environment has one), the producer and the consumer groups.
pub fn compose_file(input: &ComposeInput) -> ComposeFile {
    let mut services = IndexMap::new();
    services.insert("kafka".to_string(), kafka());
    services.insert(
        "topics".to_string(),
        ComposeService {
            image: KAFKA_IMAGE.into(),
            depends_on: after(&[("kafka", "service_healthy")]),
            entrypoint: strings(&["/bin/sh", "-c"]),
            command: vec![topics_script(&input.topics)],
            restart: Some("no"),
            ..ComposeService::default()
        },
    );
    services.insert("postgres".to_string(), postgres());
    services.insert("databases".to_string(), databases());
    if input.has_mongodb {
        services.insert("mongodb".to_string(), mongodb());
    }
    for role in &input.roles {
        services.insert(role.role.to_string(), role_service(role, input.has_mongodb));
    }
    ComposeFile { name: input.name_prefix.clone(), services }
}

#[cfg(test)]
#[path = "compose_tests.rs"]
mod tests;
