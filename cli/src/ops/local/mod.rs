//! The local provider: `provision` (check Kafka, sync topics), `status`
//! (processes, lag, rows) and the runtime of the service processes.

pub mod provision;
pub mod runtime;
pub mod status;
