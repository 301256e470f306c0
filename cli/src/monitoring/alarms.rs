//! The environment's CloudWatch alarms: the same conditions as the
//! Prometheus rules of `render::alerts`, plus what only AWS measures (MSK's
//! brokers, the load balancer). Thresholds come from the tier's `alerts:`.
//!
//! MSK's metrics used here (UnderReplicatedPartitions, OfflinePartitionsCount,
//! ActiveControllerCount, KafkaDataLogsDiskUsed, CpuUser/CpuSystem and the
//! consumer-lag metrics SumOffsetLag/EstimatedMaxTimeLag by "Consumer Group"
//! and "Topic") are all published at MSK's DEFAULT monitoring level; the
//! profiles ask for PER_BROKER, which includes them.

use forgectl_contract::cloudwatch as services;

use crate::aws::cloudwatch::{AlarmSpec, Comparison, MetricQuery, MetricStat, MissingData, QueryKind};
use crate::profile::{AlertsSpec, RoleName};

use super::{MonitoringTarget, PENDING_TOPIC};

pub const KAFKA: &str = "AWS/Kafka";
pub const ELB: &str = "AWS/ApplicationELB";
pub const CLUSTER_NAME: &str = "Cluster Name";
pub const BROKER_ID: &str = "Broker ID";
pub const CONSUMER_GROUP: &str = "Consumer Group";
pub const TOPIC: &str = "Topic";

/// The period of most alarms: CloudWatch's standard resolution.
const MINUTE: i32 = 60;
/// Dead letters and lost messages are counted over five minutes, as the
/// Prometheus rules count them.
const FIVE_MINUTES: i32 = 300;
/// Partitions are under-replicated for a moment whenever a broker restarts
/// (MSK patches brokers one by one): only five minutes of it is a problem.
const UNDER_REPLICATED_PERIODS: i32 = 5;
/// Broker CPU is judged over three five-minute periods: a rebalance or a
/// burst of catching up is not a capacity problem.
const CPU_PERIODS: i32 = 3;
/// Where each alarm's runbook entry lives.
const RUNBOOK: &str = "docs/operations.md";

fn single(stat: MetricStat) -> Vec<MetricQuery> {
    vec![MetricQuery { id: "m1".into(), kind: QueryKind::Metric(stat), return_data: true }]
}

/// `stats` as m1..mN (not returned) and `expression` over them as `e1`.
fn math(stats: Vec<MetricStat>, expression: String, label: &str) -> Vec<MetricQuery> {
    let mut queries: Vec<MetricQuery> = stats
        .into_iter()
        .enumerate()
        .map(|(index, stat)| MetricQuery {
            id: format!("m{}", index + 1),
            kind: QueryKind::Metric(stat),
            return_data: false,
        })
        .collect();
    queries.push(MetricQuery {
        id: "e1".into(),
        kind: QueryKind::Expression { expression, label: label.into() },
        return_data: true,
    });
    queries
}

/// `m1 + m2 + …` for `count` queries.
fn sum_of(count: usize) -> String {
    (1..=count).map(|index| format!("m{index}")).collect::<Vec<_>>().join(" + ")
}

/// Evaluation periods of a minute that cover `seconds`, at least one.
fn minutes(seconds: u32) -> i32 {
    i32::try_from(seconds.div_ceil(60)).unwrap_or(i32::MAX).max(1)
}

/// The runbook entry of an alarm: its kind, without the role or broker it is about.
pub fn runbook_anchor(what: &str) -> String {
    let kind = RoleName::ALL.iter().find_map(|role| what.strip_prefix(&format!("{}-", role.as_str()))).unwrap_or(what);
    kind.split('-').filter(|part| part.parse::<u32>().is_err()).collect::<Vec<_>>().join("-")
}

struct Builder<'a> {
    target: &'a MonitoringTarget<'a>,
    actions: Vec<String>,
    alarms: Vec<AlarmSpec>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        what: &str,
        severity: &str,
        summary: String,
        queries: Vec<MetricQuery>,
        comparison: Comparison,
        threshold: f64,
        evaluation_periods: i32,
        missing_data: MissingData,
    ) {
        let name = self.target.names.alarm(what);
        let anchor = runbook_anchor(what);
        self.alarms.push(AlarmSpec {
            description: format!(
                "[{severity}] forgectl {}: {summary}. Runbook: {RUNBOOK}#alarm-{anchor}",
                self.target.env
            ),
            name,
            queries,
            comparison,
            threshold,
            evaluation_periods,
            missing_data,
            actions: self.actions.clone(),
        });
    }
}

/// Every alarm of the environment, in a stable order; empty when the
/// tier's profile declares no `alerts:`.
pub fn desired(target: &MonitoringTarget<'_>, topic_arn: Option<&str>) -> Vec<AlarmSpec> {
    let Some(alerts) = target.profile.alerts.as_ref() else {
        return Vec::new();
    };
    let actions = vec![topic_arn.unwrap_or(PENDING_TOPIC).to_string()];
    let mut builder = Builder { target, actions, alarms: Vec::new() };
    cluster_alarms(&mut builder, alerts);
    lag_alarms(&mut builder, alerts);
    front_door_alarms(&mut builder, alerts);
    service_alarms(&mut builder, alerts);
    builder.alarms
}

