//! Where the services listen and what the load balancer probes. forgectl
//! publishes these ports, opens them in security groups and health-checks
//! them; the services default to them when no address variable is set.

/// The producer's HTTP API, the runbooks' 8000.
pub const PRODUCER_PORT: u16 = 8000;

/// The consumer's health and metrics port.
pub const CONSUMER_METRICS_PORT: u16 = 8001;

/// The producer's `/metrics` port: a listener of its own, which no Service,
/// port mapping or load balancer forwards.
pub const PRODUCER_METRICS_PORT: u16 = 8002;

/// Both services' readiness route: the load balancer's target group checks
/// the producer's, and `deploy` on the local provider waits for each new
/// instance's before it replaces the next.
pub const READY_PATH: &str = "/ready";
