//! The IncrementalAlterConfigs wrapper against the stack's real Kafka: one
//! request for several topics, per-topic errors, and other overrides kept.
//! Needs `dev/stack up` and `eval "$(dev/stack env)"`.

mod topics_support;

use std::collections::BTreeMap;
use std::time::Duration;

use forgectl::kafka::{incremental_alter_topic_configs, TopicConfigChange};
use rdkafka::error::RDKafkaErrorCode;
use topics_support::*;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

fn change(topic: &str, pairs: &[(&str, &str)]) -> TopicConfigChange {
    TopicConfigChange {
        topic: topic.into(),
        set: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
    }
}

#[test]
fn sets_only_the_given_keys_on_several_topics_in_one_request() {
    let fx = Fixture::new("iac");
    let (a, b) = (fx.topic("a"), fx.topic("b"));
    fx.create_topic(&a, 1);
    fx.create_topic(&b, 1);
    fx.replace_overrides(&a, &[("max.message.bytes", "2000000")]);

    let changes = [
        change(&a, &[("retention.ms", "123456")]),
        change(&b, &[("retention.ms", "654321"), ("cleanup.policy", "compact")]),
    ];
    let outcomes = fx
        .runtime
        .block_on(incremental_alter_topic_configs(&fx.admin, &changes, REQUEST_TIMEOUT))
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");

    let on_a = fx.overrides_when(&a, &[("retention.ms", "123456")]);
    assert_eq!(on_a.get("max.message.bytes").map(String::as_str), Some("2000000"), "not reset, unlike AlterConfigs");
    let on_b = fx.overrides_when(&b, &[("retention.ms", "654321"), ("cleanup.policy", "compact")]);
    assert_eq!(on_b.len(), 2, "{on_b:?}");
}

#[test]
fn failures_are_reported_per_topic() {
    let fx = Fixture::new("iacerr");
    let good = fx.topic("good");
    fx.create_topic(&good, 1);
    let changes =
        [change(&good, &[("retention.ms", "not-a-number")]), change(&fx.topic("absent"), &[("retention.ms", "1000")])];
    let outcomes = fx
        .runtime
        .block_on(incremental_alter_topic_configs(&fx.admin, &changes, REQUEST_TIMEOUT))
        .unwrap_or_else(|err| panic!("{err}"));
    let by_topic: BTreeMap<_, _> = outcomes.into_iter().map(|o| (o.topic, o.result)).collect();
    assert!(matches!(&by_topic[&good], Err((RDKafkaErrorCode::InvalidConfig, _))), "{by_topic:?}");
    assert!(
        matches!(&by_topic[&fx.topic("absent")], Err((RDKafkaErrorCode::UnknownTopicOrPartition, _))),
        "{by_topic:?}"
    );
    assert!(!fx.overrides(&good).contains_key("retention.ms"));
}