fn cluster_alarms(b: &mut Builder<'_>, alerts: &AlertsSpec) {
    let cluster = b.target.cluster.clone();
    let cluster_dim = [(CLUSTER_NAME, cluster.as_str())];
    b.add(
        "msk-offline-partitions",
        "critical",
        format!("partitions of MSK cluster {cluster} have no leader"),
        single(MetricStat::new(KAFKA, "OfflinePartitionsCount", &cluster_dim, MINUTE, "Maximum")),
        Comparison::GreaterThanThreshold,
        0.0,
        1,
        MissingData::NotBreaching,
    );
    // Every broker reports whether it is the controller: the sum is the
    // number of active controllers, which must be exactly one.
    b.add(
        "msk-active-controller",
        "critical",
        format!("MSK cluster {cluster} does not have exactly one active controller"),
        math(
            vec![MetricStat::new(KAFKA, "ActiveControllerCount", &cluster_dim, MINUTE, "Sum")],
            "ABS(m1 - 1)".into(),
            "active controllers other than one",
        ),
        Comparison::GreaterThanThreshold,
        0.0,
        UNDER_REPLICATED_PERIODS,
        MissingData::Breaching,
    );
    for broker in 1..=b.target.brokers {
        let id = broker.to_string();
        let dims = [(CLUSTER_NAME, cluster.as_str()), (BROKER_ID, id.as_str())];
        b.add(
            &format!("broker-{broker}-under-replicated"),
            "critical",
            format!("broker {broker} of {cluster} has under-replicated partitions"),
            single(MetricStat::new(KAFKA, "UnderReplicatedPartitions", &dims, MINUTE, "Maximum")),
            Comparison::GreaterThanThreshold,
            0.0,
            UNDER_REPLICATED_PERIODS,
            MissingData::NotBreaching,
        );
        b.add(
            &format!("broker-{broker}-disk"),
            "critical",
            format!("broker {broker}'s data volume is over {}% full", alerts.broker_disk_used_percent),
            single(MetricStat::new(KAFKA, "KafkaDataLogsDiskUsed", &dims, FIVE_MINUTES, "Maximum")),
            Comparison::GreaterThanThreshold,
            alerts.broker_disk_used_percent,
            1,
            MissingData::NotBreaching,
        );
        b.add(
            &format!("broker-{broker}-cpu"),
            "warning",
            format!("broker {broker}'s CPU (user + system) is over {}%", alerts.broker_cpu_percent),
            math(
                vec![
                    MetricStat::new(KAFKA, "CpuUser", &dims, FIVE_MINUTES, "Average"),
                    MetricStat::new(KAFKA, "CpuSystem", &dims, FIVE_MINUTES, "Average"),
                ],
                "m1 + m2".into(),
                "CPU user + system (%)",
            ),
            Comparison::GreaterThanThreshold,
            alerts.broker_cpu_percent,
            CPU_PERIODS,
            MissingData::NotBreaching,
        );
    }
}

/// MSK publishes lag per group and topic; a group's lag is the sum over
/// its topics, as `render::alerts` sums `kafka_consumergroup_lag` by group.
fn lag_alarms(b: &mut Builder<'_>, alerts: &AlertsSpec) {
    let cluster = b.target.cluster.clone();
    for role in &b.target.profile.roles {
        let (Some(group), false) = (&role.group, role.topics.is_empty()) else {
            continue;
        };
        let per_topic = |metric: &str, stat: &str| -> Vec<MetricStat> {
            role.topics
                .iter()
                .map(|topic| {
                    let dims =
                        [(CLUSTER_NAME, cluster.as_str()), (CONSUMER_GROUP, group.as_str()), (TOPIC, topic.as_str())];
                    MetricStat::new(KAFKA, metric, &dims, MINUTE, stat)
                })
                .collect()
        };
        let count = role.topics.len();
        for (what, severity, threshold) in [
            ("lag-warning", "warning", alerts.consumer_lag_warning),
            ("lag-critical", "critical", alerts.consumer_lag_critical),
        ] {
            b.add(
                &format!("{}-{what}", role.name),
                severity,
                format!("consumer group {group} is more than {threshold} messages behind"),
                math(per_topic("SumOffsetLag", "Maximum"), sum_of(count), "messages behind"),
                Comparison::GreaterThanThreshold,
                threshold as f64,
                minutes(alerts.consumer_lag_for_seconds),
                MissingData::NotBreaching,
            );
        }
        let slowest = format!("MAX([{}])", (1..=count).map(|i| format!("m{i}")).collect::<Vec<_>>().join(", "));
        b.add(
            &format!("{}-lag-time", role.name),
            "critical",
            format!("consumer group {group} is more than {} s behind", alerts.consumer_lag_max_seconds),
            math(per_topic("EstimatedMaxTimeLag", "Maximum"), slowest, "seconds behind"),
            Comparison::GreaterThanThreshold,
            f64::from(alerts.consumer_lag_max_seconds),
            minutes(alerts.consumer_lag_for_seconds),
            MissingData::NotBreaching,
        );
    }
}

