//! Gaps on a real cluster, with time scaled down: topics keep messages for
//! seconds, segments roll every second, and the brokers of a cluster of the
//! test's own run retention every second (the shared stack's brokers run it
//! every five minutes, a broker-wide setting no test may change). Every
//! produced message ends up either as a row or counted as lost, exactly:
//! `produced == messages with rows + dead letters + lost`.
//!
//! - A stall longer than retention: the log start passes the stored offset
//!   while the consumer is stopped; the loss is `log start - stored offset`.
//! - A stall shorter than retention loses nothing.
//! - A stall while running (paused on a missing dead-letter topic): the fetch
//!   falls out of range, librdkafka resets to the log start, and the jump is
//!   counted.
//! - A topic deleted and created again while the consumer is stopped (shared
//!   stack): detected by its id; the new topic's messages are all read,
//!   where the old stored offset would have skipped them.
//!
//! Requires `dev/stack up` (PostgreSQL, and Kafka for the recreation test).

mod support;

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use support::*;

use forgectl_service_common::KafkaSettings;

const WAIT: Duration = Duration::from_secs(60);
/// Retention runs every second on the test cluster.
const FAST_RETENTION: &str = "log.retention.check.interval.ms=1000";

async fn create_topic(kafka: &KafkaSettings, name: &str, configs: &[(&str, &str)]) {
    let admin: AdminClient<DefaultClientContext> =
        kafka.client_config().create().unwrap_or_else(|e| panic!("admin client: {e}"));
    let mut topic = NewTopic::new(name, 1, TopicReplication::Fixed(3));
    for (k, v) in configs {
        topic = topic.set(k, v);
    }
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    for r in admin.create_topics(&[topic], &opts).await.unwrap_or_else(|e| panic!("creating {name}: {e}")) {
        r.unwrap_or_else(|(n, code)| panic!("creating {n}: {code}"));
    }
    // Wait for leaders everywhere, as the testkit does for its topics.
    create_topics(kafka, &[name.to_string()], 1).await;
}

/// Messages whose retention breaches within seconds: segments roll every
/// second (by time: Kafka 4 refuses a `segment.bytes` below 1 MiB).
fn short_retention(retention_ms: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![("retention.ms", retention_ms), ("segment.ms", "1000")]
}

fn producer(kafka: &KafkaSettings) -> FutureProducer {
    let mut cfg = kafka.client_config();
    cfg.set("acks", "all").set("enable.idempotence", "true").set("linger.ms", "0");
    cfg.create().unwrap_or_else(|e| panic!("producer: {e}"))
}

/// Produces `n` one-record uploads (batch ids `{tag}-{i}`), each acknowledged.
async fn produce(p: &FutureProducer, topic: &str, tag: &str, n: usize) {
    for i in 0..n {
        let envelope = serde_json::json!({
            "v": 1, "batch_id": format!("{tag}-{i}"), "device_id": "gap-device", "kind": "sms",
            "received_at_ms": 1_700_000_000_000u64, "records": [{ "i": i, "tag": tag }],
        })
        .to_string();
        p.send(FutureRecord::to(topic).key("gap-device").payload(&envelope), Duration::from_secs(10))
            .await
            .unwrap_or_else(|(e, _)| panic!("producing to {topic}: {e}"));
    }
}

async fn produce_junk(p: &FutureProducer, topic: &str) {
    p.send(FutureRecord::to(topic).key("gap-device").payload("not an envelope"), Duration::from_secs(10))
        .await
        .unwrap_or_else(|(e, _)| panic!("producing to {topic}: {e}"));
}

fn watermarks(kafka: &KafkaSettings, topic: &str) -> (i64, i64) {
    let c: BaseConsumer = kafka.client_config().create().unwrap_or_else(|e| panic!("{e}"));
    c.fetch_watermarks(topic, 0, Duration::from_secs(10)).unwrap_or_else(|e| panic!("watermarks of {topic}: {e}"))
}

/// Waits until retention has deleted every message of `topic` (log start =
/// log end = `end`).
async fn wait_all_expired(kafka: &KafkaSettings, topic: &str, end: i64) {
    let started = Instant::now();
    eventually(WAIT, &format!("retention to delete all {end} messages of {topic}"), || async move {
        watermarks(kafka, topic) == (end, end)
    })
    .await;
    eprintln!("{topic}: log start reached {end} after {:?}", started.elapsed());
}

