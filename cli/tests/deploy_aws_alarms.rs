//! The alarms, their topic and the dashboard on the emulator: a 50k deploy
//! creates them, a second deploy changes nothing, `status` shows each
//! alarm's state and `destroy` leaves none of them. Checked with the SDK,
//! independently of forgectl's own adapters.

mod common;
mod deploy_support;

use std::collections::BTreeSet;

use common::{assert_success, mutating, text};
use deploy_support::*;

const EMAIL: &str = "oncall@example.com";
const HOOK: &str = "https://hooks.example.com/forgectl";

/// For 50k: cluster (offline partitions, controller), per broker of 3
/// (under-replicated, disk, CPU), per consumer group of 3 (lag warning,
/// critical, time; dead letters; messages lost), the front door (5xx,
/// unhealthy hosts, p99) and the producers' shed rate.
const ALARMS_50K: usize = 2 + 3 * 3 + 3 * 5 + 3 + 1;

struct Monitoring {
    runtime: tokio::runtime::Runtime,
    cloudwatch: aws_sdk_cloudwatch::Client,
    sns: aws_sdk_sns::Client,
}

impl Monitoring {
    fn new() -> Self {
        let (runtime, config) = common::emulator_sdk();
        Monitoring {
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            runtime,
        }
    }

    fn topic_arn(&self, name: &str) -> Option<String> {
        let topics = self.runtime.block_on(self.sns.list_topics().send()).unwrap_or_else(|err| panic!("{err:?}"));
        topics
            .topics()
            .iter()
            .filter_map(|t| t.topic_arn())
            .find(|arn| arn.ends_with(&format!(":{name}")))
            .map(String::from)
    }

    fn subscriptions(&self, topic_arn: &str) -> BTreeSet<(String, String)> {
        let output = self
            .runtime
            .block_on(self.sns.list_subscriptions_by_topic().topic_arn(topic_arn).send())
            .unwrap_or_else(|err| panic!("{err:?}"));
        output
            .subscriptions()
            .iter()
            .map(|s| (s.protocol().unwrap_or_default().to_string(), s.endpoint().unwrap_or_default().to_string()))
            .collect()
    }

    fn alarms(&self, prefix: &str) -> Vec<aws_sdk_cloudwatch::types::MetricAlarm> {
        let output = self
            .runtime
            .block_on(self.cloudwatch.describe_alarms().alarm_name_prefix(format!("{prefix}-")).max_records(100).send())
            .unwrap_or_else(|err| panic!("{err:?}"));
        output.metric_alarms().to_vec()
    }

    fn dashboard(&self, name: &str) -> Option<String> {
        self.runtime
            .block_on(self.cloudwatch.get_dashboard().dashboard_name(name).send())
            .ok()
            .and_then(|output| output.dashboard_body().map(String::from))
    }
}

