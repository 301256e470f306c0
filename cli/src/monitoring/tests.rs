use std::collections::BTreeMap;

use crate::aws::cloudwatch::{AlarmSpec, ObservedAlarm, QueryKind};
use crate::aws::sns::{Subscription, Topic};
use crate::config::AlertSubscriptions;
use crate::naming::{MANAGED_BY, TAG_ENV, TAG_MANAGED_BY};
use crate::profile::{load_tier, Profile, ProfileSource, ResolveOptions, RoleName};

use super::plan::{plan, Action, MonitoringKind, MonitoringStep};
use super::{alarms, dashboard, MonitoringNames, MonitoringTarget, Observed, PENDING_TOPIC};

const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:forgectl-dev-alerts";

fn tier(name: &str) -> Profile {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles");
    let source = ProfileSource::resolve(Some(&dir)).unwrap_or_else(|err| panic!("{err}"));
    load_tier(&source, name, ResolveOptions::default()).unwrap_or_else(|err| panic!("{err}"))
}

fn subscriptions() -> AlertSubscriptions {
    AlertSubscriptions { email: vec!["oncall@example.com".into()], https: vec!["https://hooks.example.com/x".into()] }
}

fn target<'a>(profile: &'a Profile, alerts: &'a AlertSubscriptions) -> MonitoringTarget<'a> {
    MonitoringTarget {
        env: "dev",
        names: MonitoringNames::for_prefix("forgectl-dev"),
        profile,
        subscriptions: alerts,
        region: "us-east-1".into(),
        cluster: "forgectl-dev".into(),
        brokers: profile.kafka.brokers,
        load_balancer: Some("app/forgectl-dev-api/0123456789abcdef".into()),
        target_group: Some("targetgroup/forgectl-dev-api/fedcba9876543210".into()),
        groups: profile
            .roles
            .iter()
            .map(|role| (role.name, format!("forgectl-dev-{}", role.name), role.min, role.max))
            .collect(),
    }
}

fn ours() -> BTreeMap<String, String> {
    BTreeMap::from([(TAG_ENV.to_string(), "dev".to_string()), (TAG_MANAGED_BY.to_string(), MANAGED_BY.to_string())])
}

fn observed_alarm(spec: &AlarmSpec) -> (ObservedAlarm, bool) {
    let alarm = ObservedAlarm {
        name: spec.name.clone(),
        arn: format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{}", spec.name),
        state: "OK".into(),
        spec: Some(spec.clone()),
    };
    (alarm, true)
}

/// What AWS holds right after a deploy of `target` applied.
fn converged(target: &MonitoringTarget<'_>) -> Observed {
    let subscriptions = [("email", &target.subscriptions.email[0]), ("https", &target.subscriptions.https[0])]
        .map(|(protocol, endpoint)| Subscription {
            protocol: protocol.into(),
            endpoint: endpoint.clone(),
            arn: Some(format!("{TOPIC_ARN}:{protocol}")),
        })
        .to_vec();
    Observed {
        topic: Some(Topic { arn: TOPIC_ARN.into(), name: target.names.topic.clone(), tags: ours() }),
        subscriptions,
        alarms: alarms::desired(target, Some(TOPIC_ARN)).iter().map(observed_alarm).collect(),
        // The same JSON, its keys in another order and pretty-printed: only
        // the values count.
        dashboard: serde_json::to_value(dashboard::desired(target))
            .ok()
            .and_then(|value| serde_json::to_string_pretty(&value).ok()),
    }
}

#[test]
fn the_50k_alarm_set_covers_cluster_brokers_groups_front_door_and_services() {
    let profile = tier("50k");
    let alerts = subscriptions();
    let target = target(&profile, &alerts);
    let set = alarms::desired(&target, Some(TOPIC_ARN));
    // 2 cluster + 3 per broker × 3 + 5 per group × 3 + 3 front door + shed.
    assert_eq!(set.len(), 2 + 9 + 15 + 3 + 1, "{:?}", set.iter().map(|a| &a.name).collect::<Vec<_>>());
    assert!(set.iter().all(|alarm| alarm.actions == [TOPIC_ARN]));
    assert!(set.iter().all(|alarm| alarm.name.starts_with("forgectl-dev-")));
    let thresholds = profile.alerts.as_ref().unwrap_or_else(|| panic!("50k has alerts"));
    let named = |what: &str| {
        set.iter().find(|alarm| alarm.name == format!("forgectl-dev-{what}")).unwrap_or_else(|| panic!("no {what}"))
    };
    assert_eq!(named("sms-consumer-lag-critical").threshold, thresholds.consumer_lag_critical as f64);
    assert_eq!(named("events-consumer-lag-warning").threshold, thresholds.consumer_lag_warning as f64);
    assert_eq!(named("broker-3-disk").threshold, thresholds.broker_disk_used_percent);
    assert_eq!(named("api-p99-latency").threshold, f64::from(thresholds.upload_p99_ms) / 1000.0);
    // The common consumers' lag is the sum over their three topics.
    let common = named("common-consumer-lag-warning");
    assert_eq!(common.queries.len(), 4);
    assert!(
        matches!(&common.queries[3].kind, QueryKind::Expression { expression, .. } if expression == "m1 + m2 + m3")
    );
    // The services' metrics carry the contract's namespace and dimensions.
    let lost = named("sms-consumer-messages-lost");
    let QueryKind::Metric(stat) = &lost.queries[0].kind else { panic!("{lost:?}") };
    assert_eq!(stat.namespace, forgectl_contract::cloudwatch::NAMESPACE);
    assert_eq!(stat.metric, forgectl_contract::cloudwatch::CONSUMER_MESSAGES_LOST_TOTAL);
    assert_eq!(stat.stat, "Sum");
    assert!(stat.dimensions.contains(&("Role".to_string(), RoleName::SmsConsumer.as_str().to_string())));
    assert!(lost.description.contains("docs/operations.md#alarm-messages-lost"), "{}", lost.description);
}

