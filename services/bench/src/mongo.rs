//! Documents/s into MongoDB: the consumer (both sinks, as its own process)
//! and the MongoDB sink alone (in process), each against a plain loop of
//! unordered `insert_many` calls of the same documents, in the same batches,
//! with the same driver, on the same server, in one run.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mongodb::bson::{doc, Document, RawDocumentBuf};

use forgectl_consumer::batch::{Item, Payload, Source};
use forgectl_consumer::mongo::document::plan;
use forgectl_consumer::mongo::{EnabledSources, MongoSettings, MongoSink};
use forgectl_consumer::schema::table_name;
use forgectl_service_common::testkit::{create_topics, delete_topics, free_port, unique};
use forgectl_service_common::Envelope;

use crate::consumer::prefill;
use crate::procs::Proc;
use crate::stats::cpu_seconds;
use crate::workload::{make_uploads, Workload};

pub struct MongoBench {
    pub documents: i64,
    pub consumer_docs_per_sec: f64,
    pub sink_docs_per_sec: f64,
    pub plain_docs_per_sec: f64,
    /// CPU the MongoDB server used per wall-clock second of each phase
    /// (consumer, sink, plain), when `BENCH_MONGO_PID` names its process.
    pub server_cpu: Option<[f64; 3]>,
}

/// CPU seconds of the MongoDB server process named by `BENCH_MONGO_PID`.
fn server_cpu_seconds() -> Option<f64> {
    let pid: u32 = std::env::var("BENCH_MONGO_PID").ok()?.parse().ok()?;
    Some(cpu_seconds(pid))
}

/// The consumer's default `CONSUMER_BATCH_MAX_ROWS`: the same batch size for
/// all three measurements.
const BATCH_ROWS: usize = 5000;

const MONGO_VARS: [&str; 11] = [
    "DI_MONGODB_HOST",
    "DI_MONGODB_PORT",
    "DI_MONGODB_USERNAME",
    "DI_MONGODB_PASSWORD",
    "DI_MONGODB_MAX_POOL_SIZE",
    "DI_MONGODB_MIN_POOL_SIZE",
    "DI_MONGODB_SERVER_SELECTION_TIMEOUT_MS",
    "DI_MONGODB_CONNECT_TIMEOUT_MS",
    "DI_MONGODB_SOCKET_TIMEOUT_MS",
    "DI_MONGODB_RETRY_WRITES",
    "DI_MONGODB_WAIT_QUEUE_TIMEOUT_MS",
];

fn mongo_env(database: &str) -> anyhow::Result<HashMap<String, String>> {
    let mut vars: HashMap<String, String> =
        MONGO_VARS.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect();
    anyhow::ensure!(vars.contains_key("DI_MONGODB_HOST"), "DI_MONGODB_HOST is not set: eval \"$(dev/stack env)\"");
    vars.insert("DI_MONGODB_DATABASE".into(), database.into());
    vars.insert("DI_MONGODB_ENABLED_SOURCES".into(), "*".into());
    Ok(vars)
}

fn sink(database: &str) -> anyhow::Result<MongoSink> {
    let settings = MongoSettings::from_env(&mongo_env(database)?)?
        .ok_or_else(|| anyhow::anyhow!("the MongoDB sink is off without DI_MONGODB_HOST"))?;
    Ok(MongoSink::new(&settings)?)
}

/// The batch items as the consumer would hold them, cut like its batches.
fn batches(topic: &str, envelopes: Vec<Envelope>) -> Vec<Vec<Item>> {
    let mut out = vec![Vec::new()];
    let mut rows = 0;
    for (offset, env) in envelopes.into_iter().enumerate() {
        if rows >= BATCH_ROWS {
            out.push(Vec::new());
            rows = 0;
        }
        rows += env.records.len();
        let source = Source { topic: topic.to_string(), partition: 0, offset: offset as i64 };
        if let Some(batch) = out.last_mut() {
            batch.push(Item { source, payload: Payload::Rows(env) });
        }
    }
    out
}

async fn count(db: &mongodb::Database, collection: &str) -> anyhow::Result<i64> {
    Ok(db.collection::<Document>(collection).count_documents(doc! {}).await? as i64)
}

