//! Failure tests: consumer SIGKILL (issue test 3), PostgreSQL restart (4),
//! one of three Kafka brokers stopped (5). Loads are bounded and stay on
//! loopback. The PostgreSQL and Kafka that get restarted/stopped are started
//! by the tests themselves, so the shared stack is never disturbed.

mod support;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};

use std::time::Duration;

use forgectl_service_common::KafkaSettings;
use support::*;

const WAIT: Duration = Duration::from_secs(90);

fn spawn_consumer_process(vars: &HashMap<String, String>) -> ChildGuard {
    let child = Command::new(env!("CARGO_BIN_EXE_forgectl-consumer"))
        .envs(vars)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning the consumer: {e}"));
    ChildGuard(child)
}

async fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("consumer did not exit within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Uploads `n` batches of `kind`, paced, and returns how many were not
/// answered 200 on the first try.
fn paced_uploads(base: String, kind: Kind, n: usize, records: usize, pace: Duration) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let c = http();
        let mut not_first_try = 0;
        for i in 0..n {
            let body = upload_body(&format!("dev-{}", i % 7), &format!("{kind}-{i}"), records, 120);
            let first = c.post(format!("{base}/v1/uploads/{}", kind.as_str())).json(&body).send().await;
            if !matches!(&first, Ok(r) if r.status() == reqwest::StatusCode::OK) {
                eprintln!("upload {i} first try: {:?}", first.map(|r| r.status()));
                not_first_try += 1;
                upload(&c, &base, kind, &body).await;
            }
            tokio::time::sleep(pace).await;
        }
        not_first_try
    })
}

/// Issue test 3: SIGKILL the consumer mid-stream and restart it: no row lost
/// (and none duplicated).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_consumer_mid_stream_loses_nothing() {
    let mut fx = Fixture::new("e2e3", 3).await;
    let group = fx.group("kill");
    let topics = vec![fx.topic(Kind::Sms), fx.topic(Kind::Events)];
    let mut vars = consumer_vars(&fx.stack.service_env(), &topics, &group);
    vars.insert("CONSUMER_SESSION_TIMEOUT_MS".into(), "6000".into());
    vars.insert("CONSUMER_BATCH_MAX_ROWS".into(), "200".into());
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let mut child = spawn_consumer_process(&vars);
    let p = start_producer(fx.producer_vars()).await;
    const N: usize = 60;
    let sms = paced_uploads(p.base.clone(), Kind::Sms, N, 20, Duration::from_millis(40));
    let events = paced_uploads(p.base.clone(), Kind::Events, N, 10, Duration::from_millis(40));

    let db = fx.db().await;
    let sms_topic = fx.topic(Kind::Sms);
    eventually(WAIT, "the consumer to make progress", || {
        let (db, t) = (&db, sms_topic.clone());
        async move { count_rows(db, &t).await >= 200 }
    })
    .await;
    child.kill().unwrap_or_else(|e| panic!("SIGKILL: {e}"));
    let _ = child.wait();
    let at_kill = count_rows(&db, &sms_topic).await;
    assert!(at_kill < (N * 20) as i64, "the kill was not mid-stream");
    tokio::time::sleep(Duration::from_millis(500)).await;
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let mut child = spawn_consumer_process(&vars);

    assert_eq!(sms.await.unwrap_or(usize::MAX), 0);
    assert_eq!(events.await.unwrap_or(usize::MAX), 0);
    wait_rows(&db, &sms_topic, (N * 20) as i64, WAIT).await;
    wait_rows(&db, &fx.topic(Kind::Events), (N * 10) as i64, WAIT).await;

    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = wait_exit(&mut child, Duration::from_secs(30)).await;
    assert!(status.success(), "consumer exit after SIGTERM: {status}");
    p.stop().await;
    fx.teardown().await;
}

