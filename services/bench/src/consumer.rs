//! Consumer rows/s into PostgreSQL vs a plain COPY of the same rows into an
//! identical table, in one run.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::SinkExt;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use forgectl_consumer::schema::table_name;
use forgectl_service_common::envelope::BATCH_ID_HEADER;
use forgectl_service_common::testkit::{create_topics, delete_topics, free_port, unique, Stack};
use forgectl_service_common::Envelope;

use crate::procs::Proc;
use crate::stats::cpu_seconds;
use crate::workload::{make_uploads, Upload, Workload};

pub struct ConsumerBench {
    pub rows: i64,
    pub consumer_rows_per_sec: f64,
    pub consumer_cpu_secs: f64,
    pub consumer_secs: f64,
    pub copy_rows_per_sec: f64,
    pub copy_secs: f64,
}

const COPY_BATCH_ROWS: usize = 5000;

fn escape_copy(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// Fills `topic` with the envelopes the API would have written for
/// `uploads`, so a consumer bench measures the consumer alone.
pub async fn prefill(stack: &Stack, topic: &str, uploads: &[Upload]) -> anyhow::Result<()> {
    let producer: FutureProducer = {
        let mut cfg = stack.kafka().client_config();
        cfg.set("acks", "all").set("enable.idempotence", "true").set("linger.ms", "5").set("compression.type", "lz4");
        cfg.create()?
    };
    let sends = uploads.iter().map(|u| {
        let headers = OwnedHeaders::new().insert(Header { key: BATCH_ID_HEADER, value: Some(u.batch_id.as_str()) });
        producer.send(
            FutureRecord::to(topic).key(u.device_id.as_str()).payload(u.envelope.as_slice()).headers(headers),
            Duration::from_secs(30),
        )
    });
    for r in futures::future::join_all(sends).await {
        if let Err((e, _)) = r {
            anyhow::bail!("pre-filling the topic: {e}");
        }
    }
    Ok(())
}

pub async fn run(w: &Workload, messages: usize) -> anyhow::Result<ConsumerBench> {
    let stack = crate::own::stack();
    let prefix = unique("bench_c_");
    let topic = format!("{prefix}mixed");
    create_topics(&stack.kafka(), &[topic.clone(), format!("{topic}.dlq")], 6).await;
    let uploads = make_uploads(w, messages, "cb", 11);
    let total_rows: i64 = uploads.iter().map(|u| u.records as i64).sum();

    prefill(&stack, &topic, &uploads).await?;
    println!("pre-filled {topic}: {messages} messages, {total_rows} rows");

    // The consumer, as its own process.
    let group = format!("{prefix}g");
    let mut vars = stack.service_env();
    vars.insert("ENABLED_TOPICS".into(), topic.clone());
    vars.insert("KAFKA_CONSUMER_GROUP".into(), group.clone());
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    // PostgreSQL alone, even when the shell exported the stack's DI_MONGODB_*
    // (an empty value reads as unset).
    vars.insert("DI_MONGODB_HOST".into(), String::new());
    let db = stack.pg_client(&stack.pg.sync_database).await;
    let proc = Proc::spawn("forgectl-consumer", &vars)?;
    let started = Instant::now();
    let table = table_name(&topic);
    // Measure from the first durable batch (group join excluded) to the end.
    let (t0, rows0, cpu0) = loop {
        if progress(&db, &group).await > 0 {
            let rows0: i64 = db.query_one(&format!("SELECT count(*) FROM \"{table}\""), &[]).await?.get(0);
            break (Instant::now(), rows0, cpu_seconds(proc.pid()));
        }
        if started.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("consumer made no progress in 120 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    loop {
        if progress(&db, &group).await >= messages as i64 {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            anyhow::bail!("consumer did not finish in 600 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let consumer_secs = t0.elapsed().as_secs_f64();
    let consumer_cpu_secs = cpu_seconds(proc.pid()) - cpu0;
    proc.stop().await;
    let rows: i64 = db.query_one(&format!("SELECT count(*) FROM \"{table}\""), &[]).await?.get(0);
    anyhow::ensure!(rows == total_rows, "consumer wrote {rows} rows, expected {total_rows}");
    let consumer_rows_per_sec = (total_rows - rows0) as f64 / consumer_secs;

    // Baseline: the same rows, COPY into an identical table (same primary key
    // and index), batches of the consumer's default size, one transaction each.
    let copy_table = format!("{prefix}copy");
    db.batch_execute(&format!("CREATE TABLE \"{copy_table}\" (LIKE \"{table}\" INCLUDING ALL)")).await?;
    let envs: Vec<Envelope> = uploads.iter().filter_map(|u| Envelope::decode(&u.envelope).ok()).collect();
    let copy_start = Instant::now();
    let mut line = String::new();
    let mut buf = String::new();
    let mut in_batch = 0;
    let mut db = db;
    for (m, env) in envs.iter().enumerate() {
        for (i, r) in env.records.iter().enumerate() {
            line.clear();
            line.push_str(&env.device_id);
            line.push('\t');
            line.push_str(&env.batch_id);
            line.push('\t');
            line.push_str(&i.to_string());
            line.push('\t');
            line.push_str(env.kind.as_str());
            line.push_str("\t2023-11-14 22:13:20+00\t");
            escape_copy(r.get(), &mut line);
            line.push_str("\t0\t");
            line.push_str(&m.to_string());
            line.push('\n');
            buf.push_str(&line);
            in_batch += 1;
        }
        if in_batch >= COPY_BATCH_ROWS || m + 1 == envs.len() {
            let chunk = std::mem::take(&mut buf);
            in_batch = 0;
            let tx = db.transaction().await?;
            let sink = tx
                .copy_in(&format!(
                    "COPY \"{copy_table}\" (device_id, batch_id, record_index, kind, received_at, record, kafka_partition, kafka_offset) FROM STDIN"
                ))
                .await?;
            futures::pin_mut!(sink);
            sink.send(Bytes::from(chunk)).await?;
            sink.as_mut().finish().await?;
            tx.commit().await?;
        }
    }
    let copy_secs = copy_start.elapsed().as_secs_f64();
    let copied: i64 = db.query_one(&format!("SELECT count(*) FROM \"{copy_table}\""), &[]).await?.get(0);
    anyhow::ensure!(copied == total_rows, "COPY wrote {copied} rows, expected {total_rows}");
    let copy_rows_per_sec = total_rows as f64 / copy_secs;

    db.batch_execute(&format!("DROP TABLE IF EXISTS \"{copy_table}\"; DROP TABLE IF EXISTS \"{table}\"")).await?;
    db.execute("DELETE FROM forgectl_consumer_offsets WHERE consumer_group = $1", &[&group]).await?;
    delete_topics(&stack.kafka(), &[topic.clone(), format!("{topic}.dlq")]).await;
    Ok(ConsumerBench {
        rows: total_rows,
        consumer_rows_per_sec,
        consumer_cpu_secs,
        consumer_secs,
        copy_rows_per_sec,
        copy_secs,
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
