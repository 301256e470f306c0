//! forgectl's consumer: Kafka topics into PostgreSQL tables, idempotently,
//! with offsets stored in the same transaction as the rows.

pub mod batch;
pub mod config;
pub mod context;
pub mod decode;
pub mod dlq;
pub mod http;
pub mod run;
pub mod schema;
pub mod sink;
pub mod worker;

pub use config::ConsumerOptions;
pub use run::{run, ConsumerError};
