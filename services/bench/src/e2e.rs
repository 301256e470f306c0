//! End-to-end latency, HTTP 200 to row visible, under an open-loop load at a
//! tier's peak upload rate; also the CPU each service process spends at it.
//!
//! Visibility is read from the offsets table: the consumer commits a
//! partition's next offset in the same transaction as the rows, so an upload
//! acknowledged at (partition, offset) is visible once next_offset > offset.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use forgectl_service_common::testkit::{create_topics, delete_topics, free_port, prefixed_topics, unique};

use crate::procs::{api_client, producer_vars, wait_http_ok, Proc};
use crate::stats::{cpu_seconds, percentile};
use crate::workload::{make_uploads, Workload};

pub struct E2eBench {
    pub dau: f64,
    pub rate: f64,
    pub sent: usize,
    pub ok: usize,
    pub http_p50: Duration,
    pub http_p99: Duration,
    pub e2e_p50: Duration,
    pub e2e_p95: Duration,
    pub e2e_p99: Duration,
    pub e2e_max: Duration,
    pub secs: f64,
    pub producer_cpu: f64,
    pub consumer_cpu: f64,
    pub rows_per_sec: f64,
}

/// Per partition: when its durable next offset moved, and to what.
type Advances = HashMap<(String, i32), Vec<(Instant, i64)>>;

struct Acked {
    topic: String,
    partition: i32,
    offset: i64,
    at: Instant,
    http: Duration,
}

