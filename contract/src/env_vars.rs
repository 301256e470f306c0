//! The environment variables forgectl writes for the services (rendered
//! env files, compose and Kubernetes manifests, instance user data, local
//! processes) and the services read at start. The names are the runbooks'
//! (`DI_*`, `ENABLED_TOPICS`, `KAFKA_CONSUMER_GROUP`) so the services stay
//! drop-in for the images they replace. Tuning variables that only a service
//! reads (timeouts, pool sizes) stay with that service.

// Kafka, read by both services.
pub const DI_KAFKA_BROKER_ENDPOINT: &str = "DI_KAFKA_BROKER_ENDPOINT";
pub const DI_KAFKA_SECURITY_PROTOCOL: &str = "DI_KAFKA_SECURITY_PROTOCOL";
pub const DI_KAFKA_SSL_CA_LOCATION: &str = "DI_KAFKA_SSL_CA_LOCATION";
/// SCRAM login over `SASL_SSL` (`client_auth: sasl-scram`).
pub const DI_KAFKA_SASL_MECHANISM: &str = "DI_KAFKA_SASL_MECHANISM";
pub const DI_KAFKA_SASL_USERNAME: &str = "DI_KAFKA_SASL_USERNAME";
/// A secret: forgectl stores it as a SecureString parameter of this name.
pub const DI_KAFKA_SASL_PASSWORD: &str = "DI_KAFKA_SASL_PASSWORD";
/// `client_auth: iam`: the region MSK IAM tokens are signed for; set, the
/// clients use SASL_SSL with OAUTHBEARER and the instance role's credentials.
pub const DI_KAFKA_MSK_IAM_REGION: &str = "DI_KAFKA_MSK_IAM_REGION";

// PostgreSQL, read by both services.
pub const DI_POSTGRES_HOST: &str = "DI_POSTGRES_HOST";
pub const DI_POSTGRES_PORT: &str = "DI_POSTGRES_PORT";
pub const DI_POSTGRES_USERNAME: &str = "DI_POSTGRES_USERNAME";
/// A secret: forgectl stores it as a SecureString parameter of this name.
pub const DI_POSTGRES_PASSWORD: &str = "DI_POSTGRES_PASSWORD";
pub const DI_POSTGRES_DATABASE: &str = "DI_POSTGRES_DATABASE";
pub const DI_POSTGRES_SYNC_DATABASE: &str = "DI_POSTGRES_SYNC_DATABASE";
/// `verify-full` (the default: chain and host name checked), `require`
/// (encrypted, server unchecked) or `disable` (plain text); only named
/// weaker modes apply.
pub const DI_POSTGRES_SSL_MODE: &str = "DI_POSTGRES_SSL_MODE";
/// PEM bundle of the CAs that sign the server's certificate (RDS's bundle,
/// the dev stack's CA); unset: the public web roots.
pub const DI_POSTGRES_SSL_ROOT_CERT: &str = "DI_POSTGRES_SSL_ROOT_CERT";

// The consumer.
/// Comma-separated topics one consumer role reads.
pub const ENABLED_TOPICS: &str = "ENABLED_TOPICS";
pub const KAFKA_CONSUMER_GROUP: &str = "KAFKA_CONSUMER_GROUP";
/// The profile's `dead_letter.suffix`, so the consumers write to exactly the
/// dead-letter topics `forgectl topics sync` creates.
pub const KAFKA_DEAD_LETTER_SUFFIX: &str = "KAFKA_DEAD_LETTER_SUFFIX";
pub const CONSUMER_METRICS_ADDR: &str = "CONSUMER_METRICS_ADDR";

// The consumer's MongoDB sink.
pub const DI_MONGODB_HOST: &str = "DI_MONGODB_HOST";
pub const DI_MONGODB_PORT: &str = "DI_MONGODB_PORT";
pub const DI_MONGODB_USERNAME: &str = "DI_MONGODB_USERNAME";
/// A secret: forgectl stores it as a SecureString parameter of this name.
pub const DI_MONGODB_PASSWORD: &str = "DI_MONGODB_PASSWORD";
pub const DI_MONGODB_DATABASE: &str = "DI_MONGODB_DATABASE";
pub const DI_MONGODB_ENABLED_SOURCES: &str = "DI_MONGODB_ENABLED_SOURCES";

// The producer.
pub const PRODUCER_LISTEN_ADDR: &str = "PRODUCER_LISTEN_ADDR";
pub const PRODUCER_METRICS_ADDR: &str = "PRODUCER_METRICS_ADDR";
/// `name:key,…`; a secret, and the last path segment of the parameter
/// `forgectl api-keys` keeps it in.
pub const PRODUCER_API_KEYS: &str = "PRODUCER_API_KEYS";
/// `true`: the producer accepts uploads without a key (only with no `PRODUCER_API_KEYS`);
/// deploy sets it for `services.allow_anonymous_uploads`.
pub const PRODUCER_ALLOW_ANONYMOUS: &str = "PRODUCER_ALLOW_ANONYMOUS";
