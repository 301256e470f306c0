//! The consumers' second scaling rule: target tracking on the consumer
//! group's lag per running instance, next to the CPU target. The lag is
//! MSK's `SumOffsetLag` (namespace `AWS/Kafka`, dimensions `Cluster Name`,
//! `Consumer Group`, `Topic`; one series per topic, summed), divided by the
//! group's `GroupInServiceInstances` (namespace `AWS/AutoScaling`), which
//! the group publishes only once metrics collection is enabled on it.
//! Pure: the desired policy and the steps that get there.

use crate::aws::scaling_policy::{MetricQuery, MetricStat, TrackedMetric};
use crate::profile::Profile;

use super::actual::{Actual, ObservedRole};
use super::plan::{Change, FleetRolePlan, Step};
use super::roles::RoleAction;

pub const KAFKA_NAMESPACE: &str = "AWS/Kafka";
pub const SUM_OFFSET_LAG: &str = "SumOffsetLag";
pub const AUTOSCALING_NAMESPACE: &str = "AWS/AutoScaling";
pub const IN_SERVICE_INSTANCES: &str = "GroupInServiceInstances";
/// What every group publishes: the lag policy divides by the first; the
/// dashboard draws instances against the ladder with all four.
pub const GROUP_METRICS: [&str; 4] = [IN_SERVICE_INSTANCES, "GroupDesiredCapacity", "GroupMinSize", "GroupMaxSize"];
/// The id of the query that returns the tracked value.
const LAG_PER_INSTANCE_ID: &str = "per_instance";
const INSTANCES_ID: &str = "instances";

/// The lag-per-instance policy of the Auto Scaling group `group_name`,
/// whose instances form `consumer_group` and read `topics` on `cluster`.
/// A topic without a lag data point (MSK publishes lag only for a stable
/// group) counts as 0 rather than hiding the others.
pub fn lag_tracking(
    cluster: &str,
    group_name: &str,
    consumer_group: &str,
    topics: &[String],
    target: u64,
) -> TrackedMetric {
    let mut metrics: Vec<MetricQuery> = topics
        .iter()
        .enumerate()
        .map(|(index, topic)| MetricQuery {
            id: format!("lag_{index}"),
            expression: None,
            metric: Some(MetricStat {
                namespace: KAFKA_NAMESPACE.into(),
                metric_name: SUM_OFFSET_LAG.into(),
                dimensions: vec![
                    ("Cluster Name".into(), cluster.into()),
                    ("Consumer Group".into(), consumer_group.into()),
                    ("Topic".into(), topic.clone()),
                ],
                stat: "Maximum".into(),
            }),
            label: Some(format!("{consumer_group} lag on {topic}")),
            return_data: false,
        })
        .collect();
    let lag = (0..topics.len()).map(|index| format!("FILL(lag_{index}, 0)")).collect::<Vec<_>>().join(" + ");
    metrics.push(MetricQuery {
        id: INSTANCES_ID.into(),
        expression: None,
        metric: Some(MetricStat {
            namespace: AUTOSCALING_NAMESPACE.into(),
            metric_name: IN_SERVICE_INSTANCES.into(),
            dimensions: vec![("AutoScalingGroupName".into(), group_name.into())],
            stat: "Average".into(),
        }),
        label: Some(format!("{group_name} instances in service")),
        return_data: false,
    });
    metrics.push(MetricQuery {
        id: LAG_PER_INSTANCE_ID.into(),
        expression: Some(format!("({lag}) / {INSTANCES_ID}")),
        metric: None,
        label: Some(format!("{consumer_group} lag per instance")),
        return_data: true,
    });
    // Lag is a count: whole messages per instance.
    TrackedMetric { target: target as f64, metrics }
}

/// The group's metrics collection and, for a consumer, its lag policy:
/// what changes and the steps, after the role's other steps. A role that
/// is refused keeps its refusal and gets no steps here.
pub fn lag_steps(actual: &Actual, profile: &Profile, observed: &ObservedRole, plan: &mut FleetRolePlan) {
    if plan.refused.is_some() {
        return;
    }
    let role = plan.role();
    let names = &actual.names;
    let group_name = names.group(role);
    let collecting = |group: &crate::aws::autoscaling::Group| {
        GROUP_METRICS.iter().all(|metric| group.enabled_metrics.iter().any(|enabled| enabled == metric))
    };
    plan.group_metrics = match &observed.group {
        None => Change::Create,
        Some(group) if collecting(group) => Change::Keep,
        Some(_) => Change::Update,
    };
    if plan.group_metrics != Change::Keep {
        plan.steps.push(Step::EnableGroupMetrics { group: group_name.clone(), metrics: GROUP_METRICS.to_vec() });
    }
    let spec = profile.role(role);
    let wanted = spec.and_then(|spec| Some((spec.group.as_deref()?, spec.lag_per_instance?, &spec.topics)));
    if let Some((consumer_group, target, topics)) = wanted {
        let desired = lag_tracking(&actual.cluster_name, &group_name, consumer_group, topics, target);
        let change = match &observed.lag_policy {
            None => Change::Create,
            Some(current) if *current == desired => Change::Keep,
            Some(_) => Change::Update,
        };
        plan.lag_policy = Some(change);
        if change != Change::Keep {
            plan.steps.push(Step::PutLagTarget {
                group: group_name,
                policy: names.lag_policy(role),
                tracking: desired,
            });
        }
    }
    let changes = plan.group_metrics != Change::Keep || plan.lag_policy.is_some_and(|change| change != Change::Keep);
    if changes && observed.group.is_some() && plan.summary.action == RoleAction::NoOp {
        plan.summary.action = RoleAction::Scale;
    }
}
