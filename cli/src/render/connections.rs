//! Where an environment's Kafka, PostgreSQL and MongoDB are, as the
//! services (and forgectl's own checks) should reach them.

use secrecy::SecretString;

use crate::config::Environment;
use crate::kafka::{KafkaConnection, KafkaError, ScramCredentials};
use crate::render::{MongoConnection, PostgresConnection, RenderError, REDACTED};

/// Where the environment's Kafka is, as the services should reach it. The
/// SCRAM password (if the endpoint names one) is read only when
/// `show_secrets`; otherwise it reads `<redacted>`.
pub fn kafka_connection(environment: &Environment, show_secrets: bool) -> Result<KafkaConnection, RenderError> {
    let endpoint = environment.kafka.as_ref();
    let bootstrap = endpoint.and_then(|kafka| kafka.bootstrap_servers.clone()).ok_or_else(|| {
        RenderError::MissingEndpoint { env: environment.name.clone(), what: "kafka.bootstrap_servers" }
    })?;
    if show_secrets {
        return KafkaConnection::from_endpoint(endpoint, bootstrap).map_err(|source| match source {
            KafkaError::MissingCredential { variable } => {
                RenderError::MissingSecret { env: environment.name.clone(), variable }
            }
            other => RenderError::Kafka(Box::new(other)),
        });
    }
    let mut connection =
        KafkaConnection::from_endpoint(None, bootstrap).map_err(|e| RenderError::Kafka(Box::new(e)))?;
    if let Some(kafka) = endpoint {
        connection.security_protocol = kafka.security_protocol;
        connection.ssl_ca_location = kafka.ssl_ca_location.clone().filter(|ca| !ca.is_empty());
        connection.sasl = kafka
            .sasl_username
            .as_ref()
            .map(|username| ScramCredentials::new(username.clone(), SecretString::from(REDACTED)));
    }
    Ok(connection)
}

pub fn postgres_connection(environment: &Environment, show_secrets: bool) -> Result<PostgresConnection, RenderError> {
    let postgres = environment
        .postgres
        .as_ref()
        .ok_or_else(|| RenderError::MissingEndpoint { env: environment.name.clone(), what: "postgres" })?;
    Ok(PostgresConnection {
        host: postgres.host.clone(),
        port: postgres.port.clone(),
        username: postgres.username.clone(),
        password: show_secrets.then(|| std::env::var(&postgres.password_env).ok()).flatten(),
        database: postgres.database.clone(),
        sync_database: postgres.sync_database.clone(),
        ssl_mode: postgres.ssl_mode,
        ca_file: postgres.ca_file.clone(),
    })
}

/// The consumers' MongoDB, if the environment has one.
pub fn mongodb_connection(environment: &Environment, show_secrets: bool) -> Option<MongoConnection> {
    environment.mongodb.as_ref().map(|mongo| MongoConnection {
        host: mongo.host.clone(),
        port: mongo.port.clone(),
        username: mongo.username.clone(),
        password: mongo
            .password_env
            .as_deref()
            .filter(|_| show_secrets)
            .and_then(|variable| std::env::var(variable).ok()),
        database: mongo.database.clone(),
        enabled_sources: mongo.enabled_sources.clone(),
    })
}