pub async fn run(w: &Workload, dau: f64, duration: Duration) -> anyhow::Result<E2eBench> {
    let stack = crate::own::stack();
    let prefix = unique("bench_e_");
    let (topics, dlqs) = prefixed_topics(&prefix);
    let all: Vec<String> = topics.iter().chain(dlqs.iter()).cloned().collect();
    // The seeds' partition counts.
    create_topics(&stack.kafka(), &all, 10).await;

    let rate = dau * w.peak_per_dau_sec(w.uploads_per_dau_day());
    let n = (rate * duration.as_secs_f64()).ceil() as usize;
    let uploads = Arc::new(make_uploads(w, n, &format!("{prefix}e"), 23));
    let rows_total: usize = uploads.iter().map(|u| u.records).sum();

    let port = free_port();
    let mut pvars = producer_vars(stack.service_env(), port);
    pvars.insert("DI_KAFKA_TOPIC_PREFIX".into(), prefix.clone());
    let producer = Proc::spawn("forgectl-producer", &pvars)?;
    let group = format!("{prefix}g");
    let mut cvars = stack.service_env();
    cvars.insert("ENABLED_TOPICS".into(), topics.join(","));
    cvars.insert("KAFKA_CONSUMER_GROUP".into(), group.clone());
    let mport = free_port();
    cvars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{mport}"));
    let consumer = Proc::spawn("forgectl-consumer", &cvars)?;
    let base = format!("http://127.0.0.1:{port}");
    wait_http_ok(&format!("{base}/ready"), Duration::from_secs(30)).await?;
    wait_http_ok(&format!("http://127.0.0.1:{mport}/ready"), Duration::from_secs(30)).await?;
    // Let the group settle and warm the producer (topic metadata, pooled
    // connections) as a running service would be, before the clock starts.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let warm = api_client(reqwest::Client::builder())?;
    for (i, u) in make_uploads(w, 50, &format!("{prefix}warm"), 5).iter().enumerate() {
        let _ = warm
            .post(format!("{base}/v1/uploads/{}", u.kind.as_str()))
            .header("content-type", "application/json")
            .body(u.body.clone())
            .send()
            .await;
        let _ = i;
    }

    // Poller: when each partition's durable offset moved.
    let db = stack.pg_client(&stack.pg.sync_database).await;
    let advances: Arc<Mutex<Advances>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (advances, stop, group) = (advances.clone(), stop.clone(), group.clone());
        tokio::spawn(async move {
            let mut last: HashMap<(String, i32), i64> = HashMap::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let now = Instant::now();
                if let Ok(rows) = db
                    .query("SELECT topic, kafka_partition, next_offset FROM forgectl_consumer_offsets WHERE consumer_group = $1", &[&group])
                    .await
                {
                    let mut adv = advances.lock().await;
                    for r in rows {
                        let key: (String, i32) = (r.get(0), r.get(1));
                        let off: i64 = r.get(2);
                        if last.get(&key) != Some(&off) {
                            last.insert(key.clone(), off);
                            adv.entry(key).or_default().push((now, off));
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    let client = api_client(reqwest::Client::builder())?;
    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let cpu_p0 = cpu_seconds(producer.pid());
    let cpu_c0 = cpu_seconds(consumer.pid());
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        tick.tick().await;
        let (client, uploads, acked, base, prefix) =
            (client.clone(), uploads.clone(), acked.clone(), base.clone(), prefix.clone());
        tasks.push(tokio::spawn(async move {
            let u = &uploads[i];
            let t = Instant::now();
            let resp = client
                .post(format!("{base}/v1/uploads/{}", u.kind.as_str()))
                .header("content-type", "application/json")
                .body(u.body.clone())
                .send()
                .await;
            let Ok(resp) = resp else { return };
            if resp.status() != reqwest::StatusCode::OK {
                return;
            }
            let at = Instant::now();
            let Ok(v) = resp.json::<serde_json::Value>().await else {
                return;
            };
            acked.lock().await.push(Acked {
                topic: format!("{prefix}{}", u.kind.topic()),
                partition: v["partition"].as_i64().unwrap_or(-1) as i32,
                offset: v["offset"].as_i64().unwrap_or(-1),
                at,
                http: at - t,
            });
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let send_secs = start.elapsed().as_secs_f64();
    // Wait (bounded) for everything to become visible.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = {
            let adv = advances.lock().await;
            let ack = acked.lock().await;
            ack.iter().all(|a| {
                adv.get(&(a.topic.clone(), a.partition)).and_then(|v| v.last()).is_some_and(|(_, o)| *o > a.offset)
            })
        };
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let producer_cpu = cpu_seconds(producer.pid()) - cpu_p0;
    let consumer_cpu = cpu_seconds(consumer.pid()) - cpu_c0;
    let total_secs = start.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = poller.await;

    let adv = advances.lock().await;
    let ack = acked.lock().await;
    let mut e2e = Vec::with_capacity(ack.len());
    let mut http = Vec::with_capacity(ack.len());
    for a in ack.iter() {
        http.push(a.http);
        let seen = adv
            .get(&(a.topic.clone(), a.partition))
            .and_then(|v| v.iter().find(|(_, o)| *o > a.offset))
            .map(|(t, _)| t.saturating_duration_since(a.at));
        e2e.push(seen.unwrap_or(Duration::from_secs(3600)));
    }
    e2e.sort();
    http.sort();
    let ok = ack.len();
    drop(adv);
    drop(ack);
    producer.stop().await;
    consumer.stop().await;
    let db = stack.pg_client(&stack.pg.sync_database).await;
    for t in &topics {
        let _ =
            db.batch_execute(&format!("DROP TABLE IF EXISTS \"{}\"", forgectl_consumer::schema::table_name(t))).await;
    }
    let _ = db.execute("DELETE FROM forgectl_consumer_offsets WHERE consumer_group = $1", &[&group]).await;
    delete_topics(&stack.kafka(), &all).await;
    Ok(E2eBench {
        dau,
        rate,
        sent: n,
        ok,
        http_p50: percentile(&http, 0.5),
        http_p99: percentile(&http, 0.99),
        e2e_p50: percentile(&e2e, 0.5),
        e2e_p95: percentile(&e2e, 0.95),
        e2e_p99: percentile(&e2e, 0.99),
        e2e_max: e2e.last().copied().unwrap_or_default(),
        secs: send_secs,
        producer_cpu: producer_cpu / total_secs,
        consumer_cpu: consumer_cpu / total_secs,
        rows_per_sec: rows_total as f64 / send_secs,
    })
}
