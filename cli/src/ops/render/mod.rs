//! `forgectl render …`: deployment files for people who deploy elsewhere.

mod k8s;

use forgectl_contract::endpoints::PRODUCER_METRICS_PORT;
use forgectl_contract::env_vars::{PRODUCER_API_KEYS, PRODUCER_METRICS_ADDR};
use serde::Serialize;

use crate::config::{Environment, PostgresSslMode};
use crate::kafka::KafkaConnection;
use crate::profile::{Profile, RoleName};
use crate::render::compose::{self, ComposeFile, ComposeInput, ComposeRole};
pub use crate::render::connections::{kafka_connection, mongodb_connection, postgres_connection};
use crate::render::{
    render_template, service_env, structured_service_env, EnvVar, MongoConnection, PostgresConnection, RenderError,
    ServiceEnv, REDACTED,
};
pub use k8s::{k8s_kafka, kafka_from_brokers, render_k8s};

#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub profile: Profile,
    pub environment: Environment,
    /// Image tag of the services.
    pub version: String,
    /// Registry prefix, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com`.
    pub image_registry: Option<String>,
    pub show_secrets: bool,
    /// IAM role for the Kubernetes ServiceAccounts (IRSA annotation).
    pub irsa_role_arn: Option<String>,
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

/// A rendered file: comment lines for its top (YAML only) and the typed
/// body, which the command writes as YAML or JSON.
#[derive(Debug, Clone)]
pub struct Rendered<T> {
    pub header: String,
    pub body: T,
}

/// `api_keys`: the producer's `PRODUCER_API_KEYS` value as the output
/// should hold it (a reference to the shell for compose).
fn role_vars(
    options: &RenderOptions,
    role: RoleName,
    kafka: &KafkaConnection,
    postgres: &PostgresConnection,
    mongodb: Option<&MongoConnection>,
    api_keys: Option<String>,
) -> Result<ServiceEnv, RenderError> {
    let mut env = structured_service_env(&options.profile, role, kafka, postgres, mongodb)?;
    add_producer_access(&mut env, api_keys);
    Ok(env)
}

/// A self-contained docker-compose file: Kafka with every topic `topics
/// sync` manages (dead-letter topics included), PostgreSQL, MongoDB when
/// the environment has one, and the services. It brings its own Kafka, so
/// it renders the same for a local and an AWS environment.
pub fn render_compose(options: &RenderOptions) -> Result<Rendered<ComposeFile>, RenderError> {
    let kafka = KafkaConnection::plaintext(compose::KAFKA_BOOTSTRAP);
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
    let api_keys = format!("${{{PRODUCER_API_KEYS}:?export {PRODUCER_API_KEYS} first (name:key,...)}}");
    let roles = options
        .profile
        .roles
        .iter()
        .map(|role| {
            let env = role_vars(options, role.name, &kafka, &postgres, mongodb.as_ref(), Some(api_keys.clone()))?;
            Ok(ComposeRole { role: role.name, image: options.image(role.name), replicas: role.min, vars: env.vars })
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let input = ComposeInput {
        name_prefix: options.environment.name_prefix.clone(),
        topics: options.profile.managed_topics(),
        has_mongodb: mongodb.is_some(),
        roles,
    };
    let mut secrets = "DI_POSTGRES_PASSWORD".to_string();
    if mongodb.is_some() {
        secrets.push_str(", DI_MONGODB_PASSWORD");
    }
    let header = format!(
        "# Dev/UAT stack for tier {} (environment {}), rendered by forgectl.\n\
         # One KRaft Kafka broker with the tier's topics and their dead-letter topics,\n\
         # PostgreSQL{}, the producer and the consumer groups of the runbooks' split.\n\
         # Secrets come from the shell ({secrets}, {PRODUCER_API_KEYS}:\n\
         # export them before `docker compose up`), never from this file.\n",
        options.profile.tier,
        options.environment.name,
        if mongodb.is_some() { ", MongoDB" } else { "" },
    );
    Ok(Rendered { header, body: compose::compose_file(&input) })
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
