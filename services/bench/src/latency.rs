//! Producer latency at a tier's peak rate: an open-loop schedule (arrivals
//! on time whatever the answers do, latency from each upload's scheduled
//! time, so a stall shows as latency rather than as a lower rate), through
//! the API and, as the baseline in the same run, through a raw rdkafka
//! producer sending the same envelopes on the same schedule.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use forgectl_service_common::testkit::{create_topics, delete_topics, free_port, prefixed_topics, unique};

use crate::procs::{api_client, producer_vars, wait_http_ok, Proc};
use crate::producer::{api_sender, raw_producer, raw_sender};
use crate::stats::percentile;
use crate::workload::{make_uploads, Upload, Workload};

pub struct OpenLoopRun {
    pub label: String,
    pub sent: usize,
    pub ok: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// How far the sender itself fell behind its schedule at worst.
    pub sender_lag: Duration,
}

pub struct LatencyBench {
    pub rate: f64,
    pub api: Vec<OpenLoopRun>,
    pub raw: Vec<OpenLoopRun>,
}

async fn open_loop<F, Fut>(label: String, rate: f64, n: usize, f: F) -> OpenLoopRun
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = bool> + Send,
{
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(n);
    let mut sender_lag = Duration::ZERO;
    for i in 0..n {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        sender_lag = sender_lag.max(Instant::now().saturating_duration_since(scheduled));
        let f = f.clone();
        tasks.push(tokio::spawn(async move { f(i).await.then(|| scheduled.elapsed()) }));
    }
    let mut lat = Vec::with_capacity(n);
    for t in tasks {
        if let Ok(Some(d)) = t.await {
            lat.push(d);
        }
    }
    lat.sort();
    OpenLoopRun {
        label,
        sent: n,
        ok: lat.len(),
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
        max: lat.last().copied().unwrap_or_default(),
        sender_lag,
    }
}

pub async fn run(w: &Workload, dau: f64, duration: Duration, rounds: usize) -> anyhow::Result<LatencyBench> {
    let stack = crate::own::stack();
    let prefix = unique("bench_l_");
    let (topics, _) = prefixed_topics(&prefix);
    // The seeds' partition counts, as in e2e.
    create_topics(&stack.kafka(), &topics, 10).await;
    let rate = dau * w.peak_per_dau_sec(w.uploads_per_dau_day());
    let n = (rate * duration.as_secs_f64()).ceil() as usize;
    let uploads: Arc<Vec<Upload>> = Arc::new(make_uploads(w, n, "lb", 29));

    let port = free_port();
    let mut vars = producer_vars(stack.service_env(), port);
    vars.insert("DI_KAFKA_TOPIC_PREFIX".into(), prefix.clone());
    let api = Proc::spawn("forgectl-producer", &vars)?;
    let base = format!("http://127.0.0.1:{port}");
    wait_http_ok(&format!("{base}/ready"), Duration::from_secs(30)).await?;
    let client = api_client(reqwest::Client::builder())?;
    let raw = Arc::new(raw_producer(&stack)?);

    let api_fn = api_sender(client.clone(), uploads.clone(), base.clone());
    let raw_fn = raw_sender(raw.clone(), uploads.clone(), prefix.clone());
    // Warm-up: connections, topic metadata, pools; a tenth of a round each.
    let warm = (n / 10).max(10);
    let _ = open_loop("warmup".into(), rate, warm, api_fn.clone()).await;
    let _ = open_loop("warmup".into(), rate, warm, raw_fn.clone()).await;
    let mut out = LatencyBench { rate, api: Vec::new(), raw: Vec::new() };
    for r in 0..rounds {
        // Alternate which side goes first, as in the throughput bench.
        for api_turn in if r % 2 == 0 { [true, false] } else { [false, true] } {
            if api_turn {
                out.api.push(open_loop(format!("api#{r}"), rate, n, api_fn.clone()).await);
            } else {
                out.raw.push(open_loop(format!("raw#{r}"), rate, n, raw_fn.clone()).await);
            }
        }
    }
    api.stop().await;
    delete_topics(&stack.kafka(), &topics).await;
    Ok(out)
}
