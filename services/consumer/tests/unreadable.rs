//! Messages the consumer cannot read (a header key that is not UTF-8, no
//! value, binary junk, an oversized value), produced with rdkafka directly
//! on the real stack: each is dead-lettered, nothing crashes, and the
//! partition keeps moving. A missing dead-letter topic makes the consumer
//! not ready, with the reason, until the topic exists. Requires `dev/stack up`.

mod support;

use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{BorrowedHeaders, Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Message;
use serde_json::Value;
use support::*;

/// A dead letter as read back: its value and its headers (key, raw value).
type DeadLetter = (Option<Vec<u8>>, Vec<(String, Vec<u8>)>);

const WAIT: Duration = Duration::from_secs(60);

/// Headers with a key that is not UTF-8, which `OwnedHeaders::insert`
/// cannot express: appended through librdkafka's own call.
fn headers_with_raw_key(key: &[u8], value: &[u8]) -> OwnedHeaders {
    let headers = OwnedHeaders::new().insert(Header { key: "batch-id", value: Some("raw-key") });
    // SAFETY: `as_borrowed` is rdkafka's zero-sized view whose address is the
    // native headers pointer, owned by `headers` and alive for this call;
    // librdkafka copies name and value.
    let native = headers.as_borrowed() as *const BorrowedHeaders as *mut rd::rd_kafka_headers_t;
    let err = unsafe {
        rd::rd_kafka_header_add(
            native,
            key.as_ptr().cast(),
            key.len() as isize,
            value.as_ptr().cast(),
            value.len() as isize,
        )
    };
    assert_eq!(err, rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR);
    headers
}

async fn produce(raw: &FutureProducer, record: FutureRecord<'_, [u8], [u8]>) {
    raw.send(record, Duration::from_secs(10)).await.unwrap_or_else(|(e, _)| panic!("producing: {e}"));
}

async fn ready(c: &reqwest::Client, port: u16) -> (u16, Value) {
    match c.get(format!("http://127.0.0.1:{port}/ready")).send().await {
        Ok(r) => (r.status().as_u16(), r.json().await.unwrap_or_default()),
        Err(_) => (0, Value::Null),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_messages_are_dead_lettered_and_never_crash() {
    let mut fx = Fixture::new("unread", 1).await;
    let group = fx.group("sms");
    let sms = fx.topic(Kind::Sms);
    let p = start_producer(fx.producer_vars()).await;
    let c = http();
    let raw: FutureProducer = fx.stack.kafka().client_config().create().unwrap_or_else(|e| panic!("{e}"));
    produce(
        &raw,
        FutureRecord::to(&sms)
            .key(&b"d"[..])
            .payload(&b"{junk"[..])
            .headers(headers_with_raw_key(b"bad-\xff\xfe-key", b"v")),
    )
    .await;
    produce(&raw, FutureRecord::to(&sms).key(&b"d"[..]).headers(headers_with_raw_key(b"\xc3\x28", b""))).await;
    produce(&raw, FutureRecord::to(&sms).key(&b"\x00\xff"[..]).payload(&[0u8, 159, 146, 150, 255, 1][..])).await;
    // A real envelope, through the API, above the consumer's limit below.
    upload(&c, &p.base, Kind::Sms, &upload_body("d", "oversized", 10, 600)).await;
    for i in 0..3 {
        upload(&c, &p.base, Kind::Sms, &upload_body("d", &format!("after-{i}"), 5, 50)).await;
    }
    let metrics_port = free_port();
    let mut vars = consumer_vars(&fx.stack.service_env(), std::slice::from_ref(&sms), &group);
    vars.insert("CONSUMER_MAX_MESSAGE_BYTES".into(), "4096".into());
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{metrics_port}"));
    let consumer = start_consumer(&vars);
    let db = fx.db().await;
    wait_rows(&db, &sms, 15, WAIT).await;

    let dlq: BaseConsumer = {
        let mut cfg = fx.stack.kafka().client_config();
        cfg.set("group.id", format!("{}dlq-reader", fx.prefix)).set("auto.offset.reset", "earliest");
        cfg.create().unwrap_or_else(|e| panic!("{e}"))
    };
    dlq.subscribe(&[&format!("{sms}.dlq")]).unwrap_or_else(|e| panic!("{e}"));
    let mut letters: Vec<DeadLetter> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while letters.len() < 4 && std::time::Instant::now() < deadline {
        if let Some(Ok(m)) = dlq.poll(Duration::from_millis(500)) {
            let hs = m.headers().map(forgectl_consumer::dlq::raw_headers).unwrap_or_default();
            letters.push((m.payload().map(<[u8]>::to_vec), hs));
        }
    }
    assert_eq!(letters.len(), 4, "four dead letters expected: {letters:?}");
    let header = |i: usize, k: &str| {
        letters[i].1.iter().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    assert!(letters[0].1.iter().any(|(k, _)| k == "bad-\u{fffd}\u{fffd}-key"), "{:?}", letters[0].1);
    assert_eq!(letters[0].0.as_deref(), Some(&b"{junk"[..]));
    assert!(header(1, "dlq.error").is_some_and(|e| e.contains("no value")));
    assert_eq!(letters[2].0.as_deref(), Some(&[0u8, 159, 146, 150, 255, 1][..]));
    assert!(header(3, "dlq.error").is_some_and(|e| e.contains("exceeds")), "{:?}", letters[3].1);
    assert!(letters[3].0.is_none(), "an oversized value is not copied into the dead letter");
    assert!(header(3, "dlq.original.size").is_some());
    assert_eq!(header(3, "dlq.source.offset").as_deref(), Some("3"));
    let (status, body) = ready(&c, metrics_port).await;
    assert_eq!(status, 200, "{body}");
    drop(dlq);
    consumer.stop().await;
    p.stop().await;
    fx.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_dead_letter_topic_makes_the_consumer_not_ready_with_the_reason() {
    let mut fx = Fixture::new("nodlq", 1).await;
    let group = fx.group("sms");
    let sms = fx.topic(Kind::Sms);
    // The profile's suffix reaches the consumer; no topic has this one yet.
    let suffix = ".undelivered";
    let missing = format!("{sms}{suffix}");
    let raw: FutureProducer = fx.stack.kafka().client_config().create().unwrap_or_else(|e| panic!("{e}"));
    produce(&raw, FutureRecord::to(&sms).key(&b"d"[..]).payload(&b"not an envelope"[..])).await;
    let metrics_port = free_port();
    let mut vars = consumer_vars(&fx.stack.service_env(), std::slice::from_ref(&sms), &group);
    vars.insert("KAFKA_DEAD_LETTER_SUFFIX".into(), suffix.into());
    vars.insert("CONSUMER_METRICS_ADDR".into(), format!("127.0.0.1:{metrics_port}"));
    let consumer = start_consumer(&vars);
    let c = http();
    let last = std::sync::Arc::new(std::sync::Mutex::new(Value::Null));
    eventually(WAIT, "the consumer to report the missing dead-letter topic", || {
        let (c, missing, last) = (c.clone(), missing.clone(), last.clone());
        async move {
            let (status, body) = ready(&c, metrics_port).await;
            let blocked = status == 503
                && body["reason"].as_str().is_some_and(|r| r.contains(&missing) && r.contains("does not exist"));
            if let Ok(mut last) = last.lock() {
                *last = body;
            }
            blocked
        }
    })
    .await;
    let body = last.lock().map(|b| b.clone()).unwrap_or_default();
    assert_eq!(body["consumer"], "blocked", "{body}");

    // Once the topic exists the dead letter goes out and the consumer is ready.
    create_topics(&fx.stack.kafka(), std::slice::from_ref(&missing), 1).await;
    eventually(WAIT, "the consumer to become ready again", || {
        let c = c.clone();
        async move { ready(&c, metrics_port).await.0 == 200 }
    })
    .await;
    consumer.stop().await;
    delete_topics(&fx.stack.kafka(), &[missing]).await;
    fx.teardown().await;
}
