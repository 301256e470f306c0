//! `limits`: the producer's peak RSS under 500 concurrent 4 MiB uploads and
//! under 500 slow-loris clients, each against a fresh process, as ratios to
//! the same process's idle RSS measured in the same run; and whether a
//! well-behaved client kept getting answers meanwhile.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use forgectl_service_common::testkit::{delete_topics, free_port, prefixed_topics, unique, Stack};

use crate::procs::{api_client, producer_vars, wait_http_ok, Proc, BENCH_API_KEY};

const MIB: usize = 1024 * 1024;
pub const CLIENTS: usize = 500;

pub struct Scenario {
    pub name: &'static str,
    pub idle_rss_kib: u64,
    pub peak_rss_kib: u64,
    /// Status code -> count, for the 500 heavy clients.
    pub statuses: BTreeMap<u16, usize>,
    /// A well-behaved client's uploads during the scenario: answered / sent.
    pub probe_answered: usize,
    pub probe_sent: usize,
}

/// `VmHWM` (peak resident set) or `VmRSS` of a process, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// Topics that accept 4 MiB messages, as the profiles configure them.
async fn create_big_topics(stack: &Stack, names: &[String]) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = stack.kafka().client_config().create()?;
    let topics: Vec<NewTopic> = names
        .iter()
        .map(|n| NewTopic::new(n, 6, TopicReplication::Fixed(3)).set("max.message.bytes", "5242880"))
        .collect();
    admin.create_topics(&topics, &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)))).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    Ok(())
}

/// A valid upload of about 4 MiB: 100 records of 40 KiB strings.
fn big_body(batch: &str) -> Vec<u8> {
    let pad = "x".repeat(40 * 1024);
    let records: Vec<serde_json::Value> = (0..100).map(|i| serde_json::json!({"i": i, "pad": pad})).collect();
    serde_json::to_vec(&serde_json::json!({"device_id": "bench", "batch_id": batch, "records": records}))
        .unwrap_or_default()
}

/// Small uploads, one after another, until `stop`: does everyone else still
/// get an answer (any answer: 200, or 429/503 with Retry-After)?
fn probe(base: String, stop: Arc<tokio::sync::Notify>) -> tokio::task::JoinHandle<(usize, usize)> {
    tokio::spawn(async move {
        let Ok(client) = api_client(reqwest::Client::builder().timeout(Duration::from_secs(10))) else {
            return (0, 0);
        };
        let (mut answered, mut sent) = (0, 0);
        let body = serde_json::json!({"device_id": "probe", "batch_id": "probe", "records": [{"a": 1}]});
        loop {
            sent += 1;
            if client.post(format!("{base}/v1/uploads/sms")).json(&body).send().await.is_ok() {
                answered += 1;
            }
            tokio::select! {
                _ = stop.notified() => return (answered, sent),
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    })
}

async fn start_producer(stack: &Stack, prefix: &str) -> anyhow::Result<(Proc, String, SocketAddr)> {
    let port = free_port();
    let mut vars = producer_vars(stack.service_env(), port);
    vars.insert("DI_KAFKA_TOPIC_PREFIX".into(), prefix.to_string());
    let server = Proc::spawn("forgectl-producer", &vars)?;
    let base = format!("http://127.0.0.1:{port}");
    wait_http_ok(&format!("{base}/ready"), Duration::from_secs(30)).await?;
    Ok((server, base, SocketAddr::from(([127, 0, 0, 1], port))))
}

async fn concurrent_uploads(stack: &Stack, prefix: &str) -> anyhow::Result<Scenario> {
    let (server, base, _) = start_producer(stack, prefix).await?;
    let idle = status_kib(server.pid(), "VmRSS:");
    let body = bytes::Bytes::from(big_body("big"));
    let client = api_client(reqwest::Client::builder().pool_max_idle_per_host(CLIENTS))?;
    let stop = Arc::new(tokio::sync::Notify::new());
    let probe = probe(base.clone(), stop.clone());
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (client, url, body) = (client.clone(), format!("{base}/v1/uploads/contacts"), body.clone());
            tokio::spawn(async move {
                let _ = i;
                let r = client.post(url).header("content-type", "application/json").body(body).send().await;
                r.map(|r| r.status().as_u16()).unwrap_or(0)
            })
        })
        .collect();
    let mut statuses = BTreeMap::new();
    for t in tasks {
        *statuses.entry(t.await.unwrap_or(0)).or_insert(0) += 1;
    }
    stop.notify_one();
    let (probe_answered, probe_sent) = probe.await.unwrap_or((0, 0));
    let peak = status_kib(server.pid(), "VmHWM:");
    server.stop().await;
    Ok(Scenario {
        name: "500 concurrent 4 MiB uploads",
        idle_rss_kib: idle,
        peak_rss_kib: peak,
        statuses,
        probe_answered,
        probe_sent,
    })
}

async fn slow_loris(stack: &Stack, prefix: &str, hold: Duration) -> anyhow::Result<Scenario> {
    let (server, base, addr) = start_producer(stack, prefix).await?;
    let idle = status_kib(server.pid(), "VmRSS:");
    let stop = Arc::new(tokio::sync::Notify::new());
    let probe = probe(base, stop.clone());
    let mut conns = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        let mut s = TcpStream::connect(addr).await?;
        let head = format!(
            "POST /v1/uploads/sms HTTP/1.1\r\nHost: b\r\nX-Api-Key: {BENCH_API_KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"device_id\":",
            4 * MIB
        );
        s.write_all(head.as_bytes()).await?;
        conns.push(s);
    }
    // One byte per second per connection: slow enough to hold everything.
    let deadline = tokio::time::Instant::now() + hold;
    while tokio::time::Instant::now() < deadline {
        for s in conns.iter_mut() {
            let _ = s.write_all(b" ").await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    stop.notify_one();
    let (probe_answered, probe_sent) = probe.await.unwrap_or((0, 0));
    let peak = status_kib(server.pid(), "VmHWM:");
    drop(conns);
    server.stop().await;
    Ok(Scenario {
        name: "500 slow-loris clients",
        idle_rss_kib: idle,
        peak_rss_kib: peak,
        statuses: BTreeMap::new(),
        probe_answered,
        probe_sent,
    })
}

pub async fn run(hold: Duration) -> anyhow::Result<Vec<Scenario>> {
    let stack = crate::own::stack();
    let prefix = unique("bench_l_");
    let (topics, _) = prefixed_topics(&prefix);
    create_big_topics(&stack, &topics).await?;
    let big = concurrent_uploads(&stack, &prefix).await;
    let slow = slow_loris(&stack, &prefix, hold).await;
    delete_topics(&stack.kafka(), &topics).await;
    Ok(vec![big?, slow?])
}
