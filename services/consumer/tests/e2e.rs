//! End-to-end: HTTP uploads through the producer API and Kafka (3 brokers,
//! RF 3) into PostgreSQL via the consumer. Requires `dev/stack up`.

mod support;

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Message;
use support::*;

const WAIT: Duration = Duration::from_secs(60);

/// Issue test 1: N uploads of every kind give exactly N x records rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_of_every_kind_give_exactly_n_times_records_rows() {
    let mut fx = Fixture::new("e2e1", 3).await;
    let group = fx.group("all");
    let consumer = start_consumer(&consumer_vars(&fx.stack.service_env(), &fx.topics, &group));
    let p = start_producer(fx.producer_vars()).await;
    let c = http();
    const N: usize = 15;
    let mut tasks = Vec::new();
    for kind in Kind::ALL {
        let (c, base) = (c.clone(), p.base.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..N {
                let body = upload_body(&format!("dev-{}", i % 4), &format!("{kind}-{i}"), records_for(kind), 120);
                upload(&c, &base, kind, &body).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap_or_else(|e| panic!("{e}"));
    }
    let db = fx.db().await;
    for kind in Kind::ALL {
        wait_rows(&db, &fx.topic(kind), (N * records_for(kind)) as i64, WAIT).await;
    }
    // Each row's record is the uploaded JSON, and its key parts are right.
    let table = forgectl_consumer::schema::table_name(&fx.topic(Kind::Sms));
    let row = db
        .query_one(&format!("SELECT record->>'i', kind, record_index FROM \"{table}\" WHERE batch_id = 'sms-3' AND record_index = 5"), &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("5"));
    assert_eq!(row.get::<_, String>(1), "sms");
    consumer.stop().await;
    p.stop().await;
    fx.teardown().await;
}

/// Issue test 2: re-sending the same batches adds no rows (and the resent
/// messages really were consumed: the stored offsets moved past them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resending_the_same_batches_adds_no_rows() {
    let mut fx = Fixture::new("e2e2", 2).await;
    let group = fx.group("all");
    let consumer = start_consumer(&consumer_vars(&fx.stack.service_env(), &fx.topics, &group));
    let p = start_producer(fx.producer_vars()).await;
    let c = http();
    const N: usize = 10;
    let kinds = [Kind::Sms, Kind::Events];
    for round in 0..2 {
        for kind in kinds {
            for i in 0..N {
                let body = upload_body("dev-a", &format!("b-{i}"), records_for(kind), 80);
                upload(&c, &p.base, kind, &body).await;
            }
        }
        let db = fx.db().await;
        for kind in kinds {
            wait_rows(&db, &fx.topic(kind), (N * records_for(kind)) as i64, WAIT).await;
        }
        if round == 1 {
            // All 2N messages per topic consumed, still N x records rows.
            eventually(WAIT, "offsets past the resent messages", || {
                let (db, group) = (&db, group.clone());
                async move {
                    db.query_one(
                        "SELECT coalesce(sum(next_offset), 0)::bigint FROM forgectl_consumer_offsets WHERE consumer_group = $1",
                        &[&group],
                    )
                    .await
                    .map(|r| r.get::<_, i64>(0) == (2 * N * kinds.len()) as i64)
                    .unwrap_or(false)
                }
            })
            .await;
            for kind in kinds {
                assert_eq!(count_rows(&db, &fx.topic(kind)).await, (N * records_for(kind)) as i64);
            }
        }
    }
    consumer.stop().await;
    p.stop().await;
    fx.teardown().await;
}

