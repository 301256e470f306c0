//! `forgectl render …`: deployment files for people who deploy elsewhere.

use forgectl_contract::endpoints::{CONSUMER_METRICS_PORT, PRODUCER_METRICS_PORT, PRODUCER_PORT};
use forgectl_contract::env_vars::{PRODUCER_API_KEYS, PRODUCER_METRICS_ADDR};
use forgectl_contract::scaling::CPU_TARGET_PERCENT;
use serde::Serialize;

use crate::config::{Environment, PostgresSslMode, SecurityProtocol};
use crate::kafka::KafkaConnection;
use crate::profile::{Profile, RoleName, TopicSpec};
pub use crate::render::connections::{kafka_connection, mongodb_connection, postgres_connection};
use crate::render::{
    render_template, service_env, EnvVar, MongoConnection, PostgresConnection, RenderError, ServiceEnv, REDACTED,
};

/// apache/kafka image for the compose file: the same line as MSK's 3.9.x.
const COMPOSE_KAFKA_IMAGE_VERSION: &str = "3.9.1";

#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub profile: Profile,
    pub environment: Environment,
    /// Image tag of the services.
    pub version: String,
    /// Registry prefix, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com`.
    pub image_registry: Option<String>,
    pub show_secrets: bool,
}

impl RenderOptions {
    fn image(&self, role: RoleName) -> String {
        let repository = if role.is_consumer() { "forgectl-consumer" } else { "forgectl-producer" };
        match &self.image_registry {
            Some(registry) => format!("{}/{repository}:{}", registry.trim_end_matches('/'), self.version),
            None => format!("{repository}:{}", self.version),
        }
    }
}

/// What the producer needs beyond the shared variables: its metrics address
/// (all interfaces of its container or pod; nothing publishes the port) and
/// its API keys, a secret like the database password. `api_keys` is `None`
/// when the value is not to be shown.
fn add_producer_access(env: &mut ServiceEnv, api_keys: Option<String>) {
    if env.role.is_consumer() {
        return;
    }
    env.vars.push(EnvVar {
        name: PRODUCER_METRICS_ADDR.to_string(),
        value: format!("0.0.0.0:{PRODUCER_METRICS_PORT}"),
        secret: false,
    });
    env.vars.push(EnvVar {
        name: PRODUCER_API_KEYS.to_string(),
        value: api_keys.unwrap_or_else(|| REDACTED.to_string()),
        secret: true,
    });
}

#[derive(Debug, Serialize)]
struct EnvFileContext<'a> {
    role: RoleName,
    environment: &'a str,
    tier: &'a str,
    vars: &'a [EnvVar],
}

/// A role's `.env`, compatible with `docker run --env-file`.
pub fn render_env(options: &RenderOptions, role: RoleName) -> Result<(ServiceEnv, String), RenderError> {
    let kafka = kafka_connection(&options.environment, options.show_secrets)?;
    let postgres = postgres_connection(&options.environment, options.show_secrets)?;
    let mongodb = mongodb_connection(&options.environment, options.show_secrets);
    let mut env = service_env(&options.profile, role, &kafka, &postgres, mongodb.as_ref())?;
    // The operator's shell holds the keys under the name the producer reads,
    // for `--show-secrets` here and for `docker compose up`.
    let api_keys = options.show_secrets.then(|| std::env::var(PRODUCER_API_KEYS).ok()).flatten();
    add_producer_access(&mut env, api_keys);
    let text = render_template(
        "role.env",
        &EnvFileContext { role, environment: &options.environment.name, tier: &options.profile.tier, vars: &env.vars },
    )?;
    Ok((env, text))
}

#[derive(Debug, Serialize)]
struct ServiceContext {
    name: String,
    image: String,
    is_producer: bool,
    replicas: u32,
    min: u32,
    max: u32,
    port: Option<u16>,
    container_port: u16,
    group: Option<String>,
    topics: Vec<String>,
    /// KEDA's `lagThreshold`: the profile's lag per instance, the same
    /// target the Auto Scaling groups track on AWS.
    lag_per_instance: Option<u64>,
    vars: Vec<EnvVar>,
    cpu_request: &'static str,
    memory_request: &'static str,
}

