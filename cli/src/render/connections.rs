//! Where an environment's Kafka, PostgreSQL and MongoDB are, as the
//! services (and forgectl's own checks) should reach them.

use crate::config::Environment;
use crate::kafka::KafkaConnection;
use crate::render::{MongoConnection, PostgresConnection, RenderError};

/// Where the environment's Kafka is, as the services should reach it.
pub fn kafka_connection(environment: &Environment) -> Result<KafkaConnection, RenderError> {
    let endpoint = environment.kafka.as_ref();
    let bootstrap = endpoint.and_then(|kafka| kafka.bootstrap_servers.clone()).ok_or_else(|| {
        RenderError::MissingEndpoint { env: environment.name.clone(), what: "kafka.bootstrap_servers" }
    })?;
    Ok(KafkaConnection::from_endpoint(endpoint, bootstrap))
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