/// Issue test 7: a poison message goes to the DLQ with its headers, and the
/// messages after it are written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_message_goes_to_dlq_and_partition_keeps_moving() {
    let mut fx = Fixture::new("e2e7", 1).await;
    let group = fx.group("sms");
    let sms = fx.topic(Kind::Sms);
    let p = start_producer(fx.producer_vars()).await;
    let c = http();
    upload(&c, &p.base, Kind::Sms, &upload_body("d", "before", 5, 50)).await;
    let raw: FutureProducer = fx.stack.kafka().client_config().create().unwrap_or_else(|e| panic!("{e}"));
    let headers = OwnedHeaders::new().insert(Header { key: "batch-id", value: Some("poison-1") });
    raw.send(
        FutureRecord::to(&sms).key("d").payload("{this is not an envelope").headers(headers),
        Duration::from_secs(10),
    )
    .await
    .unwrap_or_else(|(e, _)| panic!("producing the poison message: {e}"));
    raw.send(FutureRecord::<str, str>::to(&sms).key("d"), Duration::from_secs(10))
        .await
        .unwrap_or_else(|(e, _)| panic!("producing the empty message: {e}"));
    for i in 0..3 {
        upload(&c, &p.base, Kind::Sms, &upload_body("d", &format!("after-{i}"), 5, 50)).await;
    }
    let consumer = start_consumer(&consumer_vars(&fx.stack.service_env(), std::slice::from_ref(&sms), &group));
    let db = fx.db().await;
    wait_rows(&db, &sms, 20, WAIT).await;

    let dlq: BaseConsumer = {
        let mut cfg = fx.stack.kafka().client_config();
        cfg.set("group.id", format!("{}dlq-reader", fx.prefix)).set("auto.offset.reset", "earliest");
        cfg.create().unwrap_or_else(|e| panic!("{e}"))
    };
    dlq.subscribe(&[&format!("{sms}.dlq")]).unwrap_or_else(|e| panic!("{e}"));
    let mut letters = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while letters.len() < 2 && std::time::Instant::now() < deadline {
        if let Some(Ok(m)) = dlq.poll(Duration::from_millis(500)) {
            let hs: Vec<(String, String)> = m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_string(), String::from_utf8_lossy(h.value.unwrap_or_default()).to_string()))
                        .collect()
                })
                .unwrap_or_default();
            letters.push((m.payload().map(|p| p.to_vec()), hs));
        }
    }
    assert_eq!(letters.len(), 2, "two dead letters expected");
    let (payload, hs) = &letters[0];
    assert_eq!(payload.as_deref(), Some(&b"{this is not an envelope"[..]));
    let get = |k: &str| hs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("dlq.source.topic").as_deref(), Some(sms.as_str()));
    assert_eq!(get("dlq.source.partition").as_deref(), Some("0"));
    assert_eq!(get("dlq.source.offset").as_deref(), Some("1"));
    assert!(get("dlq.error").is_some_and(|e| e.contains("not a valid envelope")), "{hs:?}");
    assert_eq!(get("batch-id").as_deref(), Some("poison-1"));
    assert!(letters[1].1.iter().any(|(k, v)| k == "dlq.error" && v.contains("no value")));
    drop(dlq);
    consumer.stop().await;
    p.stop().await;
    fx.teardown().await;
}

/// Issue test 8: the seeds' three-consumer split (sms, events, common) side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_consumer_split_from_the_seeds() {
    let mut fx = Fixture::new("e2e8", 2).await;
    let env = fx.stack.service_env();
    let common: Vec<String> =
        [Kind::AppsAndDevice, Kind::Contacts, Kind::CallLogs].iter().map(|k| fx.topic(*k)).collect();
    let split = [
        (vec![fx.topic(Kind::Sms)], fx.group("sms-consumer-group")),
        (vec![fx.topic(Kind::Events)], fx.group("events-consumer-group")),
        (common, fx.group("common-consumer-group")),
    ];
    let consumers: Vec<ConsumerProc> = split.iter().map(|(t, g)| start_consumer(&consumer_vars(&env, t, g))).collect();
    let p = start_producer(fx.producer_vars()).await;
    let c = http();
    const N: usize = 8;
    for i in 0..N {
        for kind in Kind::ALL {
            upload(&c, &p.base, kind, &upload_body(&format!("d{i}"), &format!("b{i}"), records_for(kind), 100)).await;
        }
    }
    let db = fx.db().await;
    for kind in Kind::ALL {
        wait_rows(&db, &fx.topic(kind), (N * records_for(kind)) as i64, WAIT).await;
    }
    // Each group stored offsets only for its own topics.
    for (topics, group) in &split {
        let rows = db
            .query("SELECT DISTINCT topic FROM forgectl_consumer_offsets WHERE consumer_group = $1", &[group])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut got: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        got.sort();
        let mut want = topics.clone();
        want.sort();
        assert_eq!(got, want, "offsets of {group}");
    }
    for c in consumers {
        c.stop().await;
    }
    p.stop().await;
    fx.teardown().await;
}

/// Both services over the stack's TLS listener (MSK's default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_services_work_over_tls() {
    let mut fx = Fixture::new("e2etls", 1).await;
    let group = fx.group("tls");
    let tls_env = fx.stack.service_env_tls();
    let topics = vec![fx.topic(Kind::Sms), fx.topic(Kind::Events)];
    let consumer = start_consumer(&consumer_vars(&tls_env, &topics, &group));
    let mut pvars = tls_env.clone();
    pvars.insert("DI_KAFKA_TOPIC_PREFIX".into(), fx.prefix.clone());
    let p = start_producer(pvars).await;
    let c = http();
    let ready = c.get(format!("{}/ready", p.base)).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(ready.status().is_success(), "producer not ready over TLS: {:?}", ready.text().await);
    for i in 0..5 {
        upload(&c, &p.base, Kind::Sms, &upload_body("d", &format!("s{i}"), 4, 50)).await;
        upload(&c, &p.base, Kind::Events, &upload_body("d", &format!("e{i}"), 3, 50)).await;
    }
    let db = fx.db().await;
    wait_rows(&db, &fx.topic(Kind::Sms), 20, WAIT).await;
    wait_rows(&db, &fx.topic(Kind::Events), 15, WAIT).await;
    consumer.stop().await;
    p.stop().await;
    fx.teardown().await;
}
