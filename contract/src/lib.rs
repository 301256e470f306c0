//! The contract between forgectl and the services it deploys.
//!
//! forgectl writes the services' environment, creates their topics, points
//! load balancers at their ports, counts rows in their tables and sends them
//! uploads; the producer and consumer read those same names. Each name lives
//! here once, so the tool and the services cannot drift apart, and the CLI
//! does not have to link the services' runtime (Kafka and PostgreSQL client
//! settings, pools, metrics) to learn them. Only plain values and the few
//! pure functions that derive names belong here; anything that talks to a
//! broker or a database stays with the services.

pub mod cloudwatch;
pub mod endpoints;
pub mod env_vars;
pub mod headers;
pub mod kinds;
pub mod scaling;
pub mod tables;

pub use kinds::{dlq_topic, Kind, UnknownKind, DEFAULT_DEAD_LETTER_SUFFIX};
