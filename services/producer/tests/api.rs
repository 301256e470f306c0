//! Producer API against the real stack: malformed input, auth, limits,
//! backpressure, insights rows. Requires `dev/stack up`.

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::*;

async fn topics_for(stack: &Stack, prefix: &str) -> Vec<String> {
    let (topics, _) = prefixed_topics(prefix);
    create_topics(&stack.kafka(), &topics, 3).await;
    topics
}

/// Issue test 6: every malformed request gets a 4xx (never 5xx), and the
/// service stays healthy and keeps accepting good uploads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_corpus_gets_4xx_and_service_stays_healthy() {
    let stack = Stack::get();
    let prefix = unique("t6_");
    let topics = topics_for(&stack, &prefix).await;
    let mut vars = stack.service_env();
    vars.insert("DI_KAFKA_TOPIC_PREFIX".into(), prefix.clone());
    vars.insert("PRODUCER_MAX_BODY_BYTES".into(), (256 * 1024).to_string());
    let p = start_producer(vars).await;
    // A fresh connection per request: the producer answers an oversized
    // body from its Content-Length without reading it and then closes the
    // connection, and a pooled client could send the next case on that
    // closing connection (a client-side race, not a producer failure).
    let c =
        reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap_or_else(|err| panic!("http client: {err}"));

    let long = "x".repeat(300);
    let huge_field = "y".repeat(70 * 1024);
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("bad json", "sms", b"{not json".to_vec()),
        ("truncated", "sms", br#"{"device_id":"d","batch_id":"b","records":[{"a":1}"#.to_vec()),
        ("empty body", "sms", Vec::new()),
        ("array body", "sms", b"[1,2,3]".to_vec()),
        ("wrong type device", "sms", br#"{"device_id":5,"batch_id":"b","records":[{}]}"#.to_vec()),
        ("wrong type records", "sms", br#"{"device_id":"d","batch_id":"b","records":"x"}"#.to_vec()),
        ("record not object", "events", br#"{"device_id":"d","batch_id":"b","records":[1]}"#.to_vec()),
        ("missing batch id", "sms", br#"{"device_id":"d","records":[{"a":1}]}"#.to_vec()),
        ("empty batch id", "sms", br#"{"device_id":"d","batch_id":"","records":[{"a":1}]}"#.to_vec()),
        ("huge id", "sms", format!(r#"{{"device_id":"{long}","batch_id":"b","records":[{{}}]}}"#).into_bytes()),
        (
            "huge field",
            "contacts",
            format!(r#"{{"device_id":"d","batch_id":"b","records":[{{"f":"{huge_field}"}}]}}"#).into_bytes(),
        ),
        ("bad charset id", "sms", br#"{"device_id":"d e","batch_id":"b","records":[{}]}"#.to_vec()),
        ("empty records", "sms", br#"{"device_id":"d","batch_id":"b","records":[]}"#.to_vec()),
        ("unknown kind", "photos", br#"{"device_id":"d","batch_id":"b","records":[{}]}"#.to_vec()),
        ("invalid utf-8", "sms", b"{\"device_id\":\"d\xff\xfe\",\"batch_id\":\"b\",\"records\":[{}]}".to_vec()),
        ("nul in record", "sms", br#"{"device_id":"d","batch_id":"b","records":[{"a":"\u0000"}]}"#.to_vec()),
        ("lone surrogate", "sms", br#"{"device_id":"d","batch_id":"b","records":[{"a":"\ud800"}]}"#.to_vec()),
        (
            "deep nesting",
            "sms",
            format!(
                r#"{{"device_id":"d","batch_id":"b","records":[{{"a":{}1{}}}]}}"#,
                "[".repeat(500),
                "]".repeat(500)
            )
            .into_bytes(),
        ),
        ("too large", "sms", vec![b' '; 300 * 1024]),
        ("too many records", "events", serde_json::to_vec(&upload_body("d", "b", 1001, 10)).unwrap_or_default()),
    ];
    for (name, kind, body) in cases {
        let resp = c
            .post(p.url(&format!("/v1/uploads/{kind}")))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: request failed: {e}"));
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(status.is_client_error(), "{name}: expected 4xx, got {status}: {text}");
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: error body is not JSON ({e}): {text}"));
        assert!(v["error"].is_string() && v["message"].is_string(), "{name}: {text}");
    }
    // Wrong method and unknown route are 4xx as well.
    let r = c.get(p.url("/v1/uploads/sms")).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(r.status().is_client_error(), "GET upload: {}", r.status());
    let r = c.get(p.url("/nope")).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = c.get(p.url("/health")).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .post(p.url("/v1/uploads/sms"))
        .json(&upload_body("dev-1", "batch-ok", 3, 100))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK, "good upload after the corpus");
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["records"], 3);
    assert_eq!(v["topic"], format!("{prefix}sms_batched"));

    let metrics =
        c.get(p.metrics_url()).send().await.unwrap_or_else(|e| panic!("{e}")).text().await.unwrap_or_default();
    assert!(metrics.contains("producer_requests_total"), "{metrics}");
    assert!(!metrics.contains("status=\"500\""), "a 500 was served: {metrics}");

    p.stop().await;
    delete_topics(&stack.kafka(), &topics).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_enforced_and_insights_rows_are_written() {
    let stack = Stack::get();
    let prefix = unique("tauth_");
    let topics = topics_for(&stack, &prefix).await;
    let client_name = unique("client");
    let key = "k-0123456789abcdef-test";
    let mut vars = stack.service_env();
    vars.insert("DI_KAFKA_TOPIC_PREFIX".into(), prefix.clone());
    vars.insert("PRODUCER_API_KEYS".into(), format!("{client_name}:{key}"));
    vars.insert("PRODUCER_INSIGHTS_FLUSH_MS".into(), "200".into());
    let p = start_producer(vars).await;
    let c = http();
    let body = upload_body("dev-1", "b-1", 2, 50);

    let r = c.post(p.url("/v1/uploads/sms")).json(&body).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .post(p.url("/v1/uploads/sms"))
        .header("x-api-key", "wrong-key-wrong-key")
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .post(p.url("/v1/uploads/sms"))
        .header("x-api-key", key)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK);
    let r =
        c.post(p.url("/v1/uploads/events")).bearer_auth(key).json(&body).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK);
    // Health endpoints stay open for load balancers.
    let r = c.get(p.url("/ready")).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);

    let db = stack.pg_client(&stack.pg.database).await;
    eventually(Duration::from_secs(20), "insights rows", || {
        let db = &db;
        let client_name = client_name.clone();
        async move {
            db.query_one(
                "SELECT count(*) FROM api_insights WHERE client = $1 AND status = 200 AND records = 2 AND bytes > 0",
                &[&client_name],
            )
            .await
            .map(|r| r.get::<_, i64>(0) == 2)
            .unwrap_or(false)
        }
    })
    .await;
    p.stop().await;
    delete_topics(&stack.kafka(), &topics).await;
}

/// Kafka unreachable: uploads get 503 with Retry-After (never hang, never
/// 500); a full local queue and the in-flight byte cap answer at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backpressure_and_kafka_down_answer_with_retry_after() {
    let stack = Stack::get();
    let dead = free_port();
    let mut vars = stack.service_env();
    vars.insert("DI_KAFKA_BROKER_ENDPOINT".into(), format!("127.0.0.1:{dead}"));
    vars.insert("PRODUCER_DELIVERY_TIMEOUT_MS".into(), "2000".into());
    vars.insert("PRODUCER_QUEUE_MAX_MESSAGES".into(), "1".into());
    vars.insert("PRODUCER_MAX_BODY_BYTES".into(), (64 * 1024).to_string());
    vars.insert("PRODUCER_MAX_INFLIGHT_BYTES".into(), (64 * 1024).to_string());
    let p = start_producer(vars).await;
    let c = http();

    // First upload occupies the single queue slot until its delivery times out.
    let first = {
        let c = c.clone();
        let url = p.url("/v1/uploads/sms");
        let body = upload_body("d", "b-1", 1, 100);
        tokio::spawn(async move { c.post(url).json(&body).send().await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = c
        .post(p.url("/v1/uploads/sms"))
        .json(&upload_body("d", "b-2", 1, 100))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["error"], "queue_full");

    let started = std::time::Instant::now();
    let r = first.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    assert!(started.elapsed() < Duration::from_secs(10));
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["error"], "kafka_unavailable");

    // In-flight cap: a 40 KiB upload pending, a second one exceeds 64 KiB.
    let first = {
        let c = c.clone();
        let url = p.url("/v1/uploads/contacts");
        let body = upload_body("d", "b-3", 40, 1000);
        tokio::spawn(async move { c.post(url).json(&body).send().await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = c
        .post(p.url("/v1/uploads/contacts"))
        .json(&upload_body("d", "b-4", 40, 1000))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let _ = first.await;

    let r = c.get(p.url("/ready")).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let text = r.text().await.unwrap_or_default();
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(v["kafka"], "unavailable", "{text}");
    assert!(!text.contains(&dead.to_string()), "/ready leaks internal error text: {text}");
    let r = c.get(p.url("/health")).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK);
    p.stop().await;
}

/// SIGTERM: stop accepting, flush, exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_gracefully() {
    let stack = Stack::get();
    let prefix = unique("tterm_");
    let topics = topics_for(&stack, &prefix).await;
    let port = free_port();
    let mut child = ChildGuard(
        std::process::Command::new(env!("CARGO_BIN_EXE_forgectl-producer"))
            .envs(stack.service_env())
            .env("DI_KAFKA_TOPIC_PREFIX", &prefix)
            .env("PRODUCER_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("PRODUCER_METRICS_ADDR", "127.0.0.1:0")
            .env("PRODUCER_API_KEYS", "term:sigterm-test-key-0123456789")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning the producer: {e}")),
    );
    let c = http();
    let base = format!("http://127.0.0.1:{port}");
    eventually(Duration::from_secs(20), "producer to listen", || {
        let c = c.clone();
        let url = format!("{base}/health");
        async move { c.get(url).send().await.map(|r| r.status().is_success()).unwrap_or(false) }
    })
    .await;
    let r = c
        .post(format!("{base}/v1/uploads/sms"))
        .header("x-api-key", "sigterm-test-key-0123456789")
        .json(&upload_body("d", "b", 2, 10))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK);
    let pid = child.id().to_string();
    let ok = std::process::Command::new("kill").args(["-TERM", &pid]).status().map(|s| s.success()).unwrap_or(false);
    assert!(ok, "sending SIGTERM");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap_or(None) {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("producer did not exit within 30s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "exit status {status}");
    delete_topics(&stack.kafka(), &topics).await;
    let _ = json!({});
}
