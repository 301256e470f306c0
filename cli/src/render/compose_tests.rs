//! The compose file's structure, read back as docker compose reads it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

fn topic(name: &str, partitions: u32) -> TopicSpec {
    TopicSpec {
        name: name.into(),
        partitions,
        replication_factor: 3,
        configs: BTreeMap::from([("retention.ms".to_string(), "86400000".to_string())]),
    }
}

fn parsed(input: &ComposeInput) -> Value {
    let text = serde_norway::to_string(&compose_file(input)).unwrap_or_else(|err| panic!("{err}"));
    serde_norway::from_str(&text).unwrap_or_else(|err| panic!("{err}\n{text}"))
}

fn input(value: &str) -> ComposeInput {
    ComposeInput {
        name_prefix: "forgectl-dev".into(),
        topics: vec![topic("sms_batched", 8), topic("sms_batched.dlq", 1)],
        has_mongodb: false,
        roles: vec![
            ComposeRole { role: RoleName::Producer, image: "p:v1".into(), replicas: 2, vars: Vec::new() },
            ComposeRole {
                role: RoleName::SmsConsumer,
                image: "c:v1".into(),
                replicas: 1,
                vars: vec![EnvVar { name: "DI_POSTGRES_DATABASE".into(), value: value.into(), secret: false }],
            },
        ],
    }
}

#[test]
fn every_topic_is_created_and_a_failure_stops_the_script() {
    let compose = parsed(&input("db"));
    let script = compose["services"]["topics"]["command"][0].as_str().unwrap_or_default();
    assert!(script.starts_with("set -e\n"), "{script}");
    for expected in ["--topic sms_batched --partitions 8", "--topic sms_batched.dlq --partitions 1"] {
        assert!(script.contains(expected), "{expected}: {script}");
    }
    assert_eq!(compose["services"]["producer"]["ports"][0], "8000-8001:8000");
    assert!(compose["services"]["mongodb"].is_null());
}

#[test]
fn an_unusual_topic_name_is_quoted_for_the_shell() {
    let mut input = input("db");
    input.topics = vec![topic("odd name'; rm -rf /", 1)];
    let compose = parsed(&input);
    let script = compose["services"]["topics"]["command"][0].as_str().unwrap_or_default();
    assert!(script.contains(r"--topic 'odd name'\''; rm -rf /'"), "{script}");
}

#[test]
fn quotes_colons_and_line_breaks_round_trip() {
    let awkward = "db \"main\": one\nand: two # not a comment";
    let compose = parsed(&input(awkward));
    assert_eq!(compose["services"]["sms-consumer"]["environment"]["DI_POSTGRES_DATABASE"], awkward);
}
