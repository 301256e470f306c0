//! Helpers for the producer's integration tests: an in-process server on a
//! free loopback port, configured like a deployment but with test topics.
#![allow(dead_code)]

pub use forgectl_producer::testkit::start_producer;
pub use forgectl_service_common::testkit::*;

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| panic!("http client: {e}"))
}
