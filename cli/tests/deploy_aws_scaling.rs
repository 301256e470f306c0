//! A 50k deploy on the emulator: each consumer group's Auto Scaling group
//! scales on lag per instance (metric math over MSK's SumOffsetLag and the
//! group's GroupInServiceInstances) next to CPU 50%, with the group metrics
//! it needs; the public listener serves only `/v1/*`; nothing opens the
//! services' metrics ports to the world; a second run changes nothing.

mod common;
mod deploy_support;

use aws_sdk_autoscaling::types::ScalingPolicy;
use common::{assert_success, mutating, text};
use deploy_support::*;

fn policies(sdk: &Sdk, group: &str) -> Vec<ScalingPolicy> {
    let output = sdk
        .runtime
        .block_on(sdk.autoscaling.describe_policies().auto_scaling_group_name(group).send())
        .unwrap_or_else(|err| panic!("describe policies of {group}: {err:?}"));
    output.scaling_policies().iter().filter(|p| p.auto_scaling_group_name() == Some(group)).cloned().collect()
}

/// (consumer group, topics) of each consumer role in the 50k tier.
const CONSUMERS: [(&str, &str, &[&str]); 3] = [
    ("sms-consumer", "sms-consumer-group", &["sms_batched"]),
    ("events-consumer", "events-consumer-group", &["events_log"]),
    ("common-consumer", "common-consumer-group", &["apps_and_device_batched", "contacts_batched", "call_logs_batched"]),
];

fn check_lag_policy(sdk: &Sdk, prefix: &str, role: &str, consumer_group: &str, topics: &[&str]) {
    let group = format!("{prefix}-{role}");
    let found = policies(sdk, &group);
    let tracking: Vec<_> = found.iter().filter_map(|p| p.target_tracking_configuration()).collect();
    assert_eq!(tracking.len(), 2, "{group}: CPU and lag: {found:?}");
    let cpu = tracking.iter().find(|t| t.predefined_metric_specification().is_some());
    assert_eq!(cpu.and_then(|t| t.target_value()), Some(50.0), "{group}");
    let lag = tracking
        .iter()
        .find_map(|t| Some((t.target_value(), t.customized_metric_specification()?)))
        .unwrap_or_else(|| panic!("{group}: no lag policy in {found:?}"));
    assert_eq!(lag.0, Some(100.0), "{group}: the profile's lag_per_instance");
    let queries = lag.1.metrics();
    let returned: Vec<_> = queries.iter().filter(|q| q.return_data() == Some(true)).collect();
    assert_eq!(returned.len(), 1, "{queries:?}");
    assert!(returned[0].expression().is_some_and(|e| e.ends_with("/ instances")), "{queries:?}");
    let mut lag_topics = Vec::new();
    for query in queries {
        let Some(metric) = query.metric_stat().and_then(|stat| stat.metric()) else { continue };
        let dimension = |name: &str| {
            metric.dimensions().iter().find(|d| d.name() == Some(name)).and_then(|d| d.value()).map(str::to_string)
        };
        match metric.metric_name() {
            Some("SumOffsetLag") => {
                assert_eq!(metric.namespace(), Some("AWS/Kafka"));
                assert_eq!(dimension("Cluster Name").as_deref(), Some(prefix), "the MSK cluster's name");
                // The tests' profiles give each run's groups a unique suffix.
                let group_dimension = dimension("Consumer Group").unwrap_or_default();
                assert!(group_dimension.starts_with(consumer_group), "{group_dimension}");
                lag_topics.extend(dimension("Topic"));
            }
            Some("GroupInServiceInstances") => {
                assert_eq!(metric.namespace(), Some("AWS/AutoScaling"));
                assert_eq!(dimension("AutoScalingGroupName").as_deref(), Some(group.as_str()));
            }
            other => panic!("{group}: unexpected metric {other:?}"),
        }
    }
    assert_eq!(lag_topics.len(), topics.len(), "{group}: {lag_topics:?}");
    for (found, wanted) in lag_topics.iter().zip(topics) {
        assert!(found.ends_with(wanted), "{group}: {lag_topics:?}");
    }
}

