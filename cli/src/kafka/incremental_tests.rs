//! The wrapper without a cluster: input validation, and a request to a
//! cluster that is not there.

use super::*;
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;

fn change(topic: &str, pairs: &[(&str, &str)]) -> TopicConfigChange {
    TopicConfigChange { topic: topic.into(), set: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
}

/// A client pointed at a port nothing listens on: requests can be built
/// and sent, and time out.
fn unreachable_client() -> AdminClient<DefaultClientContext> {
    ClientConfig::new()
        .set("bootstrap.servers", "127.0.0.1:1")
        .set("log_level", "0")
        .create()
        .unwrap_or_else(|err| panic!("admin client: {err}"))
}

#[test]
fn bad_input_never_reaches_librdkafka() {
    assert!(matches!(
        NativeRequest::build(&[change("", &[("a", "1")])]),
        Err(KafkaError::InvalidInput { what: "topic", .. })
    ));
    assert!(matches!(NativeRequest::build(&[change("t", &[])]), Err(KafkaError::InvalidInput { what: "configs", .. })));
    assert!(matches!(
        NativeRequest::build(&[change("t", &[("a", "1")]), change("t", &[("b", "2")])]),
        Err(KafkaError::InvalidInput { what: "topic", .. })
    ));
    assert!(matches!(
        NativeRequest::build(&[change("t", &[("a", "x\0y")])]),
        Err(KafkaError::InvalidInput { what: "config value", .. })
    ));
}

#[test]
fn builds_one_resource_per_topic() {
    let request = NativeRequest::build(&[
        change("a", &[("retention.ms", "1"), ("cleanup.policy", "delete")]),
        change("b", &[("x", "y")]),
    ])
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(request.pointers().len(), 2);
}

#[tokio::test]
async fn empty_request_sends_nothing() {
    let client = unreachable_client();
    let outcomes = incremental_alter_topic_configs(&client, &[], Duration::from_millis(10)).await;
    assert!(matches!(outcomes, Ok(ref list) if list.is_empty()));
}

#[tokio::test]
async fn unreachable_cluster_is_a_timeout_error_not_a_hang() {
    let client = unreachable_client();
    let started = Instant::now();
    let result = incremental_alter_topic_configs(
        &client,
        &[change("t", &[("retention.ms", "1000")])],
        Duration::from_millis(500),
    )
    .await;
    let err = match result {
        Err(err) => err,
        Ok(outcomes) => panic!("expected a timeout, got {outcomes:?}"),
    };
    assert!(err.to_string().contains("TimedOut") || err.to_string().contains("time"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}
