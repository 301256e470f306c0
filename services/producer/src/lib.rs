//! forgectl's producer API: HTTP uploads in, one acknowledged Kafka message
//! per upload out. See `openapi.yaml` for the contract.

pub mod access;
pub mod app;
pub mod config;
pub mod error;
pub mod insights;
pub mod kafka;
pub mod limits;
pub mod observe;
pub mod routes;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod validate;

pub use app::{Server, ServerError};
pub use config::ProducerConfig;