#[test]
fn a_50k_deploy_creates_the_alarms_a_second_changes_nothing_and_destroy_removes_them() {
    let prefix = common::unique("fc");
    let alerts = format!("    alerts:\n      email:\n        - {EMAIL}\n      https:\n        - {HOOK}\n");
    let env = common::CpEnv::with_settings("alarms", &format!("{}{alerts}", settings(&prefix)));
    env.provision("50k");
    assert_success(&env.run(&["images", "init"]), &["images", "init"]);
    let sdk = Sdk::new();
    let aws = Monitoring::new();
    let version = common::unique("v1-");
    sdk.push_images(&version);

    let deployed = deploy(&env, &version, &[]);
    assert_success(&deployed, &["deploy", "first"]);
    let stdout = text(&deployed.stdout);
    assert!(stdout.contains("Monitoring:"), "{stdout}");

    // The topic, tagged, with both subscriptions.
    let topic = aws.topic_arn(&format!("{prefix}-alerts")).unwrap_or_else(|| panic!("no topic {prefix}-alerts"));
    let tags = aws.runtime.block_on(aws.sns.list_tags_for_resource().resource_arn(&topic).send());
    let tags = tags.unwrap_or_else(|err| panic!("{err:?}"));
    assert!(tags.tags().iter().any(|t| t.key() == "forgectl:env" && t.value() == env.name), "{tags:?}");
    let expected: BTreeSet<(String, String)> =
        [("email".to_string(), EMAIL.to_string()), ("https".to_string(), HOOK.to_string())].into();
    assert_eq!(aws.subscriptions(&topic), expected);

    // Every alarm notifies the topic when it fires and when it recovers.
    let alarms = aws.alarms(&prefix);
    assert_eq!(alarms.len(), ALARMS_50K, "{:?}", alarms.iter().map(|a| a.alarm_name()).collect::<Vec<_>>());
    for alarm in &alarms {
        assert_eq!(alarm.alarm_actions(), std::slice::from_ref(&topic), "{:?}", alarm.alarm_name());
        assert_eq!(alarm.ok_actions(), std::slice::from_ref(&topic), "{:?}", alarm.alarm_name());
    }
    let names: BTreeSet<&str> = alarms.iter().filter_map(|a| a.alarm_name()).collect();
    for what in [
        "msk-offline-partitions",
        "broker-3-cpu",
        "sms-consumer-lag-critical",
        "api-p99-latency",
        "events-consumer-messages-lost",
    ] {
        assert!(names.contains(format!("{prefix}-{what}").as_str()), "{what} missing from {names:?}");
    }
    let arn = alarms.first().and_then(|a| a.alarm_arn()).unwrap_or_default();
    let alarm_tags = aws.runtime.block_on(aws.cloudwatch.list_tags_for_resource().resource_arn(arn).send());
    let alarm_tags = alarm_tags.unwrap_or_else(|err| panic!("{err:?}"));
    assert!(alarm_tags.tags().iter().any(|t| t.key() == Some("forgectl:managed-by")), "{alarm_tags:?}");
    // The front door's alarms name the load balancer deploy just created.
    let p99 = alarms
        .iter()
        .find(|a| a.alarm_name() == Some(&format!("{prefix}-api-p99-latency")))
        .unwrap_or_else(|| panic!("p99"));
    let dims: Vec<String> = p99
        .metrics()
        .iter()
        .filter_map(|q| q.metric_stat()?.metric())
        .flat_map(|m| m.dimensions().iter().filter_map(|d| d.value().map(String::from)))
        .collect();
    assert!(dims.iter().any(|value| value.starts_with(&format!("app/{prefix}-api/"))), "{dims:?}");

    let body = aws.dashboard(&prefix).unwrap_or_else(|| panic!("no dashboard {prefix}"));
    let body: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|err| panic!("{err}: {body}"));
    let widgets = body["widgets"].as_array().cloned().unwrap_or_default();
    assert!(widgets.len() >= 10, "{body}");
    assert!(!body.to_string().contains("pending:"), "stand-ins left in the dashboard: {body}");

    // A second deploy plans no change and makes no call that changes anything.
    let _ = env.take_calls();
    let again = deploy(&env, &version, &[]);
    assert_success(&again, &["deploy", "second"]);
    assert!(text(&again.stderr).contains("nothing to change"), "{}", text(&again.stderr));
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new());
    let plan = env.json(&["deploy", "--version", &version, "--dry-run"]);
    let changes = plan["monitoring"]["changes"].as_array().cloned().unwrap_or_default();
    assert!(changes.iter().all(|c| c["action"] == "keep"), "{plan}");

    // `status` shows each alarm and its state.
    let status = env.json(&["status"]);
    let states = status["services"]["alarms"].as_array().cloned().unwrap_or_default();
    assert_eq!(states.len(), ALARMS_50K, "{status}");
    for state in &states {
        assert!(["OK", "ALARM", "INSUFFICIENT_DATA"].contains(&state["state"].as_str().unwrap_or_default()), "{state}");
    }

    let destroyed = env.destroy();
    assert_success(&destroyed, &["destroy"]);
    assert_eq!(aws.topic_arn(&format!("{prefix}-alerts")), None);
    assert!(aws.alarms(&prefix).is_empty(), "alarms left after destroy");
    assert_eq!(aws.dashboard(&prefix), None);
}
