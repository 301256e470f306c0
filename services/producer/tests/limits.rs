//! Bounded resources against the real stack: slow clients and many large
//! uploads cannot take the service from anyone else. Assertions are on
//! answers and metrics, never on timings. Requires `dev/stack up`.

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KEY: &str = "limits-test-key-0123456789";
const MIB: usize = 1024 * 1024;

async fn start(stack: &Stack, prefix: &str, extra: &[(&str, String)]) -> forgectl_producer::testkit::RunningProducer {
    let mut vars = stack.service_env();
    vars.insert("DI_KAFKA_TOPIC_PREFIX".into(), prefix.into());
    vars.insert("PRODUCER_API_KEYS".into(), format!("limits:{KEY}"));
    for (k, v) in extra {
        vars.insert((*k).into(), v.clone());
    }
    start_producer(vars).await
}

/// A client that declares a large body, sends its first bytes and then
/// stalls: the slow-loris pattern.
async fn slow_client(addr: std::net::SocketAddr, declared: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("connect: {e}"));
    let head = format!(
        "POST /v1/uploads/sms HTTP/1.1\r\nHost: t\r\nX-Api-Key: {KEY}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n{{\"device_id\":"
    );
    s.write_all(head.as_bytes()).await.unwrap_or_else(|e| panic!("write: {e}"));
    s
}

/// The status line the server finally sends a stalled client.
async fn final_status(mut s: TcpStream) -> String {
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(60), s.read(&mut buf)).await.ok().and_then(Result::ok);
    String::from_utf8_lossy(&buf[..n.unwrap_or(0)]).lines().next().unwrap_or_default().to_string()
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))?.rsplit(' ').next()?.parse().ok()
}

/// One test, two scenarios in turn: the gauges are process-wide, so two
/// producers in one test binary must not run at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_large_uploads_are_bounded() {
    slow_clients_cannot_starve_others().await;
    concurrent_large_uploads_stay_within_the_budget().await;
}

async fn slow_clients_cannot_starve_others() {
    let stack = Stack::get();
    let prefix = unique("tslow_");
    let (topics, _) = prefixed_topics(&prefix);
    create_topics(&stack.kafka(), &topics, 1).await;
    let p = start(
        &stack,
        &prefix,
        &[
            ("PRODUCER_MAX_CONCURRENT_UPLOADS", "4".into()),
            ("PRODUCER_MAX_INFLIGHT_BYTES", (9 * MIB).to_string()),
            ("PRODUCER_DELIVERY_TIMEOUT_MS", "2000".into()),
            ("PRODUCER_REQUEST_TIMEOUT_MS", "8000".into()),
        ],
    )
    .await;
    let c = http();

    // Two stalled 4 MiB uploads reserve 8 of the 9 MiB budget up front.
    let mut slow = vec![slow_client(p.addr, 4 * MIB).await, slow_client(p.addr, 4 * MIB).await];
    let metrics_url = p.metrics_url();
    eventually(Duration::from_secs(10), "the budget to be reserved", || {
        let (c, url) = (c.clone(), metrics_url.clone());
        async move {
            let text = c.get(url).send().await.ok();
            let text = match text {
                Some(r) => r.text().await.unwrap_or_default(),
                None => String::new(),
            };
            metric(&text, "producer_inflight_bytes") == Some((8 * MIB) as f64)
        }
    })
    .await;
    let upload = |batch: &str, records: usize, size: usize| {
        c.post(p.url("/v1/uploads/sms")).header("x-api-key", KEY).json(&upload_body("d", batch, records, size))
    };
    let r = upload("while-budget-held", 40, 50_000).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "a 2 MB upload while 1 MiB of budget is left");
    assert!(r.headers().contains_key("retry-after"));

    // Two more stalled clients (small declared size) take the last slots.
    slow.push(slow_client(p.addr, 1024).await);
    slow.push(slow_client(p.addr, 1024).await);
    let metrics_url = p.metrics_url();
    eventually(Duration::from_secs(10), "every upload slot to be taken", || {
        let (c, url) = (c.clone(), metrics_url.clone());
        async move {
            let text = match c.get(url).send().await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            metric(&text, "producer_uploads_in_progress") == Some(4.0)
        }
    })
    .await;
    let r = upload("while-slots-held", 2, 50).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    assert_eq!(body["error"], "busy");
    // The load balancer's checks are never queued behind uploads.
    assert_eq!(c.get(p.url("/health")).send().await.map(|r| r.status()).ok(), Some(StatusCode::OK));
    assert_eq!(c.get(p.url("/ready")).send().await.map(|r| r.status()).ok(), Some(StatusCode::OK));

    // The request deadline ends every stalled upload with 408, and its slot
    // and budget come back.
    for s in slow {
        let status = final_status(s).await;
        assert!(status.contains("408"), "stalled client got {status:?}");
    }
    let r = upload("after-deadline", 2, 50).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), StatusCode::OK);
    let text = c.get(p.metrics_url()).send().await.unwrap_or_else(|e| panic!("{e}")).text().await.unwrap_or_default();
    assert!(metric(&text, "producer_inflight_bytes_peak").is_some_and(|peak| peak <= (9 * MIB) as f64), "{text}");
    assert!(metric(&text, "producer_request_timeouts_total").is_some_and(|n| n >= 4.0), "{text}");
    p.stop().await;
    delete_topics(&stack.kafka(), &topics).await;
}

