//! Who can reach what: no keys means no start (unless anonymous is asked
//! for), the public listener serves only uploads and health, `/ready`
//! depends on Kafka alone and never shows internal error text. Requires
//! `dev/stack up`.

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use support::*;

#[test]
fn the_binary_refuses_to_start_without_keys() {
    let stack = Stack::get();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_forgectl-producer"))
        .env_clear()
        .envs(stack.service_env())
        .env("PRODUCER_LISTEN_ADDR", "127.0.0.1:0")
        .env("PRODUCER_METRICS_ADDR", "127.0.0.1:0")
        .output()
        .unwrap_or_else(|e| panic!("running the producer: {e}"));
    assert!(!out.status.success(), "started without API keys");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PRODUCER_API_KEYS") && stderr.contains("PRODUCER_ALLOW_ANONYMOUS=true"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_listener_serves_only_uploads_and_health() {
    let stack = Stack::get();
    let prefix = unique("tacc_");
    let (topics, _) = prefixed_topics(&prefix);
    create_topics(&stack.kafka(), &topics, 1).await;
    let key = "access-test-key-0123456789";
    let mut vars = stack.service_env();
    vars.insert("DI_KAFKA_TOPIC_PREFIX".into(), prefix.clone());
    vars.insert("PRODUCER_API_KEYS".into(), format!("acc:{key}"));
    let p = start_producer(vars).await;
    let c = http();

    for path in ["/metrics", "/debug", "/v1", "/"] {
        let r = c.get(p.url(path)).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path} on the public listener");
    }
    let r = c.get(p.metrics_url()).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.get(format!("{}/v1/uploads/sms", p.metrics_base)).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "uploads on the metrics listener");
    let r = c
        .post(p.url("/v1/uploads/sms"))
        .header("x-api-key", key)
        .json(&upload_body("d", "b", 1, 10))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.post(p.url("/v1/uploads/sms")).json(&upload_body("d", "b", 1, 10)).send().await;
    assert_eq!(r.map(|r| r.status()).ok(), Some(StatusCode::UNAUTHORIZED));
    p.stop().await;
    delete_topics(&stack.kafka(), &topics).await;
}

/// The insights database down: still ready (uploads need only Kafka), the
/// body says the database is unavailable, without its error text, and the
/// metric says so too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insights_database_down_is_reported_not_fatal() {
    let stack = Stack::get();
    let dead = free_port();
    let mut vars = stack.service_env();
    vars.insert("DI_POSTGRES_PORT".into(), dead.to_string());
    let p = start_producer(vars).await;
    let c = http();
    let r = c.get(p.url("/ready")).timeout(Duration::from_secs(20)).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap_or_default();
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(v["kafka"], "ok", "{text}");
    assert_eq!(v["database"], "unavailable", "{text}");
    assert!(!text.contains(&dead.to_string()) && !text.to_lowercase().contains("refused"), "leaks: {text}");
    let metrics = c.get(p.metrics_url()).send().await.unwrap_or_else(|e| panic!("{e}")).text().await;
    let metrics = metrics.unwrap_or_default();
    assert!(
        metrics.lines().any(|l| l.starts_with("producer_dependency_up{dependency=\"insights_database\"} 0")),
        "{metrics}"
    );
    p.stop().await;
}