#[test]
fn a_first_deploy_creates_the_topic_first_and_points_the_alarms_at_it() {
    let profile = tier("50k");
    let alerts = subscriptions();
    let target = target(&profile, &alerts);
    let plan = plan(&target, &Observed::default());
    assert!(plan.has_changes());
    assert_eq!(plan.steps.first(), Some(&MonitoringStep::CreateTopic { name: "forgectl-dev-alerts".into() }));
    let subscribes = plan.steps.iter().filter(|step| matches!(step, MonitoringStep::Subscribe { .. })).count();
    assert_eq!(subscribes, 2);
    for step in &plan.steps {
        if let MonitoringStep::PutAlarm(alarm) = step {
            assert_eq!(alarm.actions, [PENDING_TOPIC], "{}", alarm.name);
        }
    }
    assert!(matches!(plan.steps.last(), Some(MonitoringStep::PutDashboard { .. })));
}

#[test]
fn identical_observed_state_plans_no_change() {
    let profile = tier("50k");
    let alerts = subscriptions();
    let target = target(&profile, &alerts);
    let plan = plan(&target, &converged(&target));
    let changing: Vec<_> = plan.changes.iter().filter(|c| c.action != Action::Keep).collect();
    assert!(changing.is_empty(), "{changing:?}");
    assert!(plan.steps.is_empty(), "{:?}", plan.steps);
    assert!(!plan.has_changes());
}

#[test]
fn a_threshold_change_updates_only_that_alarm() {
    let profile = tier("50k");
    let alerts = subscriptions();
    let target = target(&profile, &alerts);
    let mut observed = converged(&target);
    for (alarm, _) in &mut observed.alarms {
        if alarm.name == "forgectl-dev-sms-consumer-lag-critical" {
            if let Some(spec) = alarm.spec.as_mut() {
                spec.threshold = 500.0;
            }
        }
    }
    let plan = plan(&target, &observed);
    let changing: Vec<_> = plan.changes.iter().filter(|c| c.action != Action::Keep).collect();
    assert_eq!(changing.len(), 1, "{changing:?}");
    assert_eq!(changing[0].kind, MonitoringKind::Alarm);
    assert_eq!(changing[0].action, Action::Update);
    assert_eq!(changing[0].detail.as_deref(), Some("threshold 500 → 1000"));
    assert!(matches!(&plan.steps[..], [MonitoringStep::PutAlarm(alarm)] if alarm.threshold == 1000.0));
}

#[test]
fn stale_alarms_and_subscriptions_go_and_foreign_names_refuse() {
    let profile = tier("50k");
    let alerts = AlertSubscriptions { email: vec!["oncall@example.com".into()], https: Vec::new() };
    let target = target(&profile, &alerts);
    let full = subscriptions();
    let mut observed = converged(&MonitoringTarget { subscriptions: &full, ..target.clone() });
    let mut stale = alarms::desired(&target, Some(TOPIC_ARN))[0].clone();
    stale.name = "forgectl-dev-broker-4-cpu".into();
    observed.alarms.push(observed_alarm(&stale));
    let plan = plan(&target, &observed);
    let deleted: Vec<_> = plan.changes.iter().filter(|c| c.action == Action::Delete).map(|c| c.name.as_str()).collect();
    assert_eq!(deleted, ["https https://hooks.example.com/x", "forgectl-dev-broker-4-cpu"]);
    assert!(plan.steps.contains(&MonitoringStep::DeleteAlarms(vec!["forgectl-dev-broker-4-cpu".into()])));

    if let Some(topic) = observed.topic.as_mut() {
        topic.tags.clear();
    }
    let refused = super::plan::plan(&target, &observed);
    assert!(refused.refused.as_deref().is_some_and(|why| why.contains("forgectl-dev-alerts")), "{refused:?}");
    assert!(refused.steps.is_empty());
}

#[test]
fn dimensions_come_from_the_arns() {
    let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/forgectl-dev-api/50dc6c495c0c9188";
    assert_eq!(super::load_balancer_dimension(lb).as_deref(), Some("app/forgectl-dev-api/50dc6c495c0c9188"));
    let tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/forgectl-dev-api/73e2d6bc24d8a067";
    assert_eq!(super::target_group_dimension(tg).as_deref(), Some("targetgroup/forgectl-dev-api/73e2d6bc24d8a067"));
    assert_eq!(alarms::runbook_anchor("broker-2-under-replicated"), "broker-under-replicated");
    assert_eq!(alarms::runbook_anchor("sms-consumer-lag-time"), "lag-time");
}
