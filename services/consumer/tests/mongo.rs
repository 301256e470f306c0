//! The MongoDB sink on the stack's FerretDB: both stores exactly once,
//! enabled-sources filtering, a rejected document dead-lettered alone, a
//! FerretDB restart and a consumer SIGKILL mid-stream with nothing lost or
//! duplicated. Each test writes to its own MongoDB database; the restart
//! test runs its own FerretDB so the shared one is never disturbed.

mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use mongodb::bson::{doc, Document};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use support::*;

const WAIT: Duration = Duration::from_secs(90);

/// The stack's FerretDB (`eval "$(dev/stack env)"`), with `database`.
fn mongo_vars(vars: &mut HashMap<String, String>, port: u16, database: &str, sources: &str) {
    vars.insert("DI_MONGODB_HOST".into(), "127.0.0.1".into());
    vars.insert("DI_MONGODB_PORT".into(), port.to_string());
    vars.insert("DI_MONGODB_DATABASE".into(), database.into());
    vars.insert("DI_MONGODB_ENABLED_SOURCES".into(), sources.into());
    vars.insert("DI_MONGODB_MAX_POOL_SIZE".into(), "10".into());
    vars.insert("DI_MONGODB_MIN_POOL_SIZE".into(), "0".into());
    vars.insert("DI_MONGODB_SERVER_SELECTION_TIMEOUT_MS".into(), "2000".into());
    vars.insert("DI_MONGODB_CONNECT_TIMEOUT_MS".into(), "1000".into());
    vars.insert("DI_MONGODB_SOCKET_TIMEOUT_MS".into(), "10000".into());
    vars.insert("DI_MONGODB_RETRY_WRITES".into(), "true".into());
    vars.insert("DI_MONGODB_WAIT_QUEUE_TIMEOUT_MS".into(), "2000".into());
}

fn stack_mongo_port() -> u16 {
    std::env::var("DI_MONGODB_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("DI_MONGODB_PORT is not set: run dev/stack up && eval \"$(dev/stack env)\""))
}

async fn mongo_db(port: u16, database: &str) -> mongodb::Database {
    let mut opts = mongodb::options::ClientOptions::default();
    opts.hosts = vec![mongodb::options::ServerAddress::Tcp { host: "127.0.0.1".into(), port: Some(port) }];
    opts.server_selection_timeout = Some(Duration::from_secs(2));
    let client = mongodb::Client::with_options(opts).unwrap_or_else(|e| panic!("mongodb client: {e}"));
    client.database(database)
}

/// -1 while the server is unreachable.
async fn count_docs(db: &mongodb::Database, collection: &str) -> i64 {
    db.collection::<Document>(collection).count_documents(doc! {}).await.map(|n| n as i64).unwrap_or(-1)
}

async fn wait_docs(db: &mongodb::Database, collection: &str, want: i64) {
    eventually(WAIT, &format!("{want} documents in {collection}"), || async move {
        count_docs(db, collection).await >= want
    })
    .await;
    assert_eq!(count_docs(db, collection).await, want, "documents in {collection}");
}

/// Documents whose `_id` occurs more than once: must be none, whatever the
/// server's unique index does.
async fn distinct_ids(db: &mongodb::Database, collection: &str) -> usize {
    let ids = db
        .collection::<Document>(collection)
        .distinct("_id", doc! {})
        .await
        .unwrap_or_else(|e| panic!("distinct _id in {collection}: {e}"));
    ids.len()
}