pub async fn run(w: &Workload, messages: usize) -> anyhow::Result<MongoBench> {
    let stack = crate::own::stack();
    let prefix = unique("bench_m_");
    let topic = format!("{prefix}mixed");
    create_topics(&stack.kafka(), &[topic.clone(), format!("{topic}.dlq")], 6).await;
    let uploads = make_uploads(w, messages, "mb", 13);
    let total: i64 = uploads.iter().map(|u| u.records as i64).sum();

    prefill(&stack, &topic, &uploads).await?;
    println!("pre-filled {topic}: {messages} messages, {total} records");

    // 1. The consumer process with both sinks on; offsets (in PostgreSQL)
    // move only once MongoDB has each batch.
    let consumer_db = format!("{prefix}c");
    let group = format!("{prefix}g");
    let mut vars = stack.service_env();
    vars.extend(mongo_env(&consumer_db)?);
    vars.insert("ENABLED_TOPICS".into(), topic.clone());
    vars.insert("KAFKA_CONSUMER_GROUP".into(), group.clone());
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let pg = stack.pg_client(&stack.pg.sync_database).await;
    let consumer_sink = sink(&consumer_db)?;
    let mongo = consumer_sink.database().clone();
    let proc = Proc::spawn("forgectl-consumer", &vars)?;
    let started = Instant::now();
    let (t0, docs0, cpu0) = loop {
        if progress(&pg, &group).await > 0 {
            break (Instant::now(), count(&mongo, &topic).await?, server_cpu_seconds());
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(120), "consumer made no progress in 120 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    while progress(&pg, &group).await < messages as i64 {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "consumer did not finish in 600 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let consumer_secs = t0.elapsed().as_secs_f64();
    let consumer_cpu = cpu0.zip(server_cpu_seconds()).map(|(a, b)| (b - a) / consumer_secs);
    proc.stop().await;
    let written = count(&mongo, &topic).await?;
    anyhow::ensure!(written == total, "consumer wrote {written} documents, expected {total}");
    let consumer_docs_per_sec = (total - docs0) as f64 / consumer_secs;

    let envelopes = || uploads.iter().filter_map(|u| Envelope::decode(&u.envelope).ok()).collect::<Vec<_>>();

    // 2. The sink alone: document building, _id, unordered insert, outcome.
    let sink_db = format!("{prefix}s");
    let alone = sink(&sink_db)?;
    let items = batches(&topic, envelopes());
    let cpu0 = server_cpu_seconds();
    let t = Instant::now();
    for batch in &items {
        let done = alone.write(batch).await?;
        anyhow::ensure!(done.rejected.is_empty(), "the sink rejected {} messages", done.rejected.len());
    }
    let sink_secs = t.elapsed().as_secs_f64();
    let sink_cpu = cpu0.zip(server_cpu_seconds()).map(|(a, b)| (b - a) / sink_secs);
    anyhow::ensure!(count(alone.database(), &topic).await? == total, "the sink lost documents");

    // 3. Baseline: the same documents, built beforehand, the same batches,
    // a plain loop of unordered insert_many calls with the same driver.
    let plain_db = format!("{prefix}p");
    let plain = sink(&plain_db)?;
    let collection = plain.database().collection::<RawDocumentBuf>(&topic);
    let docs: Vec<Vec<RawDocumentBuf>> = items
        .iter()
        .map(|batch| plan(batch, &EnabledSources::All).by_topic.into_values().flat_map(|t| t.documents).collect())
        .collect();
    let cpu0 = server_cpu_seconds();
    let t = Instant::now();
    for batch in &docs {
        collection.insert_many(batch).ordered(false).await?;
    }
    let plain_secs = t.elapsed().as_secs_f64();
    let plain_cpu = cpu0.zip(server_cpu_seconds()).map(|(a, b)| (b - a) / plain_secs);
    anyhow::ensure!(count(plain.database(), &topic).await? == total, "the baseline lost documents");

    for db in [&mongo, alone.database(), plain.database()] {
        db.drop().await?;
    }
    pg.batch_execute(&format!("DROP TABLE IF EXISTS \"{}\"", table_name(&topic))).await?;
    pg.execute("DELETE FROM forgectl_consumer_offsets WHERE consumer_group = $1", &[&group]).await?;
    delete_topics(&stack.kafka(), &[topic.clone(), format!("{topic}.dlq")]).await;
    Ok(MongoBench {
        documents: total,
        consumer_docs_per_sec,
        sink_docs_per_sec: total as f64 / sink_secs,
        plain_docs_per_sec: total as f64 / plain_secs,
        server_cpu: consumer_cpu.zip(sink_cpu).zip(plain_cpu).map(|((c, s), p)| [c, s, p]),
    })
}

async fn progress(db: &tokio_postgres::Client, group: &str) -> i64 {
    db.query_one(
        "SELECT coalesce(sum(next_offset), 0)::bigint FROM forgectl_consumer_offsets WHERE consumer_group = $1",
        &[&group],
    )
    .await
    .map(|r| r.get::<_, i64>(0))
    .unwrap_or(0)
}