/// `api_keys`: the producer's `PRODUCER_API_KEYS` value as the output
/// should hold it (a reference to the shell for compose, `None` for k8s,
/// whose secrets come from a Secret).
fn services(
    options: &RenderOptions,
    kafka: &KafkaConnection,
    postgres: &PostgresConnection,
    api_keys: Option<String>,
    mongodb: Option<&MongoConnection>,
) -> Result<Vec<ServiceContext>, RenderError> {
    options
        .profile
        .roles
        .iter()
        .map(|role| {
            let mut env = service_env(&options.profile, role.name, kafka, postgres, mongodb)?;
            add_producer_access(&mut env, api_keys.clone());
            Ok(ServiceContext {
                name: role.name.to_string(),
                image: options.image(role.name),
                is_producer: !role.name.is_consumer(),
                replicas: role.min,
                min: role.min,
                max: role.max,
                port: (!role.name.is_consumer()).then_some(PRODUCER_PORT),
                container_port: if role.name.is_consumer() { CONSUMER_METRICS_PORT } else { PRODUCER_PORT },
                group: role.group.clone(),
                topics: role.topics.clone(),
                lag_per_instance: role.lag_per_instance,
                vars: env.vars,
                // Half of a dev/UAT node (2 vCPU, 2 GiB): the CPU target is a
                // percentage of the request, so this keeps 50% meaningful.
                cpu_request: "1",
                memory_request: "1Gi",
            })
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct ComposeContext<'a> {
    name_prefix: &'a str,
    environment: &'a str,
    tier: &'a str,
    kafka_image_version: &'a str,
    topics: &'a [TopicSpec],
    /// A MongoDB service for the consumers' second sink.
    has_mongodb: bool,
    services: Vec<ServiceContext>,
}

/// A self-contained docker-compose file: Kafka, PostgreSQL and the services.
pub fn render_compose(options: &RenderOptions) -> Result<String, RenderError> {
    let kafka = KafkaConnection::plaintext("kafka:9092");
    // Compose reads these from the shell at `docker compose up`.
    let postgres = PostgresConnection {
        host: "postgres".to_string(),
        port: "5432".to_string(),
        username: "${DI_POSTGRES_USERNAME:-mobileforge_user}".to_string(),
        password: Some("${DI_POSTGRES_PASSWORD}".to_string()),
        database: "api_insights_db".to_string(),
        sync_database: "sync_db".to_string(),
        // The file's own PostgreSQL container has no certificate and is
        // reachable only on the compose network: plain text, named as such.
        ssl_mode: PostgresSslMode::Disable,
        ca_file: None,
    };
    let mongodb = options.environment.mongodb.as_ref().map(|mongo| MongoConnection {
        host: "mongodb".to_string(),
        port: "27017".to_string(),
        username: Some("${DI_MONGODB_USERNAME:-mobileforge_user}".to_string()),
        password: Some("${DI_MONGODB_PASSWORD}".to_string()),
        database: mongo.database.clone(),
        enabled_sources: mongo.enabled_sources.clone(),
    });
    render_template(
        "compose.yaml",
        &ComposeContext {
            name_prefix: &options.environment.name_prefix,
            environment: &options.environment.name,
            tier: &options.profile.tier,
            kafka_image_version: COMPOSE_KAFKA_IMAGE_VERSION,
            topics: &options.profile.topics,
            has_mongodb: mongodb.is_some(),
            services: services(
                options,
                &kafka,
                &postgres,
                Some(format!("${{{PRODUCER_API_KEYS}:?export {PRODUCER_API_KEYS} first (name:key,...)}}")),
                mongodb.as_ref(),
            )?,
        },
    )
}

#[derive(Debug, Serialize)]
struct K8sContext<'a> {
    environment: &'a str,
    tier: &'a str,
    secret_name: String,
    bootstrap_servers: &'a str,
    tls: bool,
    cpu_target_percent: u32,
    services: Vec<ServiceContext>,
}

/// Deployments, the producer's Service and HPA, and KEDA ScaledObjects.
pub fn render_k8s(options: &RenderOptions) -> Result<String, RenderError> {
    let kafka = kafka_connection(&options.environment, false)?;
    // Kubernetes gets the password from a Secret, never from the manifest.
    let postgres = PostgresConnection { password: None, ..postgres_connection(&options.environment, false)? };
    let mongodb = mongodb_connection(&options.environment, false);
    render_template(
        "k8s.yaml",
        &K8sContext {
            environment: &options.environment.name,
            tier: &options.profile.tier,
            secret_name: format!("{}-secrets", options.environment.name_prefix),
            bootstrap_servers: &kafka.bootstrap_servers,
            tls: kafka.security_protocol != SecurityProtocol::Plaintext,
            cpu_target_percent: CPU_TARGET_PERCENT,
            services: services(options, &kafka, &postgres, None, mongodb.as_ref())?,
        },
    )
}

/// The tier's alert rules as a Prometheus rule file (YAML).
pub fn render_prometheus(options: &RenderOptions) -> Result<String, RenderError> {
    let rules = crate::render::alerts::alert_rules(&options.profile)
        .ok_or_else(|| RenderError::NoAlerts { tier: options.profile.tier.clone() })?;
    serde_norway::to_string(&rules)
        .map_err(|err| RenderError::Serialize { what: "Prometheus rules", reason: err.to_string() })
}

/// The environment's Grafana dashboard (JSON).
pub fn render_grafana(options: &RenderOptions) -> Result<String, RenderError> {
    let dashboard = crate::render::grafana::dashboard(&options.profile, &options.environment.name);
    serde_json::to_string_pretty(&dashboard)
        .map_err(|err| RenderError::Serialize { what: "Grafana dashboard", reason: err.to_string() })
}
