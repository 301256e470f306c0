//! `forgectl topics …` against the local stack's real 3-broker Kafka, through
//! the Kafka admin protocol backend. Every result is checked with an
//! independent rdkafka client. Needs `dev/stack up` and `eval "$(dev/stack env)"`.

mod topics_support;

use topics_support::*;

fn kafka() -> Vec<String> {
    vec!["--bootstrap".into(), bootstrap()]
}

/// The five tier topics with `partitions`, and their dead-letter topics.
fn assert_tier(fx: &Fixture, partitions: [usize; 5]) {
    let mut expected: Vec<(String, usize)> =
        TOPICS.iter().zip(partitions).map(|(base, n)| (fx.topic(base), n)).collect();
    expected.extend(TOPICS.iter().map(|base| (format!("{}{DLQ_SUFFIX}", fx.topic(base)), DLQ_PARTITIONS)));
    let topics =
        fx.topics_when(|t| t.len() == 10 && expected.iter().all(|(name, n)| t.get(name).is_some_and(|(c, _)| c == n)));
    assert_eq!(topics.len(), 10, "exactly the declared topics: {topics:?}");
    for (name, expected) in &expected {
        let (count, replicas) = &topics[name];
        assert_eq!(count, expected, "{name} partitions");
        assert!(replicas.iter().all(|rf| *rf == 3), "{name} RF 3 on every partition: {replicas:?}");
    }
}

#[test]
fn fresh_sync_creates_the_declared_topics_in_one_request_and_a_rerun_only_reads() {
    let fx = Fixture::new("fresh");
    let report = fx.json(&kafka(), &["topics", "sync", "--tier", "50k"], 0);
    assert_eq!(report["backend"], "kafka");
    assert_eq!(report["applied"].as_array().map(Vec::len), Some(10));
    assert_eq!(report["requests"]["writes"], 1, "one CreateTopics for all ten: {report}");
    assert_tier(&fx, PARTITIONS_50K);
    for base in TOPICS {
        assert_eq!(fx.overrides(&fx.topic(base)).get("retention.ms").map(String::as_str), Some("86400000"), "{base}");
        let dlq = format!("{}{DLQ_SUFFIX}", fx.topic(base));
        assert_eq!(fx.overrides(&dlq).get("retention.ms").map(String::as_str), Some(DLQ_RETENTION_MS), "{dlq}");
    }

    let again = fx.json(&kafka(), &["topics", "sync", "--tier", "50k"], 0);
    assert_eq!(again["applied"], serde_json::json!([]));
    assert_eq!(again["requests"]["writes"], 0, "a no-op sync sends nothing but reads");
    // One Metadata, then each of the 3 brokers' Metadata and DescribeConfigs:
    // a read every broker agrees on (see the next test).
    assert_eq!(again["requests"]["reads"], 7, "1 + 2 per broker: {again}");
    let check = fx.json(&kafka(), &["topics", "check", "--tier", "50k"], 0);
    assert_eq!(check["in_sync"], true);
}

#[test]
fn scale_up_raises_partitions_and_a_decrease_is_refused_with_exit_2() {
    let fx = Fixture::new("ladder");
    fx.json(&kafka(), &["topics", "sync", "--tier", "50k"], 0);
    let plan = fx.json(&kafka(), &["topics", "plan", "--tier", "100k"], 0);
    assert_eq!(rows(&plan, "increase_partitions").len(), 5);
    assert!(plan["plan"]["warnings"]
        .as_array()
        .is_some_and(|w| w.iter().any(|w| w.as_str().is_some_and(|w| w.contains("ordering")))));

    let report = fx.json(&kafka(), &["topics", "sync", "--tier", "100k"], 0);
    assert_eq!(report["requests"]["writes"], 1, "one CreatePartitions for all: {report}");
    assert_tier(&fx, PARTITIONS_100K);

    let refused = fx.run(&kafka(), &["topics", "sync", "--tier", "50k"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("cannot remove partitions"), "{}", stderr(&refused));
    assert_eq!(fx.run(&kafka(), &["topics", "plan", "--tier", "50k"]).status.code(), Some(2));
    assert_eq!(fx.run(&kafka(), &["topics", "check", "--tier", "50k"]).status.code(), Some(3));
    assert_tier(&fx, PARTITIONS_100K);
}

#[test]
fn drift_is_detected_and_repaired_and_other_overrides_survive() {
    let fx = Fixture::new("drift");
    fx.json(&kafka(), &["topics", "sync", "--tier", "50k"], 0);
    let sms = fx.topic("sms_batched");
    fx.replace_overrides(&sms, &[("retention.ms", "60000"), ("max.message.bytes", "2000000")]);

    let check = fx.json(&kafka(), &["topics", "check", "--tier", "50k"], 3);
    let drift = rows(&check, "set_configs");
    assert_eq!(drift.len(), 1, "{check}");
    assert_eq!(drift[0]["field"], "config:retention.ms");
    assert_eq!(drift[0]["current"], "60000");

    let report = fx.json(&kafka(), &["topics", "sync", "--tier", "50k"], 0);
    assert_eq!(report["requests"]["writes"], 1, "one IncrementalAlterConfigs: {report}");
    let overrides = fx.overrides(&sms);
    assert_eq!(overrides.get("retention.ms").map(String::as_str), Some("86400000"));
    assert_eq!(overrides.get("max.message.bytes").map(String::as_str), Some("2000000"), "unrelated override kept");
    fx.json(&kafka(), &["topics", "check", "--tier", "50k"], 0);
}

#[test]
fn unmanaged_topics_survive_sync_and_prune_deletes_them_only_with_yes() {
    let fx = Fixture::new("prune");
    let legacy = fx.topic("legacy");
    fx.create_topic(&legacy, 1);
    let report = fx.json(&kafka(), &["topics", "sync", "--tier", "50k"], 0);
    assert!(rows(&report, "unmanaged").iter().any(|r| r["topic"] == legacy.as_str()), "{report}");
    assert!(fx.topics().contains_key(&legacy), "unmanaged topic left alone");

    // No terminal and no --yes: refused, nothing deleted.
    let unconfirmed = fx.run(&kafka(), &["topics", "sync", "--tier", "50k", "--prune"]);
    assert_eq!(unconfirmed.status.code(), Some(2), "{}", stderr(&unconfirmed));
    assert!(fx.topics().contains_key(&legacy));

    let pruned = fx.json(&kafka(), &["topics", "sync", "--tier", "50k", "--prune", "--yes"], 0);
    assert_eq!(rows(&pruned, "delete").len(), 1, "{pruned}");
    assert!(!fx.topics_when(|t| !t.contains_key(&legacy)).contains_key(&legacy), "deleted and gone from metadata");
    assert_tier(&fx, PARTITIONS_50K);
}

#[test]
fn internal_topics_are_never_listed_even_without_a_scope() {
    let fx = Fixture::new("internal");
    // Read-only, so safe on the shared cluster: plan everything with --prune.
    let output = assert_cmd::Command::cargo_bin("forgectl")
        .unwrap_or_else(|err| panic!("{err}"))
        .current_dir(fx.dir.path())
        .env("CI", "true")
        .arg("--profiles-dir")
        .arg(fx.profiles_dir())
        .args(["topics", "plan", "--tier", "50k", "--prune", "--output", "json", "--bootstrap", &bootstrap()])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("{err}"));
    let topics: Vec<&str> =
        plan["plan"]["changes"].as_array().into_iter().flatten().filter_map(|r| r["topic"].as_str()).collect();
    assert!(!topics.iter().any(|t| t.starts_with('_')), "internal topics listed: {topics:?}");
}

