//! forgectl's consumer: Kafka topics into PostgreSQL tables (and, when
//! `DI_MONGODB_HOST` is set, MongoDB collections), idempotently, with offsets
//! stored in the same transaction as the rows, after MongoDB has the batch.

pub mod batch;
pub mod config;
pub mod context;
pub mod decode;
pub mod dlq;
pub mod gaps;
pub mod http;
pub mod inspect;
mod inspect_token;
pub mod mongo;
pub mod offsets;
pub mod positions;
pub mod run;
pub mod schema;
pub mod sink;
pub mod worker;

pub use config::ConsumerOptions;
pub use run::{run, ConsumerError};
