//! The consumers' lag-per-instance policy and the groups' metrics next to
//! the CPU target.

use super::{role_plan, Case};
use crate::fleet::plan::{Change, Step};
use crate::fleet::roles::RoleAction;
use crate::fleet::scaling::{lag_tracking, GROUP_METRICS, IN_SERVICE_INSTANCES, SUM_OFFSET_LAG};
use crate::profile::RoleName;

#[test]
fn the_lag_of_every_topic_of_the_group_is_summed_and_divided_by_the_instances_in_service() {
    let topics = vec!["apps".to_string(), "contacts".to_string()];
    let tracking = lag_tracking("forgectl-prod", "forgectl-prod-common-consumer", "common-group", &topics, 100);
    assert_eq!(tracking.target, 100.0);
    let returned: Vec<_> = tracking.metrics.iter().filter(|query| query.return_data).collect();
    assert_eq!(returned.len(), 1, "exactly one query is the tracked value");
    assert_eq!(returned[0].expression.as_deref(), Some("(FILL(lag_0, 0) + FILL(lag_1, 0)) / instances"));
    let lag = tracking.metrics.iter().find(|query| query.id == "lag_1").and_then(|query| query.metric.as_ref());
    let lag = lag.unwrap_or_else(|| panic!("{tracking:?}"));
    assert_eq!((lag.namespace.as_str(), lag.metric_name.as_str()), ("AWS/Kafka", SUM_OFFSET_LAG));
    let dimensions: Vec<(&str, &str)> = lag.dimensions.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        dimensions,
        [("Cluster Name", "forgectl-prod"), ("Consumer Group", "common-group"), ("Topic", "contacts")]
    );
    let instances =
        tracking.metrics.iter().find(|query| query.id == "instances").and_then(|query| query.metric.as_ref());
    let instances = instances.unwrap_or_else(|| panic!("{tracking:?}"));
    assert_eq!(
        (instances.namespace.as_str(), instances.metric_name.as_str()),
        ("AWS/AutoScaling", IN_SERVICE_INSTANCES)
    );
    assert_eq!(
        instances.dimensions,
        [("AutoScalingGroupName".to_string(), "forgectl-prod-common-consumer".to_string())]
    );
}

#[test]
fn a_first_deploy_gives_every_consumer_both_policies_and_every_group_its_metrics() {
    let case = Case::new("50k", "v1");
    let actual = case.empty();
    let plan = case.plan(&actual);
    let producer = role_plan(&plan, RoleName::Producer);
    assert_eq!((producer.lag_policy, producer.group_metrics), (None, Change::Create));
    assert!(!producer.steps.iter().any(|step| matches!(step, Step::PutLagTarget { .. })));
    for role in [RoleName::SmsConsumer, RoleName::EventsConsumer, RoleName::CommonConsumer] {
        let consumer = role_plan(&plan, role);
        assert_eq!((consumer.lag_policy, consumer.group_metrics), (Some(Change::Create), Change::Create));
        let spec = case.profile.role(role).unwrap_or_else(|| panic!("{role}"));
        let kinds: Vec<&str> = consumer
            .steps
            .iter()
            .map(|step| match step {
                Step::CreateLaunchTemplate { .. } => "template",
                Step::CreateGroup { .. } => "group",
                Step::PutCpuTarget { .. } => "cpu",
                Step::EnableGroupMetrics { metrics, .. } => {
                    assert_eq!(metrics[..], GROUP_METRICS[..]);
                    "metrics"
                }
                Step::PutLagTarget { tracking, policy, group } => {
                    assert_eq!(tracking.target, 100.0, "the runbook's first step is the default");
                    assert_eq!(policy, &actual.names.lag_policy(role));
                    assert_eq!(group, &actual.names.group(role));
                    let topics = tracking.metrics.iter().filter(|query| query.id.starts_with("lag_")).count();
                    assert_eq!(topics, spec.topics.len());
                    "lag"
                }
                other => panic!("{other:?}"),
            })
            .collect();
        // The group exists before its metrics and policies are set.
        assert_eq!(kinds, ["template", "group", "cpu", "metrics", "lag"], "{role}");
    }
}

#[test]
fn a_deployed_fleet_keeps_both_policies_and_its_metrics() {
    let case = Case::new("50k", "v1");
    let plan = case.plan(&case.deployed());
    for role in &plan.roles {
        assert_eq!(role.group_metrics, Change::Keep, "{role:?}");
        assert_eq!(role.lag_policy, role.role().is_consumer().then_some(Change::Keep), "{role:?}");
    }
    assert!(!plan.has_changes());
}

#[test]
fn a_changed_lag_target_or_missing_metrics_are_put_back_in_place() {
    let mut case = Case::new("50k", "v1");
    let actual = case.deployed();
    // The tier now asks for 250 messages per instance.
    for role in &mut case.profile.roles {
        if role.name == RoleName::SmsConsumer {
            role.lag_per_instance = Some(250);
        }
    }
    let mut actual = actual;
    if let Some(observed) = actual.roles.get_mut(&RoleName::EventsConsumer) {
        if let Some(group) = observed.group.as_mut() {
            group.enabled_metrics.clear();
        }
    }
    let plan = case.plan(&actual);
    let sms = role_plan(&plan, RoleName::SmsConsumer);
    assert_eq!((sms.summary.action, sms.lag_policy), (RoleAction::Scale, Some(Change::Update)));
    assert!(sms
        .steps
        .iter()
        .any(|step| matches!(step, Step::PutLagTarget { tracking, .. } if tracking.target == 250.0)));
    let events = role_plan(&plan, RoleName::EventsConsumer);
    assert_eq!((events.summary.action, events.group_metrics), (RoleAction::Scale, Change::Update));
    assert!(events.steps.iter().any(|step| matches!(step, Step::EnableGroupMetrics { .. })));
    assert_eq!(role_plan(&plan, RoleName::CommonConsumer).summary.action, RoleAction::NoOp);
}
