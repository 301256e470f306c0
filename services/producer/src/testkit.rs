//! The producer API in-process on a free loopback port, for integration tests
//! (its own and the consumer's end-to-end ones). Compiled only with the
//! `testkit` feature; panics are the point here, since a test cannot go on
//! without its server.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{ProducerConfig, Server, ServerError};

pub struct RunningProducer {
    pub addr: SocketAddr,
    pub base: String,
    /// `http://…` of the metrics listener (`PRODUCER_METRICS_ADDR`).
    pub metrics_base: String,
    pub cancel: CancellationToken,
    pub task: JoinHandle<Result<(), ServerError>>,
}

impl RunningProducer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn metrics_url(&self) -> String {
        format!("{}/metrics", self.metrics_base)
    }

    pub async fn stop(self) {
        self.cancel.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(40), self.task).await;
    }
}

/// Starts the server from deployment-style variables; it listens on free
/// loopback ports unless `PRODUCER_LISTEN_ADDR`/`PRODUCER_METRICS_ADDR` say
/// otherwise. Tests that give no `PRODUCER_API_KEYS` are not about access,
/// so they run with anonymous uploads, asked for explicitly as in production.
pub async fn start_producer(mut vars: HashMap<String, String>) -> RunningProducer {
    vars.entry("PRODUCER_LISTEN_ADDR".into()).or_insert_with(|| "127.0.0.1:0".into());
    vars.entry("PRODUCER_METRICS_ADDR".into()).or_insert_with(|| "127.0.0.1:0".into());
    if !vars.contains_key("PRODUCER_API_KEYS") {
        vars.entry("PRODUCER_ALLOW_ANONYMOUS".into()).or_insert_with(|| "true".into());
    }
    let config = ProducerConfig::from_env(&vars).unwrap_or_else(|e| panic!("producer config: {e}"));
    let server = Server::bind(config).await.unwrap_or_else(|e| panic!("producer bind: {e}"));
    let addr = server.local_addr().unwrap_or_else(|e| panic!("local addr: {e}"));
    let metrics_addr = server.metrics_addr().unwrap_or_else(|e| panic!("metrics addr: {e}"));
    let cancel = CancellationToken::new();
    let task = tokio::spawn(server.run(cancel.clone()));
    RunningProducer {
        addr,
        base: format!("http://{addr}"),
        metrics_base: format!("http://{metrics_addr}"),
        cancel,
        task,
    }
}