async fn metrics_text(port: u16) -> String {
    match http().get(format!("http://127.0.0.1:{port}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Both stores exactly once: every kind uploaded, then every upload sent
/// again; rows and documents both equal the records sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sinks_hold_every_record_exactly_once() {
    let mut fx = Fixture::new("mg1", 2).await;
    let group = fx.group("all");
    let database = fx.prefix.trim_end_matches('_').to_string();
    let port = stack_mongo_port();
    let mut vars = consumer_vars(&fx.stack.service_env(), &fx.topics, &group);
    let metrics_port = free_port();
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{metrics_port}"));
    mongo_vars(&mut vars, port, &database, "*");
    let consumer = start_consumer(&vars);
    let p = start_producer(fx.producer_vars()).await;
    let c = http();
    const UPLOADS: usize = 4;
    for round in 0..2 {
        for kind in Kind::ALL {
            for i in 0..UPLOADS {
                upload(
                    &c,
                    &p.base,
                    kind,
                    &upload_body(&format!("dev-{i}"), &format!("{kind}-{i}"), records_for(kind), 80),
                )
                .await;
            }
        }
        if round == 0 {
            // Let the first round land so the second is a true replay.
            let db = fx.db().await;
            wait_rows(&db, &fx.topic(Kind::Sms), (UPLOADS * records_for(Kind::Sms)) as i64, WAIT).await;
        }
    }
    let pg = fx.db().await;
    let mongo = mongo_db(port, &database).await;
    for kind in Kind::ALL {
        let want = (UPLOADS * records_for(kind)) as i64;
        wait_rows(&pg, &fx.topic(kind), want, WAIT).await;
        wait_docs(&mongo, &fx.topic(kind), want).await;
        assert_eq!(distinct_ids(&mongo, &fx.topic(kind)).await as i64, want, "{kind}");
    }
    // The replay was consumed (offsets moved past it) and added nothing.
    eventually(WAIT, "the replayed uploads to be written", || async {
        let m = metrics_text(metrics_port).await;
        m.lines().any(|l| l.starts_with("consumer_rows_duplicate_total{sink=\"mongodb\"}") && !l.ends_with(" 0"))
    })
    .await;
    let sms = fx.topic(Kind::Sms);
    let one = mongo
        .collection::<Document>(&sms)
        .find_one(doc! { "_id": "5:dev-1|sms-1|3" })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the document of (dev-1, sms-1, 3) is missing"));
    assert_eq!(one.get_str("device_id").ok(), Some("dev-1"));
    assert_eq!(one.get_i64("record_index").ok(), Some(3));
    assert_eq!(one.get_str("kind").ok(), Some("sms"));
    // JSON numbers keep their value; small integers become BSON int32.
    let record = one.get_document("record").unwrap_or_else(|e| panic!("record: {e}"));
    assert_eq!(record.get_i32("i").map(i64::from).or_else(|_| record.get_i64("i")).ok(), Some(3));
    let text = metrics_text(metrics_port).await;
    for sink in ["postgres", "mongodb"] {
        assert!(text.contains(&format!("consumer_rows_written_total{{sink=\"{sink}\"}}")), "{sink}:\n{text}");
    }
    consumer.stop().await;
    p.stop().await;
    let _ = mongo.drop().await;
    fx.teardown().await;
}

/// `DI_MONGODB_ENABLED_SOURCES` picks by kind and by exact topic; PostgreSQL
/// still gets everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_enabled_sources_reach_mongodb() {
    let mut fx = Fixture::new("mg2", 1).await;
    let group = fx.group("some");
    let database = fx.prefix.trim_end_matches('_').to_string();
    let port = stack_mongo_port();
    let mut vars = consumer_vars(&fx.stack.service_env(), &fx.topics, &group);
    mongo_vars(&mut vars, port, &database, &format!("sms, {}", fx.topic(Kind::CallLogs)));
    let consumer = start_consumer(&vars);
    let p = start_producer(fx.producer_vars()).await;
    let c = http();
    for kind in Kind::ALL {
        upload(&c, &p.base, kind, &upload_body("dev", &format!("{kind}-0"), records_for(kind), 60)).await;
    }
    let pg = fx.db().await;
    let mongo = mongo_db(port, &database).await;
    for kind in Kind::ALL {
        wait_rows(&pg, &fx.topic(kind), records_for(kind) as i64, WAIT).await;
    }
    // PostgreSQL stores offsets only after MongoDB has the batch, so with
    // every row in, MongoDB's side is final.
    wait_docs(&mongo, &fx.topic(Kind::Sms), records_for(Kind::Sms) as i64).await;
    wait_docs(&mongo, &fx.topic(Kind::CallLogs), records_for(Kind::CallLogs) as i64).await;
    let collections = mongo.list_collection_names().await.unwrap_or_else(|e| panic!("{e}"));
    for kind in [Kind::Events, Kind::AppsAndDevice, Kind::Contacts] {
        assert!(!collections.contains(&fx.topic(kind)), "{kind} reached MongoDB: {collections:?}");
    }
    consumer.stop().await;
    p.stop().await;
    let _ = mongo.drop().await;
    fx.teardown().await;
}

/// A record MongoDB refuses (a `$`-prefixed field name) dead-letters its
/// message alone: the uploads around it land in both stores, and neither
/// store keeps any record of the rejected message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_mongodb_rejects_is_dead_lettered_alone() {
    let mut fx = Fixture::new("mg3", 1).await;
    let group = fx.group("dlq");
    let database = fx.prefix.trim_end_matches('_').to_string();
    let port = stack_mongo_port();
    let sms = fx.topic(Kind::Sms);
    let mut vars = consumer_vars(&fx.stack.service_env(), std::slice::from_ref(&sms), &group);
    mongo_vars(&mut vars, port, &database, "*");
    let p = start_producer(fx.producer_vars()).await;
    let c = http();
    upload(&c, &p.base, Kind::Sms, &upload_body("d", "before", 5, 50)).await;
    let bad = serde_json::json!({
        "device_id": "d",
        "batch_id": "rejected",
        "records": [{"ok": 1}, {"$where": "sleep(1)"}],
    });
    upload(&c, &p.base, Kind::Sms, &bad).await;
    upload(&c, &p.base, Kind::Sms, &upload_body("d", "after", 5, 50)).await;
    let consumer = start_consumer(&vars);

    let pg = fx.db().await;
    let mongo = mongo_db(port, &database).await;
    wait_rows(&pg, &sms, 10, WAIT).await;
    wait_docs(&mongo, &sms, 10).await;
    let left = mongo
        .collection::<Document>(&sms)
        .count_documents(doc! { "batch_id": "rejected" })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(left, 0, "a record of the dead-lettered message stayed in MongoDB");

    let dlq: BaseConsumer = {
        let mut cfg = fx.stack.kafka().client_config();
        cfg.set("group.id", format!("{}dlq-reader", fx.prefix)).set("auto.offset.reset", "earliest");
        cfg.create().unwrap_or_else(|e| panic!("{e}"))
    };
    dlq.subscribe(&[&format!("{sms}.dlq")]).unwrap_or_else(|e| panic!("{e}"));
    let mut letters = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while letters.is_empty() && std::time::Instant::now() < deadline {
        if let Some(Ok(m)) = dlq.poll(Duration::from_millis(500)) {
            let error = m
                .headers()
                .and_then(|hs| hs.iter().find(|h| h.key == "dlq.error").and_then(|h| h.value.map(<[u8]>::to_vec)))
                .map(|v| String::from_utf8_lossy(&v).into_owned())
                .unwrap_or_default();
            letters.push((m.payload().map(<[u8]>::to_vec).unwrap_or_default(), error));
        }
    }
    assert_eq!(letters.len(), 1, "one dead letter expected");
    let (payload, error) = &letters[0];
    assert!(error.contains("MongoDB"), "{error}");
    assert!(String::from_utf8_lossy(payload).contains("rejected"), "the dead letter carries the envelope");
    drop(dlq);
    consumer.stop().await;
    p.stop().await;
    let _ = mongo.drop().await;
    fx.teardown().await;
}

