//! Kafka record headers.

/// The batch id of an upload: the consumer's idempotency key.
pub const BATCH_ID_HEADER: &str = "batch-id";
