//! The same scenarios through the MSK topic API backend (`--via msk`), against
//! the stack's emulator, whose topic API acts on the real local Kafka. Also
//! `--via kafka`/`auto` on an AWS environment: the cluster is found by name
//! and reached over its TLS listener with the stack's CA.
//! Needs `dev/stack up` and `eval "$(dev/stack env)"`.

mod topics_support;

use topics_support::*;

/// The environment the tests' forgectl.yaml declares; the emulated cluster
/// carries its name and tags so `find_cluster` finds it.
const ENV: &str = MSK_TEST_ENV;

/// An AWS environment in the fixture's directory, pointed at the emulator
/// by AWS_ENDPOINT_URL (from the stack's env), with the stack's CA.
fn with_config(fx: &Fixture) {
    let yaml = format!(
        "environments:\n  {ENV}:\n    provider: aws\n    region: us-east-1\n    tier: 50k\n    client_auth: unauthenticated\n    kafka:\n      ssl_ca_location: \"${{KAFKA_TLS_CA_LOCATION}}\"\n"
    );
    std::fs::write(fx.dir.path().join("forgectl.yaml"), yaml).unwrap_or_else(|err| panic!("{err}"));
}

fn via(backend: &str) -> Vec<String> {
    vec!["--env".into(), ENV.into(), "--via".into(), backend.into()]
}

fn msk() -> Vec<String> {
    let mut args = via("msk");
    args.extend(["--cluster-arn".into(), msk_cluster_arn()]);
    args
}

fn setup(label: &str) -> Fixture {
    msk_cluster_arn();
    let fx = Fixture::new(label);
    with_config(&fx);
    fx
}

#[test]
fn msk_fresh_sync_creates_the_declared_topics_and_a_rerun_only_reads() {
    let fx = setup("mskfresh");
    let report = fx.json(&msk(), &["topics", "sync"], 0);
    assert_eq!(report["backend"], "msk");
    assert_eq!(report["requests"]["writes"], 10, "one CreateTopic per topic (the API has no batch): {report}");
    let topics = fx.topics_when(|t| t.len() == 10);
    assert_eq!(topics.len(), 10, "five topics and their dead-letter topics");
    for (base, expected) in TOPICS.iter().zip(PARTITIONS_50K) {
        let (count, replicas) = &topics[&fx.topic(base)];
        assert_eq!(*count, expected, "{base}");
        assert!(replicas.iter().all(|rf| *rf == 3));
        let name = fx.topic(base);
        assert_eq!(
            fx.overrides_when(&name, &[("retention.ms", "86400000")]).get("retention.ms").map(String::as_str),
            Some("86400000")
        );
    }
    let again = fx.json(&msk(), &["topics", "sync"], 0);
    assert_eq!(again["requests"]["writes"], 0);
    fx.json(&msk(), &["topics", "check"], 0);
}

#[test]
fn msk_scale_up_and_refused_decrease() {
    let fx = setup("mskladder");
    fx.json(&msk(), &["topics", "sync"], 0);
    fx.json(&msk(), &["topics", "sync", "--tier", "100k"], 0);
    let expected: Vec<(String, usize)> = TOPICS.iter().zip(PARTITIONS_100K).map(|(b, n)| (fx.topic(b), n)).collect();
    let topics = fx.topics_when(|t| expected.iter().all(|(name, n)| t.get(name).is_some_and(|(c, _)| c == n)));
    for (base, expected) in TOPICS.iter().zip(PARTITIONS_100K) {
        assert_eq!(topics[&fx.topic(base)].0, expected, "{base}");
    }
    let refused = fx.run(&msk(), &["topics", "sync", "--tier", "50k"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
}

#[test]
fn msk_drift_repair_keeps_other_overrides_and_prune_deletes() {
    let fx = setup("mskdrift");
    fx.json(&msk(), &["topics", "sync"], 0);
    let sms = fx.topic("sms_batched");
    fx.replace_overrides(&sms, &[("retention.ms", "60000"), ("max.message.bytes", "2000000")]);
    fx.json(&msk(), &["topics", "check"], 3);
    fx.json(&msk(), &["topics", "sync"], 0);
    let overrides = fx.overrides_when(&sms, &[("retention.ms", "86400000")]);
    assert_eq!(overrides.get("retention.ms").map(String::as_str), Some("86400000"));
    assert_eq!(overrides.get("max.message.bytes").map(String::as_str), Some("2000000"));

    let legacy = fx.topic("legacy");
    fx.create_topic(&legacy, 1);
    fx.json(&msk(), &["topics", "sync"], 0);
    assert!(fx.topics().contains_key(&legacy));
    fx.json(&msk(), &["topics", "sync", "--prune", "--yes"], 0);
    assert!(!fx.topics_when(|t| !t.contains_key(&legacy)).contains_key(&legacy));
}

#[test]
fn both_backends_produce_the_same_plan() {
    let fx = setup("msksame");
    fx.json(&msk(), &["--india", "topics", "sync"], 0);
    let legacy = fx.topic("legacy");
    fx.create_topic(&legacy, 1);
    let through_msk = fx.json(&msk(), &["topics", "plan", "--tier", "100k"], 0);
    let through_kafka = fx.json(&["--bootstrap".into(), bootstrap()], &["topics", "plan", "--tier", "100k"], 0);
    assert_eq!(through_msk["plan"]["changes"], through_kafka["plan"]["changes"]);
    assert_eq!(
        rows(&through_msk, "create").len(),
        4,
        "the two India topics and their dead-letter topics: {through_msk}"
    );
}

#[test]
fn an_aws_environment_finds_its_cluster_and_reaches_the_brokers_over_tls() {
    let fx = setup("msktls");
    // No --cluster-arn: found by name and tags. --via kafka: GetBootstrapBrokers
    // gives the TLS listeners, verified with the stack's CA.
    let report = fx.json(&via("kafka"), &["topics", "sync"], 0);
    assert_eq!(report["backend"], "kafka");
    let tls = std::env::var("KAFKA_TLS_BOOTSTRAP_SERVERS").unwrap_or_default();
    assert_eq!(report["target"], tls.as_str(), "{report}");
    let auto = fx.json(&via("auto"), &["topics", "check"], 0);
    assert_eq!(auto["backend"], "kafka", "auto uses the brokers when they answer");
    assert_eq!(fx.topics_when(|t| t.len() == 10).len(), 10);
}

#[test]
fn msk_describe_shows_partitions_isr_and_configs() {
    let fx = setup("mskdescribe");
    fx.json(&msk(), &["topics", "sync"], 0);
    let sms = fx.topic("sms_batched");
    let missing = fx.topic("missing");
    let report = fx.json(&msk(), &["topics", "describe", &sms, &missing], 0);
    let topic = &report["topics"][0];
    assert_eq!(topic["name"], sms.as_str());
    assert_eq!(topic["replication_factor"], 3);
    assert_eq!(topic["partitions"].as_array().map(Vec::len), Some(8));
    assert_eq!(topic["partitions"][0]["replicas"].as_array().map(Vec::len), Some(3));
    let retention = topic["configs"].as_array().into_iter().flatten().find(|c| c["name"] == "retention.ms");
    assert_eq!(retention.map(|c| c["value"].clone()), Some("86400000".into()), "{report}");
    assert_eq!(report["missing"], serde_json::json!([missing]));
    assert_eq!(report["brokers"], 3);
}
