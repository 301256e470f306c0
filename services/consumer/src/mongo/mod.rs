//! The MongoDB sink: the runbook's `DI_MONGODB_*` settings, the documents
//! (one collection per topic, `_id` from the record's identity) and the
//! idempotent writes. It runs before PostgreSQL in every flush, so the
//! offsets PostgreSQL stores never run ahead of MongoDB either.

pub mod config;
pub mod document;
pub mod sink;
pub mod step;

pub use config::{EnabledSources, MongoSettings};
pub use sink::{MongoError, MongoSink, MongoWrite, Rejection};
