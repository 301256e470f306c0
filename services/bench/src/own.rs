//! Which Kafka and PostgreSQL the bench runs against.

use std::sync::OnceLock;
use std::time::Duration;

use forgectl_service_common::testkit::{Stack, ThrowawayKafka, ThrowawayPg};

static OWN: OnceLock<Stack> = OnceLock::new();

pub struct Own {
    _kafka: ThrowawayKafka,
    _pg: ThrowawayPg,
}

pub async fn start() -> anyhow::Result<Own> {
    println!("starting the bench's own 3-broker Kafka and PostgreSQL");
    let kafka = ThrowawayKafka::start();
    kafka.wait_ready(Duration::from_secs(180)).await;
    let pg = ThrowawayPg::start();
    let _ = OWN.set(Stack::custom(kafka.bootstrap(), pg.settings()));
    Ok(Own { _kafka: kafka, _pg: pg })
}

/// The bench's own servers when started, else the shared dev stack.
pub fn stack() -> Stack {
    OWN.get().cloned().unwrap_or_else(Stack::get)
}