#[test]
fn consumers_scale_on_lag_and_cpu_and_a_second_run_changes_nothing() {
    let (env, sdk, prefix) = deployed_env("lagscale");
    let version = common::unique("v1-");
    sdk.push_images(&version);
    let output = deploy(&env, &version, &[]);
    assert_success(&output, &["deploy"]);

    let groups = sdk.groups(&env.name);
    assert_eq!(groups.len(), 4, "{:?}", groups.keys());
    for (name, group) in &groups {
        let enabled: Vec<_> = group.enabled_metrics().iter().filter_map(|m| m.metric()).collect();
        assert!(enabled.contains(&"GroupInServiceInstances"), "{name}: {enabled:?}");
    }
    for (role, consumer_group, topics) in CONSUMERS {
        check_lag_policy(&sdk, &prefix, role, consumer_group, topics);
    }
    // The producer scales on CPU alone.
    let producer = policies(&sdk, &format!("{prefix}-producer"));
    assert_eq!(producer.len(), 1, "{producer:?}");

    check_front_door(&sdk, &prefix);
    check_metrics_ports(&sdk, &prefix);

    let _ = env.take_calls();
    let again = deploy(&env, &version, &[]);
    assert_success(&again, &["deploy", "again"]);
    assert!(text(&again.stderr).contains("nothing to change"), "{}", text(&again.stderr));
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new());
}

/// The public listener answers 404 by default and forwards only `/v1/*`.
fn check_front_door(sdk: &Sdk, prefix: &str) {
    let lbs = sdk
        .runtime
        .block_on(sdk.elb.describe_load_balancers().names(format!("{prefix}-api")).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    let lb_arn = lbs.load_balancers().first().and_then(|lb| lb.load_balancer_arn()).unwrap_or_default().to_string();
    let listeners = sdk
        .runtime
        .block_on(sdk.elb.describe_listeners().load_balancer_arn(&lb_arn).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    let [listener] = listeners.listeners() else { panic!("{listeners:?}") };
    let default = listener.default_actions().first().unwrap_or_else(|| panic!("{listener:?}"));
    assert_eq!(default.r#type().map(|t| t.as_str()), Some("fixed-response"), "{listener:?}");
    assert_eq!(default.fixed_response_config().and_then(|c| c.status_code()), Some("404"));
    let rules = sdk
        .runtime
        .block_on(sdk.elb.describe_rules().listener_arn(listener.listener_arn().unwrap_or_default()).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    let routed: Vec<_> = rules.rules().iter().filter(|rule| rule.is_default() != Some(true)).collect();
    let [api] = routed[..] else { panic!("{routed:?}") };
    let paths: Vec<&str> = api
        .conditions()
        .iter()
        .filter_map(|c| c.path_pattern_config())
        .flat_map(|c| c.values().iter().map(String::as_str))
        .collect();
    assert_eq!(paths, ["/v1/*"]);
    let target_groups = sdk
        .runtime
        .block_on(sdk.elb.describe_target_groups().names(format!("{prefix}-producer")).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    let target_group = target_groups.target_groups().first().unwrap_or_else(|| panic!("no target group"));
    assert_eq!(target_group.health_check_path(), Some("/ready"), "the health check goes to the targets directly");
    let forward = api.actions().first().and_then(|a| a.target_group_arn());
    assert_eq!(forward, target_group.target_group_arn());
}

/// No security group of the environment opens a metrics port to anyone by
/// default, and the instances publish those ports on loopback only.
fn check_metrics_ports(sdk: &Sdk, prefix: &str) {
    let groups = sdk
        .runtime
        .block_on(
            sdk.ec2
                .describe_security_groups()
                .filters(aws_sdk_ec2::types::Filter::builder().name("group-name").values(format!("{prefix}-*")).build())
                .send(),
        )
        .unwrap_or_else(|err| panic!("{err:?}"));
    let names: Vec<&str> = groups.security_groups().iter().filter_map(|g| g.group_name()).collect();
    assert!(names.contains(&format!("{prefix}-metrics").as_str()), "{names:?}");
    for group in groups.security_groups() {
        for rule in group.ip_permissions() {
            let covers = |port: i32| rule.from_port().unwrap_or(0) <= port && port <= rule.to_port().unwrap_or(65535);
            if covers(8001) || covers(8002) {
                panic!("{:?} opens a metrics port: {rule:?}", group.group_name());
            }
        }
    }
    for (role, port) in [("producer", 8002), ("sms-consumer", 8001)] {
        let version = sdk.template_version(&format!("{prefix}-{role}"), "$Latest");
        let data = version.launch_template_data().and_then(|data| data.user_data()).unwrap_or_default();
        let script = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).unwrap_or_default();
        let script = String::from_utf8_lossy(&script);
        assert!(script.contains(&format!("-p 127.0.0.1:{port}:{port}")), "{role}: {script}");
        // The CloudWatch agent scrapes that port and publishes to the services' namespace.
        assert!(script.contains(&format!("127.0.0.1:{port}")) && script.contains("Forgectl/Services"), "{script}");
        assert!(script.contains("amazon-cloudwatch-agent-ctl -a fetch-config"), "{role}: {script}");
    }
}