async fn concurrent_large_uploads_stay_within_the_budget() {
    let stack = Stack::get();
    let prefix = unique("tbig_");
    let (topics, _) = prefixed_topics(&prefix);
    create_topics(&stack.kafka(), &topics, 3).await;
    let budget = 6 * MIB;
    let p = start(
        &stack,
        &prefix,
        &[("PRODUCER_MAX_INFLIGHT_BYTES", budget.to_string()), ("PRODUCER_MAX_CONCURRENT_UPLOADS", "16".into())],
    )
    .await;
    let c = http();
    // 48 uploads of about 1 MiB at once: far more than budget and slots.
    let big = upload_body("d", "big", 200, 5000);
    let tasks: Vec<_> = (0..48)
        .map(|i| {
            let (c, url) = (c.clone(), p.url("/v1/uploads/contacts"));
            let mut body = big.clone();
            body["batch_id"] = format!("big-{i}").into();
            tokio::spawn(async move {
                let r = c.post(url).header("x-api-key", KEY).json(&body).send().await;
                r.map(|r| (r.status(), r.headers().contains_key("retry-after")))
            })
        })
        .collect();
    // Meanwhile the health checks keep answering. They come on connections of
    // their own, as a load balancer's do: a pooled connection the server is
    // closing after a refused upload would fail any request sent on it.
    let checker = http();
    for _ in 0..5 {
        let r = checker.get(p.url("/health")).send().await.map(|r| r.status()).ok();
        assert_eq!(r, Some(StatusCode::OK));
    }
    let (mut accepted, mut refused) = (0, 0);
    for t in tasks {
        // A refusal is answered before the body is read and the connection
        // closed, so a client still sending may see the close instead of the
        // status (one that sends `Expect: 100-continue` gets the status).
        let Ok((status, retry_after)) = t.await.unwrap_or_else(|e| panic!("{e}")) else {
            refused += 1;
            continue;
        };
        match status {
            StatusCode::OK => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                assert!(retry_after, "{status}");
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(accepted > 0 && refused > 0, "accepted {accepted}, refused {refused}: the budget never applied");
    let text = c.get(p.metrics_url()).send().await.unwrap_or_else(|e| panic!("{e}")).text().await.unwrap_or_default();
    let peak = metric(&text, "producer_inflight_bytes_peak").unwrap_or(f64::MAX);
    assert!(peak <= budget as f64 && peak > 0.0, "peak {peak} vs budget {budget}");
    p.stop().await;
    delete_topics(&stack.kafka(), &topics).await;
}
