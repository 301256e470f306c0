//! Helpers for the end-to-end tests: the producer API and consumers running
//! against the real stack, with per-test topics, tables and groups.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use forgectl_consumer::ConsumerOptions;
#[allow(unused_imports)] // not every test file starts a producer
pub use forgectl_producer::testkit::start_producer;
use reqwest::StatusCode;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use forgectl_service_common::testkit::*;
pub use forgectl_service_common::Kind;

pub struct ConsumerProc {
    pub cancel: CancellationToken,
    pub task: JoinHandle<Result<(), forgectl_consumer::ConsumerError>>,
}

impl ConsumerProc {
    pub async fn stop(self) {
        self.cancel.cancel();
        match tokio::time::timeout(Duration::from_secs(40), self.task).await {
            Ok(Ok(Ok(()))) => {}
            other => panic!("consumer did not stop cleanly: {other:?}"),
        }
    }
}

pub fn consumer_vars(base: &HashMap<String, String>, topics: &[String], group: &str) -> HashMap<String, String> {
    let mut vars = base.clone();
    vars.insert("ENABLED_TOPICS".into(), topics.join(","));
    vars.insert("KAFKA_CONSUMER_GROUP".into(), group.into());
    vars.insert("CONSUMER_BATCH_MAX_WAIT_MS".into(), "100".into());
    vars.insert("CONSUMER_METRICS_ADDR".into(), "127.0.0.1:0".into());
    vars
}

pub fn start_consumer(vars: &HashMap<String, String>) -> ConsumerProc {
    let opts = ConsumerOptions::from_env(vars).unwrap_or_else(|e| panic!("consumer options: {e}"));
    let cancel = CancellationToken::new();
    let task = tokio::spawn(forgectl_consumer::run(opts, cancel.clone()));
    ConsumerProc { cancel, task }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap_or_else(|e| panic!("http client: {e}"))
}

/// Uploads one batch, retrying on 429/503 as a client should; returns once
/// the server answered 200.
pub async fn upload(c: &reqwest::Client, base: &str, kind: Kind, body: &serde_json::Value) {
    for attempt in 0..20 {
        match c.post(format!("{base}/v1/uploads/{}", kind.as_str())).json(body).send().await {
            Ok(r) if r.status() == StatusCode::OK => return,
            Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS || r.status() == StatusCode::SERVICE_UNAVAILABLE => {}
            Ok(r) => panic!("upload {kind} answered {}: {:?}", r.status(), r.text().await),
            Err(e) if attempt < 19 => tracing_free_log(&format!("upload error, retrying: {e}")),
            Err(e) => panic!("upload {kind}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("upload {kind} never got a 200");
}

fn tracing_free_log(msg: &str) {
    eprintln!("{msg}");
}

/// Records per upload used by the e2e tests, by kind (scaled-down workload v1).
pub fn records_for(kind: Kind) -> usize {
    match kind {
        Kind::Sms => 20,
        Kind::Events => 10,
        Kind::AppsAndDevice => 1,
        Kind::Contacts => 30,
        Kind::CallLogs => 8,
    }
}

pub async fn count_rows(db: &tokio_postgres::Client, topic: &str) -> i64 {
    let table = forgectl_consumer::schema::table_name(topic);
    db.query_one(&format!("SELECT count(*) FROM \"{table}\""), &[]).await.map(|r| r.get::<_, i64>(0)).unwrap_or(-1)
}

pub async fn wait_rows(db: &tokio_postgres::Client, topic: &str, want: i64, timeout: Duration) {
    eventually(timeout, &format!("{want} rows from {topic}"), || async move { count_rows(db, topic).await >= want })
        .await;
    let got = count_rows(db, topic).await;
    assert_eq!(got, want, "rows in the table of {topic}");
}

/// Per-test topics (with DLQs), tables and consumer groups.
pub struct Fixture {
    pub stack: Stack,
    pub prefix: String,
    pub topics: Vec<String>,
    pub dlqs: Vec<String>,
    pub groups: Vec<String>,
}

impl Fixture {
    pub async fn new(tag: &str, partitions: i32) -> Fixture {
        let stack = Stack::get();
        let prefix = unique(&format!("{tag}_"));
        let (topics, dlqs) = prefixed_topics(&prefix);
        let all: Vec<String> = topics.iter().chain(dlqs.iter()).cloned().collect();
        create_topics(&stack.kafka(), &all, partitions).await;
        Fixture { stack, prefix, topics, dlqs, groups: Vec::new() }
    }

    pub fn topic(&self, kind: Kind) -> String {
        format!("{}{}", self.prefix, kind.topic())
    }

    pub fn group(&mut self, name: &str) -> String {
        let g = format!("{}{name}", self.prefix);
        self.groups.push(g.clone());
        g
    }

    pub fn producer_vars(&self) -> HashMap<String, String> {
        let mut v = self.stack.service_env();
        v.insert("DI_KAFKA_TOPIC_PREFIX".into(), self.prefix.clone());
        v
    }

    pub async fn db(&self) -> tokio_postgres::Client {
        self.stack.pg_client(&self.stack.pg.sync_database).await
    }

    pub async fn teardown(self) {
        let all: Vec<String> = self.topics.iter().chain(self.dlqs.iter()).cloned().collect();
        delete_topics(&self.stack.kafka(), &all).await;
        let db = self.db().await;
        for t in &self.topics {
            let table = forgectl_consumer::schema::table_name(t);
            let _ = db.batch_execute(&format!("DROP TABLE IF EXISTS \"{table}\"")).await;
        }
        for g in &self.groups {
            let _ = db.execute("DELETE FROM forgectl_consumer_offsets WHERE consumer_group = $1", &[g]).await;
        }
    }
}
