//! `topics lag` and `topics describe` against the stack's real Kafka,
//! checked against offsets and configs set up with an independent client.
//! Needs `dev/stack up` and `eval "$(dev/stack env)"`.

mod topics_support;

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use topics_support::*;

fn kafka() -> Vec<String> {
    vec!["--bootstrap".into(), bootstrap()]
}

#[test]
fn lag_matches_a_group_that_consumed_part_of_a_topic() {
    let fx = Fixture::new("lag");
    fx.json(&kafka(), &["topics", "sync", "--tier", "50k"], 0);
    let sms = fx.topic("sms_batched");
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap_or_else(|err| panic!("producer: {err}"));
    // 10 messages in each of the 8 partitions.
    for partition in 0..8 {
        for n in 0..10 {
            let payload = format!("m{n}");
            producer
                .send(BaseRecord::<(), _>::to(&sms).partition(partition).payload(&payload))
                .unwrap_or_else(|(err, _)| panic!("produce: {err}"));
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap_or_else(|err| panic!("flush: {err}"));

    // The group has consumed 4 of 10 in partitions 0-3 and nothing elsewhere.
    let group = fx.group("sms");
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap_or_else(|err| panic!("consumer: {err}"));
    let mut commits = TopicPartitionList::new();
    for partition in 0..4 {
        commits.add_partition_offset(&sms, partition, Offset::Offset(4)).unwrap_or_else(|err| panic!("{err}"));
    }
    consumer.commit(&commits, CommitMode::Sync).unwrap_or_else(|err| panic!("commit: {err}"));

    let report = fx.json(&kafka(), &["topics", "lag", "--tier", "50k"], 0);
    let groups = report["groups"].as_array().unwrap_or_else(|| panic!("{report}"));
    assert_eq!(groups.len(), 3, "the tier's three groups by default");
    let sms_group = groups.iter().find(|g| g["group"] == group.as_str()).unwrap_or_else(|| panic!("{report}"));
    assert_eq!(sms_group["total_lag"], 4 * 6 + 4 * 10);
    let partitions = sms_group["topics"][0]["partitions"].as_array().unwrap_or_else(|| panic!("{report}"));
    assert_eq!(partitions.len(), 8);
    assert_eq!(partitions[0]["committed"], 4);
    assert_eq!(partitions[0]["high_watermark"], 10);
    assert_eq!(partitions[0]["lag"], 6);
    assert_eq!(partitions[7]["committed"], serde_json::Value::Null);
    assert_eq!(partitions[7]["lag"], 10);

    let one = fx.json(&kafka(), &["topics", "lag", "--tier", "50k", "--group", &group], 0);
    assert_eq!(one["groups"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["groups"][0]["total_lag"], 64);
}

#[test]
fn describe_shows_partitions_isr_and_config_sources() {
    let fx = Fixture::new("describe");
    fx.json(&kafka(), &["topics", "sync", "--tier", "50k"], 0);
    let sms = fx.topic("sms_batched");
    let missing = fx.topic("missing");
    let describe = || fx.json(&kafka(), &["topics", "describe", "--tier", "50k", &sms, &missing], 0);
    let retention_source = |report: &serde_json::Value| {
        report["topics"][0]["configs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == "retention.ms")
            .map(|c| c["source"].clone())
    };
    // On the shared stack a broker may be restarting; give it a moment.
    let mut report = describe();
    for _ in 0..10 {
        if retention_source(&report) == Some("DYNAMIC_TOPIC_CONFIG".into()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        report = describe();
    }
    let topic = &report["topics"][0];
    assert_eq!(topic["name"], sms.as_str());
    assert_eq!(topic["partitions"].as_array().map(Vec::len), Some(8));
    assert_eq!(topic["partitions"][0]["isr"].as_array().map(Vec::len), Some(3));
    assert_eq!(topic["under_replicated"], serde_json::json!([]));
    assert_eq!(retention_source(&report), Some("DYNAMIC_TOPIC_CONFIG".into()), "{report}");
    assert_eq!(report["missing"], serde_json::json!([missing]));
}
