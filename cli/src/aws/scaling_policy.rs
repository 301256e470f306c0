//! Target tracking on a customized metric (CloudWatch metric math), and the
//! group metrics such a metric divides by. AWS references:
//! `TargetTrackingConfiguration`, `CustomizedMetricSpecification`,
//! `TargetTrackingMetricDataQuery` and `EnableMetricsCollection` in the
//! Amazon EC2 Auto Scaling API Reference.

use aws_sdk_autoscaling::types::{
    CustomizedMetricSpecification, Metric, MetricDimension, TargetTrackingConfiguration, TargetTrackingMetricDataQuery,
    TargetTrackingMetricStat,
};
use aws_sdk_autoscaling::Client;
use serde::Serialize;

use super::call::Call;
use super::error::AwsError;

/// Group metrics are published at this granularity, the only one AWS offers.
const GROUP_METRICS_GRANULARITY: &str = "1Minute";

/// One CloudWatch metric and the statistic taken of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricStat {
    pub namespace: String,
    pub metric_name: String,
    /// (name, value), in the order AWS is given them.
    pub dimensions: Vec<(String, String)>,
    /// `Average`, `Maximum`, `Sum`...
    pub stat: String,
}

/// One query of the metric math: a metric, or an expression over the ids
/// of other queries. Exactly one query returns data: the tracked value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricQuery {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricStat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub return_data: bool,
}

/// A target-tracking policy on a metric math result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackedMetric {
    pub target: f64,
    pub metrics: Vec<MetricQuery>,
}

fn to_sdk(query: &MetricQuery) -> TargetTrackingMetricDataQuery {
    let metric_stat = query.metric.as_ref().map(|stat| {
        let dimensions =
            stat.dimensions.iter().map(|(name, value)| MetricDimension::builder().name(name).value(value).build());
        let metric = Metric::builder()
            .namespace(&stat.namespace)
            .metric_name(&stat.metric_name)
            .set_dimensions(Some(dimensions.collect()))
            .build();
        TargetTrackingMetricStat::builder().metric(metric).stat(&stat.stat).build()
    });
    TargetTrackingMetricDataQuery::builder()
        .id(&query.id)
        .set_expression(query.expression.clone())
        .set_metric_stat(metric_stat)
        .set_label(query.label.clone())
        .return_data(query.return_data)
        .build()
}

fn from_sdk(call: &Call, query: &TargetTrackingMetricDataQuery) -> Result<MetricQuery, AwsError> {
    let metric = match query.metric_stat() {
        None => None,
        Some(stat) => {
            let metric = call.required(stat.metric(), "Metrics[].MetricStat.Metric")?;
            let dimensions = metric
                .dimensions()
                .iter()
                .map(|dimension| {
                    Ok((
                        call.required_str(dimension.name(), "Metrics[].MetricStat.Metric.Dimensions[].Name")?,
                        call.required_str(dimension.value(), "Metrics[].MetricStat.Metric.Dimensions[].Value")?,
                    ))
                })
                .collect::<Result<_, AwsError>>()?;
            Some(MetricStat {
                namespace: call.required_str(metric.namespace(), "Metrics[].MetricStat.Metric.Namespace")?,
                metric_name: call.required_str(metric.metric_name(), "Metrics[].MetricStat.Metric.MetricName")?,
                dimensions,
                stat: call.required_str(stat.stat(), "Metrics[].MetricStat.Stat")?,
            })
        }
    };
    Ok(MetricQuery {
        id: call.required_str(query.id(), "Metrics[].Id")?,
        expression: query.expression().map(str::to_string),
        metric,
        label: query.label().map(str::to_string),
        // AWS's default when the field is left out.
        return_data: query.return_data().unwrap_or(true),
    })
}

/// The group's target-tracking policy `policy` on metric math, if it exists
/// and tracks metric math; a policy of that name on anything else reads as
/// one with no queries, so the plan puts it back.
pub async fn tracked_metric(client: &Client, group: &str, policy: &str) -> Result<Option<TrackedMetric>, AwsError> {
    let call = Call::new("autoscaling:DescribePolicies", format!("scaling policy {policy} of {group}"));
    let output =
        call.send(client.describe_policies().auto_scaling_group_name(group).policy_names(policy).send()).await?;
    let Some(found) = output.scaling_policies().iter().find(|found| found.policy_name() == Some(policy)) else {
        return Ok(None);
    };
    let Some(config) = found.target_tracking_configuration() else {
        return Ok(Some(TrackedMetric { target: 0.0, metrics: Vec::new() }));
    };
    let metrics = config
        .customized_metric_specification()
        .map(|spec| spec.metrics().iter().map(|query| from_sdk(&call, query)).collect::<Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();
    let target = call.required(config.target_value(), "TargetTrackingConfiguration.TargetValue")?;
    Ok(Some(TrackedMetric { target, metrics }))
}

/// PutScalingPolicy: the metric math's result held at `tracked.target`.
pub async fn put_tracked_metric(
    client: &Client,
    group: &str,
    policy: &str,
    tracked: &TrackedMetric,
) -> Result<(), AwsError> {
    let call = Call::new("autoscaling:PutScalingPolicy", format!("scaling policy {policy} of {group}"));
    let queries = tracked.metrics.iter().map(to_sdk).collect();
    let spec = CustomizedMetricSpecification::builder().set_metrics(Some(queries)).build();
    let tracking = TargetTrackingConfiguration::builder()
        .customized_metric_specification(spec)
        .target_value(tracked.target)
        .build();
    super::autoscaling::put_target_tracking(client, &call, group, policy, tracking).await
}

/// EnableMetricsCollection: the group publishes `metrics` to CloudWatch
/// (namespace `AWS/AutoScaling`, dimension `AutoScalingGroupName`).
pub async fn enable_group_metrics(client: &Client, group: &str, metrics: &[&str]) -> Result<(), AwsError> {
    let call = Call::new("autoscaling:EnableMetricsCollection", format!("Auto Scaling group {group}"));
    let request = client
        .enable_metrics_collection()
        .auto_scaling_group_name(group)
        .set_metrics(Some(metrics.iter().map(|metric| metric.to_string()).collect()))
        .granularity(GROUP_METRICS_GRANULARITY)
        .send();
    call.send(request).await?;
    Ok(())
}
