//! Header names that cross the boundary between forgectl, the producer and
//! the consumer.

/// The Kafka header that carries an upload's batch id (the idempotency key):
/// the producer sets it, the consumer and its dead-letter copies keep it, and
/// forgectl's benchmarks and tests write raw messages with it.
pub const BATCH_ID_HEADER: &str = "batch-id";

/// The HTTP header a client sends its producer API key in; `forgectl verify`
/// and `loadtest` send it like the SDK does.
pub const API_KEY_HEADER: &str = "x-api-key";
