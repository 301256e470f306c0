//! The environment variables forgectl renders and the services read: the
//! runbooks' names, so the services stay drop-in for the images they replace.

pub const KAFKA_BROKER_ENDPOINT: &str = "DI_KAFKA_BROKER_ENDPOINT";
pub const KAFKA_SECURITY_PROTOCOL: &str = "DI_KAFKA_SECURITY_PROTOCOL";
pub const KAFKA_SSL_CA_LOCATION: &str = "DI_KAFKA_SSL_CA_LOCATION";
pub const POSTGRES_HOST: &str = "DI_POSTGRES_HOST";
pub const POSTGRES_PORT: &str = "DI_POSTGRES_PORT";
pub const POSTGRES_USERNAME: &str = "DI_POSTGRES_USERNAME";
pub const POSTGRES_PASSWORD: &str = "DI_POSTGRES_PASSWORD";
pub const POSTGRES_DATABASE: &str = "DI_POSTGRES_DATABASE";
pub const POSTGRES_SYNC_DATABASE: &str = "DI_POSTGRES_SYNC_DATABASE";
/// Consumers: the comma-separated topics to read.
pub const ENABLED_TOPICS: &str = "ENABLED_TOPICS";
/// Consumers: the Kafka consumer group.
pub const KAFKA_CONSUMER_GROUP: &str = "KAFKA_CONSUMER_GROUP";