/// A FerretDB of this test's own, on a free port and a temporary directory.
struct ThrowawayFerret {
    port: u16,
    dir: PathBuf,
    child: Option<ChildGuard>,
}

impl ThrowawayFerret {
    fn binary() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dev/.cache/ferretdb/ferretdb-dev")
    }

    fn start() -> Self {
        let dir = std::env::temp_dir().join(unique("forgectl-ferret-"));
        let mut f = ThrowawayFerret { port: free_port(), dir, child: None };
        f.start_again();
        f
    }

    fn start_again(&mut self) {
        let child = Command::new(Self::binary())
            .args(["-listen", &format!("127.0.0.1:{}", self.port), "-sqlite-dir"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} (run dev/setup): {e}", Self::binary().display()));
        self.child = Some(ChildGuard(child));
    }

    /// SIGTERM, as a server restart would; waits for the exit.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let _ = child.wait();
        }
    }
}

impl Drop for ThrowawayFerret {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Uploads `n` batches of `kind`, paced; returns how many needed a retry.
fn paced_uploads(base: String, kind: Kind, n: usize, records: usize, pace: Duration) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let c = http();
        let mut retried = 0;
        for i in 0..n {
            let body = upload_body(&format!("dev-{}", i % 7), &format!("{kind}-{i}"), records, 120);
            let first = c.post(format!("{base}/v1/uploads/{}", kind.as_str())).json(&body).send().await;
            if !matches!(&first, Ok(r) if r.status() == reqwest::StatusCode::OK) {
                retried += 1;
                upload(&c, &base, kind, &body).await;
            }
            tokio::time::sleep(pace).await;
        }
        retried
    })
}