#[test]
fn a_replication_factor_above_the_live_brokers_is_refused_at_plan_time() {
    // 100k declares 6 brokers, so RF 4 is a valid profile; the stack has 3.
    let fx = Fixture::with_edit("rf", |name, text| {
        if name == "_base.yaml" {
            text.replace("replication_factor: 3", "replication_factor: 4")
        } else {
            text
        }
    });
    let plan = fx.run(&kafka(), &["topics", "plan", "--tier", "100k", "--output", "json"]);
    assert_eq!(plan.status.code(), Some(2));
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap_or_else(|err| panic!("{err}"));
    let refused = rows(&plan, "refused");
    assert_eq!(refused.len(), 10, "the five topics and their dead-letter topics: {plan}");
    assert!(refused[0]["action"]["reason"].as_str().is_some_and(|r| r.contains("live broker")), "{plan}");
    assert_eq!(fx.run(&kafka(), &["topics", "sync", "--tier", "100k"]).status.code(), Some(2));
    assert!(fx.topics().is_empty(), "nothing created");
}

#[test]
fn with_the_india_switch_two_topics_are_not_created_and_existing_ones_are_unmanaged() {
    let fx = Fixture::new("india");
    fx.json(&kafka(), &["--india", "topics", "sync", "--tier", "50k"], 0);
    let created = fx.topics_when(|t| t.len() == 6);
    assert_eq!(created.len(), 6, "three topics and their dead-letter topics: {created:?}");
    assert!(!created.keys().any(|t| t.contains("contacts_batched") || t.contains("call_logs_batched")), "{created:?}");

    fx.json(&kafka(), &["topics", "sync", "--tier", "50k"], 0);
    let plan =
        fx.json_when(&kafka(), &["--india", "topics", "plan", "--tier", "50k"], 0, |p| rows(p, "unmanaged").len() == 4);
    let unmanaged: Vec<&str> = rows(&plan, "unmanaged").iter().filter_map(|r| r["topic"].as_str()).collect();
    let contacts = fx.topic("contacts_batched");
    let calls = fx.topic("call_logs_batched");
    assert_eq!(unmanaged.len(), 4, "the two topics and their dead-letter topics: {plan}");
    assert!(unmanaged.contains(&contacts.as_str()) && unmanaged.contains(&calls.as_str()));
    assert!(unmanaged.contains(&format!("{contacts}{DLQ_SUFFIX}").as_str()));
    assert_eq!(plan["in_sync"], true, "unmanaged is not drift");
}

#[test]
fn check_exits_1_when_the_cluster_cannot_be_reached() {
    let fx = Fixture::new("down");
    let output = fx.run(&["--bootstrap".into(), "127.0.0.1:1".into()], &["topics", "check", "--tier", "50k"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

/// A change someone else made a moment ago is drift, whichever broker
/// answers first: `check` asks every broker and waits until they agree.
#[test]
fn check_right_after_an_outside_change_always_sees_it() {
    let fx = Fixture::new("agree");
    fx.json(&kafka(), &["topics", "sync", "--tier", "50k"], 0);
    let sms = fx.topic("sms_batched");
    for (round, retention) in ["60000", "120000", "180000", "240000", "300000"].into_iter().enumerate() {
        fx.alter_overrides_now(&sms, &[("retention.ms", retention)]);
        let check = fx.json(&kafka(), &["topics", "check", "--tier", "50k"], 3);
        assert_eq!(check["in_sync"], false, "round {round}: {check}");
        let drift = check.to_string();
        assert!(drift.contains(retention), "round {round}: the new value {retention} is reported: {drift}");
    }
}