/// Issue test 4: restart PostgreSQL mid-stream: no row lost, and the consumer
/// recovers by itself (it pauses its partitions and keeps polling).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_mid_stream_loses_nothing() {
    let pg = ThrowawayPg::start();
    let mut fx = Fixture::new("e2e4", 2).await;
    let group = fx.group("pg");
    let sms_topic = fx.topic(Kind::Sms);
    let mut base_env = fx.stack.service_env();
    base_env.remove("DI_POSTGRES_PASSWORD");
    base_env.extend(pg.env());
    let mut vars = consumer_vars(&base_env, std::slice::from_ref(&sms_topic), &group);
    let metrics_port = free_port();
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{metrics_port}"));
    vars.insert("DI_POSTGRES_CONNECT_TIMEOUT_MS".into(), "1000".into());
    let consumer = start_consumer(&vars);
    let p = start_producer(fx.producer_vars()).await;
    const N: usize = 80;
    let up = paced_uploads(p.base.clone(), Kind::Sms, N, 10, Duration::from_millis(50));

    let db = pg.client().await;
    eventually(WAIT, "rows before the restart", || {
        let (db, t) = (&db, sms_topic.clone());
        async move { count_rows(db, &t).await >= 100 }
    })
    .await;
    drop(db);
    pg.stop();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let c = http();
    let ready =
        c.get(format!("http://127.0.0.1:{metrics_port}/ready")).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
    assert_eq!(ready, 503, "/ready while PostgreSQL is down");
    pg.start_again();

    assert_eq!(up.await.unwrap_or(usize::MAX), 0, "uploads do not depend on the consumer's database");
    let db = pg.client().await;
    wait_rows(&db, &sms_topic, (N * 10) as i64, WAIT).await;
    let metrics = c
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(metrics.contains("consumer_write_errors_total"), "the outage was not observed:\n{metrics}");
    assert!(metrics.contains("consumer_paused 0"), "consumer still paused:\n{metrics}");
    consumer.stop().await;
    p.stop().await;
    fx.teardown().await;
}

/// Issue test 5: stop one of the 3 brokers during uploads: uploads keep
/// succeeding (min.insync.replicas=2) and no acknowledged upload is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_broker_down_uploads_keep_succeeding() {
    let stack = Stack::get();
    let mut kafka = ThrowawayKafka::start();
    kafka.wait_ready(Duration::from_secs(180)).await;
    let settings = KafkaSettings::plaintext(kafka.bootstrap());
    let prefix = unique("e2e5_");
    let (topics, dlqs) = prefixed_topics(&prefix);
    let sms_topic = topics[0].clone();
    let all = vec![sms_topic.clone(), format!("{sms_topic}.dlq")];
    create_topics(&settings, &all, 3).await;
    let _ = dlqs;

    let mut env = stack.service_env();
    env.insert("DI_KAFKA_BROKER_ENDPOINT".into(), kafka.bootstrap());
    let group = format!("{prefix}broker");
    let mut vars = consumer_vars(&env, std::slice::from_ref(&sms_topic), &group);
    vars.insert("CONSUMER_SESSION_TIMEOUT_MS".into(), "6000".into());
    let consumer = start_consumer(&vars);
    let mut pvars = env.clone();
    pvars.insert("DI_KAFKA_TOPIC_PREFIX".into(), prefix.clone());
    pvars.insert("PRODUCER_DELIVERY_TIMEOUT_MS".into(), "30000".into());
    let p = start_producer(pvars).await;
    const N: usize = 100;
    let up = paced_uploads(p.base.clone(), Kind::Sms, N, 5, Duration::from_millis(40));

    let db = stack.pg_client(&stack.pg.sync_database).await;
    eventually(WAIT, "rows before the broker stops", || {
        let (db, t) = (&db, sms_topic.clone());
        async move { count_rows(db, &t).await >= 100 }
    })
    .await;
    assert!(!up.is_finished(), "uploads ended before the broker was stopped");
    let kafka = tokio::task::spawn_blocking(move || {
        kafka.stop_node(0);
        kafka
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(up.await.unwrap_or(usize::MAX), 0, "some uploads failed while one broker was down");
    wait_rows(&db, &sms_topic, (N * 5) as i64, WAIT).await;

    consumer.stop().await;
    p.stop().await;
    let table = forgectl_consumer::schema::table_name(&sms_topic);
    let _ = db.batch_execute(&format!("DROP TABLE IF EXISTS \"{table}\"")).await;
    let _ = db.execute("DELETE FROM forgectl_consumer_offsets WHERE consumer_group = $1", &[&group]).await;
    drop(kafka);
}