/// FerretDB stops mid-stream and comes back: the consumer pauses (PostgreSQL
/// gets nothing either, its offsets must not pass MongoDB), then resumes;
/// both stores end with every record once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferretdb_restart_mid_stream_loses_nothing() {
    let mut ferret = ThrowawayFerret::start();
    let mut fx = Fixture::new("mg4", 2).await;
    let group = fx.group("restart");
    let sms = fx.topic(Kind::Sms);
    let mut vars = consumer_vars(&fx.stack.service_env(), std::slice::from_ref(&sms), &group);
    let metrics_port = free_port();
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{metrics_port}"));
    mongo_vars(&mut vars, ferret.port, "sync_db", "*");
    let consumer = start_consumer(&vars);
    let p = start_producer(fx.producer_vars()).await;
    const N: usize = 80;
    let up = paced_uploads(p.base.clone(), Kind::Sms, N, 10, Duration::from_millis(50));

    let mongo = mongo_db(ferret.port, "sync_db").await;
    eventually(WAIT, "documents before the restart", || {
        let (m, t) = (&mongo, sms.clone());
        async move { count_docs(m, &t).await >= 100 }
    })
    .await;
    ferret.stop();
    eventually(Duration::from_secs(30), "the consumer to pause", || async {
        metrics_text(metrics_port).await.contains("consumer_paused 1")
    })
    .await;
    let pg = fx.db().await;
    let rows_while_down = count_rows(&pg, &sms).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count_rows(&pg, &sms).await, rows_while_down, "PostgreSQL moved on without MongoDB");
    ferret.start_again();

    assert_eq!(up.await.unwrap_or(usize::MAX), 0, "uploads do not depend on the consumer's stores");
    wait_docs(&mongo, &sms, (N * 10) as i64).await;
    wait_rows(&pg, &sms, (N * 10) as i64, WAIT).await;
    assert_eq!(distinct_ids(&mongo, &sms).await, N * 10);
    let text = metrics_text(metrics_port).await;
    assert!(text.contains("consumer_write_errors_total{sink=\"mongodb\"}"), "the outage was not observed:\n{text}");
    assert!(text.contains("consumer_paused 0"), "consumer still paused:\n{text}");
    consumer.stop().await;
    p.stop().await;
    fx.teardown().await;
}

/// SIGKILL the consumer process mid-stream and restart it: both stores end
/// with every record exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_and_duplicates_nothing_in_either_store() {
    let mut fx = Fixture::new("mg5", 3).await;
    let group = fx.group("kill");
    let database = fx.prefix.trim_end_matches('_').to_string();
    let port = stack_mongo_port();
    let topics = vec![fx.topic(Kind::Sms), fx.topic(Kind::Events)];
    let mut vars = consumer_vars(&fx.stack.service_env(), &topics, &group);
    vars.insert("CONSUMER_SESSION_TIMEOUT_MS".into(), "6000".into());
    vars.insert("CONSUMER_BATCH_MAX_ROWS".into(), "200".into());
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    mongo_vars(&mut vars, port, &database, "*");
    let spawn = |vars: &HashMap<String, String>| {
        ChildGuard(
            Command::new(env!("CARGO_BIN_EXE_forgectl-consumer"))
                .envs(vars)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("spawning the consumer: {e}")),
        )
    };
    let mut child = spawn(&vars);
    let p = start_producer(fx.producer_vars()).await;
    const N: usize = 60;
    let sms = paced_uploads(p.base.clone(), Kind::Sms, N, 20, Duration::from_millis(40));
    let events = paced_uploads(p.base.clone(), Kind::Events, N, 10, Duration::from_millis(40));

    let mongo = mongo_db(port, &database).await;
    let sms_topic = fx.topic(Kind::Sms);
    eventually(WAIT, "the consumer to make progress", || {
        let (m, t) = (&mongo, sms_topic.clone());
        async move { count_docs(m, &t).await >= 200 }
    })
    .await;
    child.kill().unwrap_or_else(|e| panic!("SIGKILL: {e}"));
    let _ = child.wait();
    assert!(count_docs(&mongo, &sms_topic).await < (N * 20) as i64, "the kill was not mid-stream");
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let mut child = spawn(&vars);

    assert_eq!(sms.await.unwrap_or(usize::MAX), 0);
    assert_eq!(events.await.unwrap_or(usize::MAX), 0);
    let pg = fx.db().await;
    for (kind, per) in [(Kind::Sms, 20), (Kind::Events, 10)] {
        let want = (N * per) as i64;
        wait_rows(&pg, &fx.topic(kind), want, WAIT).await;
        wait_docs(&mongo, &fx.topic(kind), want).await;
        assert_eq!(distinct_ids(&mongo, &fx.topic(kind)).await as i64, want, "{kind}");
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while child.try_wait().ok().flatten().is_none() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(child.try_wait().ok().flatten().is_some_and(|s| s.success()), "consumer exit after SIGTERM");
    p.stop().await;
    let _ = mongo.drop().await;
    fx.teardown().await;
}
