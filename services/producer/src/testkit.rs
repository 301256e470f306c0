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
    pub cancel: CancellationToken,
    pub task: JoinHandle<Result<(), ServerError>>,
}

impl RunningProducer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(self) {
        self.cancel.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(40), self.task).await;
    }
}

/// Starts the server from deployment-style variables; it listens on a free
/// loopback port unless `PRODUCER_LISTEN_ADDR` says otherwise.
pub async fn start_producer(mut vars: HashMap<String, String>) -> RunningProducer {
    vars.entry("PRODUCER_LISTEN_ADDR".into()).or_insert_with(|| "127.0.0.1:0".into());
    let config = ProducerConfig::from_env(&vars).unwrap_or_else(|e| panic!("producer config: {e}"));
    let server = Server::bind(config).await.unwrap_or_else(|e| panic!("producer bind: {e}"));
    let addr = server.local_addr().unwrap_or_else(|e| panic!("local addr: {e}"));
    let cancel = CancellationToken::new();
    let task = tokio::spawn(server.run(cancel.clone()));
    RunningProducer { addr, base: format!("http://{addr}"), cancel, task }
}
