//! Producer API uploads/s and latency vs raw rdkafka producing the same
//! messages (same config, same brokers, same concurrency), in one run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use forgectl_service_common::envelope::BATCH_ID_HEADER;
use forgectl_service_common::testkit::{create_topics, delete_topics, free_port, prefixed_topics, unique, Stack};

use crate::procs::{api_client, producer_vars, wait_http_ok, Proc};
use crate::stats::{cpu_seconds, ms, percentile};
use crate::workload::{make_uploads, Upload, Workload};

pub struct RunResult {
    pub label: String,
    pub uploads: usize,
    pub secs: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub cpu_secs: f64,
    pub errors: usize,
}

impl RunResult {
    pub fn rate(&self) -> f64 {
        self.uploads as f64 / self.secs
    }
    pub fn print(&self) {
        println!(
            "{:<10} uploads/s {:>8.1}  p50 {:>7.2} ms  p99 {:>7.2} ms  cpu {:>5.2} s ({:>5.1}% of one core)  n={} errors={}",
            self.label,
            self.rate(),
            ms(self.p50),
            ms(self.p99),
            self.cpu_secs,
            100.0 * self.cpu_secs / self.secs,
            self.uploads,
            self.errors
        );
    }
}

pub fn raw_producer(stack: &Stack) -> anyhow::Result<FutureProducer> {
    // Exactly the settings the API's producer uses (services/producer/src/kafka.rs).
    let mut cfg = stack.kafka().client_config();
    cfg.set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("compression.type", "lz4")
        .set("message.timeout.ms", "15000")
        .set("queue.buffering.max.messages", "100000");
    Ok(cfg.create()?)
}

/// Sends upload `i` through the producer API; true on 200. Shared by the
/// closed-loop and open-loop benches so both drive the API the same way.
pub fn api_sender(
    client: reqwest::Client,
    uploads: Arc<Vec<Upload>>,
    base: String,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Clone {
    move |i: usize| {
        let (client, uploads, base) = (client.clone(), uploads.clone(), base.clone());
        Box::pin(async move {
            let u = &uploads[i];
            client
                .post(format!("{base}/v1/uploads/{}", u.kind.as_str()))
                .header("content-type", "application/json")
                .body(u.body.clone())
                .send()
                .await
                .map(|r| r.status() == reqwest::StatusCode::OK)
                .unwrap_or(false)
        })
    }
}

/// Produces upload `i`'s envelope straight to Kafka, as the API would: the
/// baseline both benches compare against.
pub fn raw_sender(
    raw: Arc<FutureProducer>,
    uploads: Arc<Vec<Upload>>,
    prefix: String,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Clone {
    move |i: usize| {
        let (raw, uploads, prefix) = (raw.clone(), uploads.clone(), prefix.clone());
        Box::pin(async move {
            let u = &uploads[i];
            let topic = format!("{prefix}{}", u.kind.topic());
            let headers = OwnedHeaders::new().insert(Header { key: BATCH_ID_HEADER, value: Some(u.batch_id.as_str()) });
            let rec =
                FutureRecord::to(&topic).key(u.device_id.as_str()).payload(u.envelope.as_slice()).headers(headers);
            raw.send(rec, Duration::ZERO).await.is_ok()
        })
    }
}

async fn closed_loop<F, Fut>(
    label: &str,
    concurrency: usize,
    duration: Duration,
    n_payloads: usize,
    cpu_pid: u32,
    f: F,
) -> RunResult
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let cpu0 = cpu_seconds(cpu_pid);
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (next, f) = (next.clone(), f.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed) % n_payloads;
                let t = Instant::now();
                if f(i).await {
                    lat.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu_secs = cpu_seconds(cpu_pid) - cpu0;
    all.sort();
    RunResult {
        label: label.into(),
        uploads: all.len(),
        secs,
        p50: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
        cpu_secs,
        errors,
    }
}

pub struct ProducerBench {
    pub api: Vec<RunResult>,
    pub raw: Vec<RunResult>,
    pub concurrency: usize,
}

pub async fn run(w: &Workload, duration: Duration, concurrency: usize, rounds: usize) -> anyhow::Result<ProducerBench> {
    let stack = crate::own::stack();
    let prefix = unique("bench_p_");
    let (topics, _) = prefixed_topics(&prefix);
    create_topics(&stack.kafka(), &topics, 6).await;
    let uploads: Arc<Vec<Upload>> = Arc::new(make_uploads(w, 2000, "pb", 7));

    let port = free_port();
    let mut vars = producer_vars(stack.service_env(), port);
    vars.insert("DI_KAFKA_TOPIC_PREFIX".into(), prefix.clone());
    let api = Proc::spawn("forgectl-producer", &vars)?;
    let base = format!("http://127.0.0.1:{port}");
    wait_http_ok(&format!("{base}/health"), Duration::from_secs(20)).await?;
    let client = api_client(reqwest::Client::builder().pool_max_idle_per_host(concurrency))?;
    let raw = Arc::new(raw_producer(&stack)?);
    let self_pid = std::process::id();

    let api_fn = api_sender(client.clone(), uploads.clone(), base.clone());
    let raw_fn = raw_sender(raw.clone(), uploads.clone(), prefix.clone());
    // Warm-up: connections, metadata, JIT-free but caches and pools.
    let _ = closed_loop("warmup", concurrency, Duration::from_secs(2), uploads.len(), api.pid(), api_fn.clone()).await;
    let _ = closed_loop("warmup", concurrency, Duration::from_secs(2), uploads.len(), self_pid, raw_fn.clone()).await;
    let mut out = ProducerBench { api: Vec::new(), raw: Vec::new(), concurrency };
    for r in 0..rounds {
        // Alternate which side goes first, so drift in background load does
        // not favour one of them.
        for api_turn in if r % 2 == 0 { [true, false] } else { [false, true] } {
            if api_turn {
                let a =
                    closed_loop(&format!("api#{r}"), concurrency, duration, uploads.len(), api.pid(), api_fn.clone())
                        .await;
                a.print();
                out.api.push(a);
            } else {
                let b =
                    closed_loop(&format!("raw#{r}"), concurrency, duration, uploads.len(), self_pid, raw_fn.clone())
                        .await;
                b.print();
                out.raw.push(b);
            }
        }
    }
    api.stop().await;
    delete_topics(&stack.kafka(), &topics).await;
    Ok(out)
}
