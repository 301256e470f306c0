//! MSK reports topic changes with a delay (AWS documents up to about a
//! minute). The emulator models it with `topic_status_lag_seconds`: topics
//! stay CREATING/UPDATING for that long after a change. forgectl must not
//! report success before MSK shows the topics ACTIVE, so a `check` right
//! after `sync` is clean. Needs `dev/stack up` and `eval "$(dev/stack env)"`.

mod topics_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use topics_support::*;

/// Long enough to be measured against the emulator's own latency, short
/// enough for a test.
const LAG_SECONDS: f64 = 3.0;

fn plugin_host() -> String {
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .unwrap_or_else(|_| panic!("AWS_ENDPOINT_URL is not set: run dev/stack up && eval \"$(dev/stack env)\""));
    endpoint.trim_start_matches("http://").trim_end_matches('/').to_string()
}

/// A minimal HTTP/1.0 request to the emulator's plug-in endpoints.
fn plugin(method: &str, path: &str, body: &str) -> String {
    let host = plugin_host();
    let mut stream = TcpStream::connect(&host).unwrap_or_else(|err| panic!("connect {host}: {err}"));
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap_or_else(|err| panic!("send: {err}"));
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap_or_else(|err| panic!("read: {err}"));
    assert!(response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"), "{response}");
    response.split("\r\n\r\n").nth(1).unwrap_or_default().to_string()
}

/// Sets the topic status lag, and puts the previous value back on drop
/// (only this key: other suites may have changed other delays).
struct LagGuard(f64);

impl LagGuard {
    fn set(seconds: f64) -> Self {
        let current: serde_json::Value =
            serde_json::from_str(&plugin("GET", "/forgectl-plugin/config", "")).unwrap_or_else(|err| panic!("{err}"));
        let previous = current["topic_status_lag_seconds"].as_f64().unwrap_or(0.0);
        plugin("POST", "/forgectl-plugin/config", &format!("{{\"topic_status_lag_seconds\": {seconds}}}"));
        LagGuard(previous)
    }
}

impl Drop for LagGuard {
    fn drop(&mut self) {
        plugin("POST", "/forgectl-plugin/config", &format!("{{\"topic_status_lag_seconds\": {}}}", self.0));
    }
}

#[test]
fn msk_sync_waits_until_msk_reports_the_topics_active() {
    let fx = Fixture::new("msklag");
    let arn = msk_cluster_arn();
    let target = vec!["--via".into(), "msk".into(), "--cluster-arn".into(), arn, "--region".into(), "us-east-1".into()];
    let _lag = LagGuard::set(LAG_SECONDS);

    let started = Instant::now();
    fx.json(&target, &["topics", "sync", "--tier", "50k"], 0);
    assert!(
        started.elapsed() >= Duration::from_secs_f64(LAG_SECONDS),
        "sync returned after {:?}, before MSK reported the topics ACTIVE",
        started.elapsed()
    );
    let check = fx.json(&target, &["topics", "check", "--tier", "50k"], 0);
    assert_eq!(check["in_sync"], true);

    // An update is reported UPDATING for a while too.
    let started = Instant::now();
    fx.json(&target, &["topics", "sync", "--tier", "100k"], 0);
    assert!(started.elapsed() >= Duration::from_secs_f64(LAG_SECONDS), "{:?}", started.elapsed());
    fx.json(&target, &["topics", "check", "--tier", "100k"], 0);
}