fn front_door_alarms(b: &mut Builder<'_>, alerts: &AlertsSpec) {
    let (Some(load_balancer), Some(target_group)) = (b.target.load_balancer.clone(), b.target.target_group.clone())
    else {
        return;
    };
    let lb = [("LoadBalancer", load_balancer.as_str())];
    let upload_periods = minutes(alerts.upload_for_seconds);
    b.add(
        "api-5xx",
        "critical",
        format!("more than {}% of the API's requests fail with a 5xx from the producers", alerts.upload_error_percent),
        math(
            vec![
                MetricStat::new(ELB, "HTTPCode_Target_5XX_Count", &lb, MINUTE, "Sum"),
                MetricStat::new(ELB, "RequestCount", &lb, MINUTE, "Sum"),
            ],
            "IF(m2 > 0, 100 * m1 / m2, 0)".into(),
            "target 5xx (%)",
        ),
        Comparison::GreaterThanThreshold,
        alerts.upload_error_percent,
        upload_periods,
        MissingData::NotBreaching,
    );
    b.add(
        "api-unhealthy-hosts",
        "critical",
        "a producer instance fails the load balancer's health check".into(),
        single(MetricStat::new(
            ELB,
            "UnHealthyHostCount",
            &[("LoadBalancer", load_balancer.as_str()), ("TargetGroup", target_group.as_str())],
            MINUTE,
            "Maximum",
        )),
        Comparison::GreaterThanThreshold,
        0.0,
        minutes(alerts.instance_down_for_seconds),
        MissingData::NotBreaching,
    );
    b.add(
        "api-p99-latency",
        "warning",
        format!("the API's p99 response time is over {} ms", alerts.upload_p99_ms),
        single(MetricStat::new(ELB, "TargetResponseTime", &lb, MINUTE, "p99")),
        Comparison::GreaterThanThreshold,
        f64::from(alerts.upload_p99_ms) / 1000.0,
        upload_periods,
        MissingData::NotBreaching,
    );
}

/// From the services' own metrics, which the CloudWatch agent publishes.
fn service_alarms(b: &mut Builder<'_>, alerts: &AlertsSpec) {
    let env = b.target.env.to_string();
    let dims = |role: RoleName| {
        [(services::DIMENSION_ENVIRONMENT, env.clone()), (services::DIMENSION_ROLE, role.as_str().to_string())]
    };
    let stat = |role: RoleName, metric: &str, period: i32| {
        let dims = dims(role);
        let pairs: Vec<(&str, &str)> = dims.iter().map(|(name, value)| (*name, value.as_str())).collect();
        MetricStat::new(services::NAMESPACE, metric, &pairs, period, "Sum")
    };
    if b.target.profile.role(RoleName::Producer).is_some() {
        b.add(
            "api-shed",
            "warning",
            format!("more than {}% of the producers' requests are shed with 429/503", alerts.upload_throttled_percent),
            math(
                vec![
                    stat(RoleName::Producer, services::PRODUCER_UPLOADS_SHED_TOTAL, MINUTE),
                    stat(RoleName::Producer, services::PRODUCER_REQUESTS_TOTAL, MINUTE),
                ],
                "IF(m2 > 0, 100 * m1 / m2, 0)".into(),
                "shed (%)",
            ),
            Comparison::GreaterThanThreshold,
            alerts.upload_throttled_percent,
            minutes(alerts.upload_for_seconds),
            MissingData::NotBreaching,
        );
    }
    let consumers: Vec<RoleName> =
        b.target.profile.roles.iter().filter(|role| role.group.is_some()).map(|role| role.name).collect();
    for role in consumers {
        b.add(
            &format!("{role}-dead-letters"),
            "warning",
            format!(
                "{role} sent more than {} record(s) to a dead-letter topic in 5 minutes",
                alerts.dead_letters_per_5m
            ),
            single(stat(role, services::CONSUMER_DLQ_TOTAL, FIVE_MINUTES)),
            Comparison::GreaterThanThreshold,
            alerts.dead_letters_per_5m as f64,
            1,
            MissingData::NotBreaching,
        );
        b.add(
            &format!("{role}-messages-lost"),
            "critical",
            format!("messages left Kafka before {role} stored them"),
            single(stat(role, services::CONSUMER_MESSAGES_LOST_TOTAL, FIVE_MINUTES)),
            Comparison::GreaterThanThreshold,
            0.0,
            1,
            MissingData::NotBreaching,
        );
    }
}
