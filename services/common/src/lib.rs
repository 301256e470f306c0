//! Pieces shared by the bundled producer API and consumer: configuration read
//! from the seeds' environment variables, Kafka and PostgreSQL client settings,
//! the upload envelope that travels between them, and process plumbing.
//! The names forgectl shares with the services (kinds, topics, tables,
//! headers, ports, variables) live in `forgectl-contract`, re-exported here
//! so the services reach them through this crate as before.

pub mod env;
pub mod envelope;
pub mod kafka;
pub mod kafka_iam;
pub mod postgres;
pub mod secret;
pub mod shutdown;
pub mod telemetry;

pub use forgectl_contract::{endpoints, env_vars, headers, kinds, tables};

#[cfg(feature = "testkit")]
pub mod testkit;

pub use env::ConfigError;
pub use envelope::Envelope;
pub use kafka::{KafkaSettings, SecurityProtocol};
pub use kinds::Kind;
pub use postgres::PgSettings;
pub use secret::Secret;
