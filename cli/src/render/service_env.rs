//! The environment variables each role's service reads. These are the
//! runbooks' names (`DI_*`, `ENABLED_TOPICS`, `KAFKA_CONSUMER_GROUP`) so our
//! services stay drop-in for the images they replace.

use forgectl_contract::env_vars;
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::config::PostgresSslMode;
use crate::kafka::{KafkaConnection, SCRAM_MECHANISM};
use crate::profile::{Profile, RoleName};

use super::RenderError;

/// What to show instead of a secret.
pub const REDACTED: &str = "<redacted>";

#[derive(Debug, Clone, Serialize)]
pub struct PostgresConnection {
    pub host: String,
    pub port: String,
    pub username: String,
    /// `None` when the secret is not to be shown (or not available).
    pub password: Option<String>,
    pub database: String,
    pub sync_database: String,
    pub ssl_mode: PostgresSslMode,
    /// The CA bundle's path where the reader runs (this machine, or the
    /// instance's copy once `deploy` placed it there).
    pub ca_file: Option<String>,
}

impl PostgresConnection {
    /// The TLS settings forgectl's own reads use: the services' rules.
    pub fn tls(&self) -> forgectl_postgres_tls::PgTls {
        forgectl_postgres_tls::PgTls { mode: self.ssl_mode.into(), root_cert: self.ca_file.as_deref().map(Into::into) }
    }
}

/// The consumers' MongoDB sink. The producer never writes to MongoDB, so it
/// gets none of these variables (and never the password).
#[derive(Debug, Clone, Serialize)]
pub struct MongoConnection {
    pub host: String,
    pub port: String,
    pub username: Option<String>,
    /// `None` when the secret is not to be shown (or not available).
    pub password: Option<String>,
    pub database: String,
    pub enabled_sources: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceEnv {
    pub role: RoleName,
    pub vars: Vec<EnvVar>,
}

impl ServiceEnv {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.iter().find(|var| var.name == name).map(|var| var.value.as_str())
    }
}

/// The variables for `role`, for a file of `NAME=value` lines (a `.env`
/// file, user data, a process environment): a value with a line break is
/// refused. Secrets hold their value only when `postgres.password` is
/// `Some`; otherwise they read `<redacted>`.
pub fn service_env(
    profile: &Profile,
    role: RoleName,
    kafka: &KafkaConnection,
    postgres: &PostgresConnection,
    mongodb: Option<&MongoConnection>,
) -> Result<ServiceEnv, RenderError> {
    let env = structured_service_env(profile, role, kafka, postgres, mongodb)?;
    if let Some(bad) = env.vars.iter().find(|var| var.value.contains(['\n', '\r'])) {
        return Err(RenderError::MultilineValue { name: bad.name.clone() });
    }
    Ok(env)
}

/// The variables for `role`, for a file whose serialiser quotes any value
/// (the compose file, Kubernetes manifests): line breaks are kept.
pub fn structured_service_env(
    profile: &Profile,
    role: RoleName,
    kafka: &KafkaConnection,
    postgres: &PostgresConnection,
    mongodb: Option<&MongoConnection>,
) -> Result<ServiceEnv, RenderError> {
    let spec = profile
        .role(role)
        .ok_or_else(|| RenderError::UnknownRole { role: role.to_string(), tier: profile.tier.clone() })?;
    let mut vars = Vec::new();
    let mut plain = |name: &str, value: &str| {
        vars.push(EnvVar { name: name.to_string(), value: value.to_string(), secret: false });
    };
    plain(env_vars::DI_KAFKA_BROKER_ENDPOINT, &kafka.bootstrap_servers);
    plain(env_vars::DI_KAFKA_SECURITY_PROTOCOL, kafka.security_protocol.as_str());
    if let Some(ca) = &kafka.ssl_ca_location {
        plain(env_vars::DI_KAFKA_SSL_CA_LOCATION, ca);
    }
    if let Some(login) = &kafka.sasl {
        plain(env_vars::DI_KAFKA_SASL_MECHANISM, SCRAM_MECHANISM);
        plain(env_vars::DI_KAFKA_SASL_USERNAME, &login.username);
    }
    plain(env_vars::DI_POSTGRES_HOST, &postgres.host);
    plain(env_vars::DI_POSTGRES_PORT, &postgres.port);
    plain(env_vars::DI_POSTGRES_USERNAME, &postgres.username);
    plain(env_vars::DI_POSTGRES_DATABASE, &postgres.database);
    plain(env_vars::DI_POSTGRES_SYNC_DATABASE, &postgres.sync_database);
    // verify-full is the services' default: only a weaker mode is written,
    // so a rendered file shows the opt-out.
    if postgres.ssl_mode != PostgresSslMode::VerifyFull {
        plain(env_vars::DI_POSTGRES_SSL_MODE, forgectl_postgres_tls::SslMode::from(postgres.ssl_mode).as_str());
    }
    if let Some(ca_file) = &postgres.ca_file {
        plain(env_vars::DI_POSTGRES_SSL_ROOT_CERT, ca_file);
    }
    if role.is_consumer() {
        plain(env_vars::ENABLED_TOPICS, &spec.topics.join(","));
        if let Some(group) = &spec.group {
            plain(env_vars::KAFKA_CONSUMER_GROUP, group);
        }
        // The dead-letter topics `topics sync` creates are named by the
        // profile's suffix; the consumers write to exactly those.
        if let Some(dead_letter) = &profile.dead_letter {
            plain(env_vars::KAFKA_DEAD_LETTER_SUFFIX, &dead_letter.suffix);
        }
        if let Some(mongo) = mongodb {
            plain(env_vars::DI_MONGODB_HOST, &mongo.host);
            plain(env_vars::DI_MONGODB_PORT, &mongo.port);
            plain(env_vars::DI_MONGODB_DATABASE, &mongo.database);
            plain(env_vars::DI_MONGODB_ENABLED_SOURCES, &mongo.enabled_sources);
            if let Some(user) = &mongo.username {
                plain(env_vars::DI_MONGODB_USERNAME, user);
            }
        }
    }
    vars.push(EnvVar {
        name: env_vars::DI_POSTGRES_PASSWORD.to_string(),
        value: postgres.password.clone().unwrap_or_else(|| REDACTED.to_string()),
        secret: true,
    });
    if let Some(login) = &kafka.sasl {
        vars.push(EnvVar {
            name: env_vars::DI_KAFKA_SASL_PASSWORD.to_string(),
            value: login.password.expose_secret().to_string(),
            secret: true,
        });
    }
    if let Some(mongo) = mongodb.filter(|mongo| role.is_consumer() && mongo.username.is_some()) {
        vars.push(EnvVar {
            name: env_vars::DI_MONGODB_PASSWORD.to_string(),
            value: mongo.password.clone().unwrap_or_else(|| REDACTED.to_string()),
            secret: true,
        });
    }
    Ok(ServiceEnv { role, vars })
}