/// A value from the consumer's `/metrics` (0 when the series is absent).
async fn metric(port: u16, name: &str, labels: &[(&str, &str)]) -> f64 {
    let text = http()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("metrics: {e}"))
        .text()
        .await
        .unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| labels.iter().all(|(k, v)| l.contains(&format!("{k}=\"{v}\""))))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// `consumer` from `/ready`: starting, running or blocked.
async fn consumer_state(port: u16) -> String {
    match http().get(format!("http://127.0.0.1:{port}/ready")).send().await {
        Ok(r) => r.json::<serde_json::Value>().await.unwrap_or_default()["consumer"].as_str().unwrap_or("").to_string(),
        Err(_) => String::new(),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct GapRow {
    cause: String,
    stored: i64,
    resumed: i64,
    lost: i64,
    old_id: Option<String>,
    id: Option<String>,
}

async fn gap_rows(db: &tokio_postgres::Client, group: &str) -> Vec<GapRow> {
    db.query(
        "SELECT cause, stored_offset, resumed_offset, lost_messages, old_topic_id, topic_id
         FROM forgectl_consumer_gaps WHERE consumer_group = $1 ORDER BY id",
        &[&group],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .iter()
    .map(|r| GapRow {
        cause: r.get(0),
        stored: r.get(1),
        resumed: r.get(2),
        lost: r.get(3),
        old_id: r.get(4),
        id: r.get(5),
    })
    .collect()
}

/// Distinct source offsets that have rows: the messages that were stored.
async fn stored_messages(db: &tokio_postgres::Client, topic: &str) -> i64 {
    let table = forgectl_consumer::schema::table_name(topic);
    db.query_one(&format!("SELECT count(DISTINCT kafka_offset) FROM \"{table}\""), &[])
        .await
        .map(|r| r.get::<_, i64>(0))
        .unwrap_or(-1)
}

struct Case {
    topic: String,
    group: String,
    port: u16,
    vars: std::collections::HashMap<String, String>,
}

impl Case {
    fn new(stack: &Stack, brokers: &str, tag: &str) -> Case {
        let topic = unique(&format!("gap_{tag}_"));
        let group = format!("{topic}_g");
        let mut env = stack.service_env();
        env.insert("DI_KAFKA_BROKER_ENDPOINT".into(), brokers.to_string());
        let port = free_port();
        let mut vars = consumer_vars(&env, std::slice::from_ref(&topic), &group);
        vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{port}"));
        vars.insert("CONSUMER_SESSION_TIMEOUT_MS".into(), "6000".into());
        Case { topic, group, port, vars }
    }

    async fn lost(&self) -> f64 {
        metric(self.port, "consumer_messages_lost_total", &[("topic", &self.topic)]).await
    }

    async fn cleanup(&self, db: &tokio_postgres::Client) {
        let table = forgectl_consumer::schema::table_name(&self.topic);
        let _ = db.batch_execute(&format!("DROP TABLE IF EXISTS \"{table}\"")).await;
        for t in ["forgectl_consumer_offsets", "forgectl_consumer_gaps"] {
            let _ = db.execute(&format!("DELETE FROM {t} WHERE consumer_group = $1"), &[&self.group]).await;
        }
    }
}

/// The stall both retention cases share: a topic with `retention_ms`, 5
/// messages stored (offset 5), the consumer stopped, 7 more produced.
async fn store_five_then_stop_and_produce_seven(
    case: &Case,
    kafka: &KafkaSettings,
    db: &tokio_postgres::Client,
    retention_ms: &'static str,
) -> FutureProducer {
    create_topic(kafka, &case.topic, &short_retention(retention_ms)).await;
    let p = producer(kafka);
    let consumer = start_consumer(&case.vars);
    produce(&p, &case.topic, "before", 5).await;
    wait_rows(db, &case.topic, 5, WAIT).await;
    consumer.stop().await;
    produce(&p, &case.topic, "while-stopped", 7).await;
    p
}

/// Stopped longer than retention: exactly `log start - stored offset` lost,
/// logged, counted and recorded, and the consumer carries on.
async fn stopped_longer_than_retention(stack: &Stack, kafka: &KafkaSettings, db: &tokio_postgres::Client) {
    let case = Case::new(stack, &kafka.brokers, "long");
    let p = store_five_then_stop_and_produce_seven(&case, kafka, db, "3000").await;
    wait_all_expired(kafka, &case.topic, 12).await;
    let consumer = start_consumer(&case.vars);
    eventually(WAIT, "the gap to be recorded", || async { !gap_rows(db, &case.group).await.is_empty() }).await;
    produce(&p, &case.topic, "after", 3).await;
    wait_rows(db, &case.topic, 8, WAIT).await;

    let rows = gap_rows(db, &case.group).await;
    let id = rows[0].id.clone();
    assert!(id.as_deref().is_some_and(|i| !i.is_empty()), "the topic id is read: {rows:?}");
    assert_eq!(
        rows,
        vec![GapRow { cause: "retention".into(), stored: 5, resumed: 12, lost: 7, old_id: id.clone(), id }]
    );
    assert_eq!(case.lost().await, 7.0);
    assert_eq!(15 - stored_messages(db, &case.topic).await, 7, "produced = stored + lost");
    consumer.stop().await;
    case.cleanup(db).await;
}

/// Stopped for less than retention (which keeps running): nothing lost.
async fn stopped_shorter_than_retention(stack: &Stack, kafka: &KafkaSettings, db: &tokio_postgres::Client) {
    let case = Case::new(stack, &kafka.brokers, "short");
    let p = store_five_then_stop_and_produce_seven(&case, kafka, db, "20000").await;
    // A quarter of the retention: the tier's "tolerated outage", scaled down.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let consumer = start_consumer(&case.vars);
    produce(&p, &case.topic, "after", 3).await;
    wait_rows(db, &case.topic, 15, WAIT).await;
    assert_eq!(gap_rows(db, &case.group).await, vec![]);
    assert_eq!(case.lost().await, 0.0);
    consumer.stop().await;
    case.cleanup(db).await;
}

/// Stalled while running (paused: its dead-letter topic is missing) longer
/// than retention: librdkafka's fetch falls out of range and resets to the
/// log start; the jump is counted when the next message arrives.
async fn stalled_while_running(stack: &Stack, kafka: &KafkaSettings, db: &tokio_postgres::Client) {
    let mut case = Case::new(stack, &kafka.brokers, "stall");
    create_topic(kafka, &case.topic, &short_retention("3000")).await;
    let suffix = ".held";
    case.vars.insert("KAFKA_DEAD_LETTER_SUFFIX".into(), suffix.into());
    let p = producer(kafka);
    let consumer = start_consumer(&case.vars);
    produce(&p, &case.topic, "before", 3).await;
    wait_rows(db, &case.topic, 3, WAIT).await;

    // A message only the missing dead-letter topic can take: the consumer
    // pauses with it in its batch.
    produce_junk(&p, &case.topic).await;
    produce(&p, &case.topic, "around-stall", 4).await;
    let port = case.port;
    eventually(WAIT, "the consumer to block on the missing dead-letter topic", || async move {
        consumer_state(port).await == "blocked"
    })
    .await;
    produce(&p, &case.topic, "during-stall", 3).await;
    wait_all_expired(kafka, &case.topic, 11).await;

    create_topic(kafka, &format!("{}{suffix}", case.topic), &[]).await;
    eventually(WAIT, "the consumer to resume", || async move { consumer_state(port).await == "running" }).await;
    produce(&p, &case.topic, "after", 2).await;
    eventually(WAIT, "the jump to be recorded", || async { !gap_rows(db, &case.group).await.is_empty() }).await;
    eventually(WAIT, "the last rows", || async { stored_messages(db, &case.topic).await >= 5 }).await;

    let stored = stored_messages(db, &case.topic).await;
    let rows = gap_rows(db, &case.group).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let gap = &rows[0];
    // 13 produced: stored, the one dead letter, or lost.
    assert_eq!(gap.cause, "out_of_range");
    assert_eq!(gap.resumed, 11);
    assert!(gap.lost >= 3, "at least the messages produced during the stall: {gap:?}");
    assert_eq!(13 - stored - 1, gap.lost, "produced = stored + dead letters + lost ({gap:?}, {stored} stored)");
    assert_eq!(case.lost().await, gap.lost as f64);
    eprintln!(
        "stall while running: {stored} stored, 1 dead letter, {} lost (from {} to {})",
        gap.lost, gap.stored, gap.resumed
    );
    consumer.stop().await;
    delete_topics(kafka, &[format!("{}{suffix}", case.topic)]).await;
    case.cleanup(db).await;
}

/// The three retention cases share one cluster: it takes most of the time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_gaps_are_counted_exactly_on_a_cluster_with_fast_retention() {
    // The consumer's error log is part of what is tested: show it.
    forgectl_service_common::telemetry::init_tracing();
    let stack = Stack::get();
    let cluster = ThrowawayKafka::start_with(FAST_RETENTION);
    cluster.wait_ready(Duration::from_secs(180)).await;
    let kafka = KafkaSettings::plaintext(cluster.bootstrap());
    let db = stack.pg_client(&stack.pg.sync_database).await;
    stopped_longer_than_retention(&stack, &kafka, &db).await;
    stopped_shorter_than_retention(&stack, &kafka, &db).await;
    stalled_while_running(&stack, &kafka, &db).await;
    drop(cluster);
}

/// Deleted and created again while the consumer is stopped: the new topic's
/// offsets restart at 0, below the stored offset. Detected by the topic id,
/// counted as a recreation (nothing of the new topic expired: 0 lost), and
/// every message of the new topic is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreated_topic_is_detected_by_its_id_and_read_from_its_start() {
    // The consumer's error log is part of what is tested: show it.
    forgectl_service_common::telemetry::init_tracing();
    let stack = Stack::get();
    let kafka = stack.kafka();
    let db = stack.pg_client(&stack.pg.sync_database).await;
    let case = Case::new(&stack, &kafka.brokers, "recreate");
    create_topic(&kafka, &case.topic, &[]).await;
    let p = producer(&kafka);
    let consumer = start_consumer(&case.vars);
    produce(&p, &case.topic, "old", 10).await;
    wait_rows(&db, &case.topic, 10, WAIT).await;
    consumer.stop().await;

    delete_topics(&kafka, std::slice::from_ref(&case.topic)).await;
    let topic = case.topic.clone();
    eventually(WAIT, "the topic to be gone", || {
        let (kafka, topic) = (kafka.clone(), topic.clone());
        async move {
            let c: BaseConsumer = kafka.client_config().create().unwrap_or_else(|e| panic!("{e}"));
            c.fetch_metadata(Some(&topic), Duration::from_secs(5))
                .map(|m| m.topics().iter().all(|t| t.error().is_some()))
                .unwrap_or(false)
        }
    })
    .await;
    create_topic(&kafka, &case.topic, &[]).await;
    produce(&p, &case.topic, "new", 4).await;

    let consumer = start_consumer(&case.vars);
    wait_rows(&db, &case.topic, 14, WAIT).await;
    let rows = gap_rows(&db, &case.group).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let gap = &rows[0];
    assert_eq!((gap.cause.as_str(), gap.stored, gap.resumed, gap.lost), ("recreated", 10, 0, 0), "{gap:?}");
    assert!(gap.old_id.is_some() && gap.id.is_some() && gap.old_id != gap.id, "{gap:?}");
    let cause = [("topic", case.topic.as_str()), ("cause", "recreated")];
    assert_eq!(metric(case.port, "consumer_offset_gaps_total", &cause).await, 1.0);
    assert_eq!(case.lost().await, 0.0);
    let stored = db
        .query_one(
            "SELECT next_offset, topic_id FROM forgectl_consumer_offsets WHERE consumer_group = $1",
            &[&case.group],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((stored.get::<_, i64>(0), stored.get::<_, Option<String>>(1)), (4, gap.id.clone()));
    consumer.stop().await;
    delete_topics(&kafka, std::slice::from_ref(&case.topic)).await;
    case.cleanup(&db).await;
}
