//! Pieces shared by the bundled producer API and consumer: configuration read
//! from the seeds' environment variables, Kafka and PostgreSQL client settings,
//! the upload envelope that travels between them, and process plumbing.

pub mod env;
pub mod envelope;
pub mod kafka;
pub mod kinds;
pub mod postgres;
pub mod secret;
pub mod shutdown;
pub mod tables;
pub mod telemetry;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use env::ConfigError;
pub use envelope::Envelope;
pub use kafka::{KafkaSettings, SecurityProtocol};
pub use kinds::Kind;
pub use postgres::PgSettings;
pub use secret::Secret;
