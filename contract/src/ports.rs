//! The services' listening ports, the runbooks' numbers.

/// The producer API's HTTP port.
pub const PRODUCER_PORT: u16 = 8000;
/// The consumer's health and metrics port.
pub const CONSUMER_METRICS_PORT: u16 = 8001;
