//! Helpers for the producer's integration tests: an in-process server on a
//! free loopback port, configured like a deployment but with test topics.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;

use forgectl_producer::{ProducerConfig, Server, ServerError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use forgectl_service_common::testkit::*;

pub struct Running {
    pub addr: SocketAddr,
    pub base: String,
    pub cancel: CancellationToken,
    pub task: JoinHandle<Result<(), ServerError>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(self) {
        self.cancel.cancel();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(40), self.task).await;
    }
}

pub async fn start_producer(mut vars: HashMap<String, String>) -> Running {
    vars.entry("PRODUCER_LISTEN_ADDR".into()).or_insert_with(|| "127.0.0.1:0".into());
    let config = ProducerConfig::from_env(&vars).unwrap_or_else(|e| panic!("producer config: {e}"));
    let server = Server::bind(config).await.unwrap_or_else(|e| panic!("producer bind: {e}"));
    let addr = server.local_addr().unwrap_or_else(|e| panic!("local addr: {e}"));
    let cancel = CancellationToken::new();
    let task = tokio::spawn(server.run(cancel.clone()));
    Running { addr, base: format!("http://{addr}"), cancel, task }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| panic!("http client: {e}"))
}
