//! CloudWatch: the environment's metric alarms and its dashboard, as
//! forgectl's own types. Every alarm is written in the metric-math form
//! (`Metrics`), a single metric included, so one shape covers them all
//! and an alarm reads back the way it was written.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat as SdkMetricStat, Tag,
};
use aws_sdk_cloudwatch::Client;
use serde::Serialize;

use super::call::Call;
use super::error::AwsError;

/// One metric, reduced by one statistic over one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricStat {
    pub namespace: String,
    pub metric: String,
    /// Sorted by name: CloudWatch does not promise to keep their order.
    pub dimensions: Vec<(String, String)>,
    pub period_seconds: i32,
    /// `Sum`, `Maximum`, `Average`, `p99`...
    pub stat: String,
}

impl MetricStat {
    pub fn new(namespace: &str, metric: &str, dimensions: &[(&str, &str)], period_seconds: i32, stat: &str) -> Self {
        let mut dimensions: Vec<(String, String)> =
            dimensions.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        dimensions.sort();
        MetricStat { namespace: namespace.into(), metric: metric.into(), dimensions, period_seconds, stat: stat.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueryKind {
    Metric(MetricStat),
    /// Metric math over the other queries' IDs, e.g. `m1 + m2`.
    Expression {
        expression: String,
        label: String,
    },
}

/// One entry of an alarm's `Metrics`; exactly one returns data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricQuery {
    pub id: String,
    pub kind: QueryKind,
    pub return_data: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    GreaterThanThreshold,
    LessThanThreshold,
}

impl Comparison {
    fn sdk(self) -> ComparisonOperator {
        match self {
            Comparison::GreaterThanThreshold => ComparisonOperator::GreaterThanThreshold,
            Comparison::LessThanThreshold => ComparisonOperator::LessThanThreshold,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "GreaterThanThreshold" => Some(Comparison::GreaterThanThreshold),
            "LessThanThreshold" => Some(Comparison::LessThanThreshold),
            _ => None,
        }
    }
}

/// How a period without data counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MissingData {
    /// No data is good news (no errors, no dead letters).
    NotBreaching,
    /// No data is itself the problem (no controller reports).
    Breaching,
}

impl MissingData {
    fn as_str(self) -> &'static str {
        match self {
            MissingData::NotBreaching => "notBreaching",
            MissingData::Breaching => "breaching",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "notBreaching" => Some(MissingData::NotBreaching),
            "breaching" => Some(MissingData::Breaching),
            _ => None,
        }
    }
}

/// An alarm as forgectl writes it: one action list serves both the alarm
/// and the OK transition, so the pager hears when it recovers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmSpec {
    pub name: String,
    pub description: String,
    pub queries: Vec<MetricQuery>,
    pub comparison: Comparison,
    pub threshold: f64,
    pub evaluation_periods: i32,
    pub missing_data: MissingData,
    pub actions: Vec<String>,
}

/// An alarm as CloudWatch holds it. `spec` is `None` when the alarm has a
/// shape forgectl does not write (another comparison, other actions per
/// state): it differs from anything desired and is rewritten.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedAlarm {
    pub name: String,
    pub arn: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub spec: Option<AlarmSpec>,
}

fn sdk_query(query: &MetricQuery) -> MetricDataQuery {
    let builder = MetricDataQuery::builder().id(&query.id).return_data(query.return_data);
    match &query.kind {
        QueryKind::Metric(stat) => {
            let dimensions =
                stat.dimensions.iter().map(|(name, value)| Dimension::builder().name(name).value(value).build());
            let metric = Metric::builder()
                .namespace(&stat.namespace)
                .metric_name(&stat.metric)
                .set_dimensions(Some(dimensions.collect()))
                .build();
            let stat = SdkMetricStat::builder().metric(metric).period(stat.period_seconds).stat(&stat.stat).build();
            builder.metric_stat(stat).build()
        }
        QueryKind::Expression { expression, label } => builder.expression(expression).label(label).build(),
    }
}

/// Creates the alarm or replaces its whole definition. Tags count only when
/// it is created (CloudWatch ignores them on an update).
pub async fn put_alarm(client: &Client, alarm: &AlarmSpec, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let call = Call::new("cloudwatch:PutMetricAlarm", format!("alarm {}", alarm.name));
    let tags = tags.iter().map(|(key, value)| Tag::builder().key(key).value(value).build());
    let request = client
        .put_metric_alarm()
        .alarm_name(&alarm.name)
        .alarm_description(&alarm.description)
        .set_metrics(Some(alarm.queries.iter().map(sdk_query).collect()))
        .comparison_operator(alarm.comparison.sdk())
        .threshold(alarm.threshold)
        .evaluation_periods(alarm.evaluation_periods)
        .treat_missing_data(alarm.missing_data.as_str())
        .actions_enabled(true)
        .set_alarm_actions(Some(alarm.actions.clone()))
        .set_ok_actions(Some(alarm.actions.clone()))
        .set_tags(Some(tags.collect()));
    call.send(request.send()).await?;
    Ok(())
}

/// The metric alarms whose names start with `prefix`.
pub async fn alarms_named(client: &Client, prefix: &str) -> Result<Vec<ObservedAlarm>, AwsError> {
    let call = Call::new("cloudwatch:DescribeAlarms", format!("alarms {prefix}*"));
    let mut pages =
        client.describe_alarms().alarm_name_prefix(prefix).alarm_types(AlarmType::MetricAlarm).into_paginator().send();
    let mut alarms = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| call.error(err))?;
        for alarm in page.metric_alarms() {
            alarms.push(observed(&call, alarm)?);
        }
    }
    Ok(alarms)
}

fn observed(call: &Call<'_>, alarm: &MetricAlarm) -> Result<ObservedAlarm, AwsError> {
    let name = call.required_str(alarm.alarm_name(), "MetricAlarms[].AlarmName")?;
    let call = call.about(format!("alarm {name}"));
    let arn = call.required_str(alarm.alarm_arn(), "AlarmArn")?;
    let state = call.required(alarm.state_value(), "StateValue")?.as_str().to_string();
    Ok(ObservedAlarm { spec: spec_of(&name, alarm), name, arn, state })
}

fn dimensions_of(dimensions: &[Dimension]) -> Option<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> =
        dimensions.iter().map(|d| Some((d.name()?.to_string(), d.value()?.to_string()))).collect::<Option<Vec<_>>>()?;
    pairs.sort();
    Some(pairs)
}

fn query_of(query: &MetricDataQuery) -> Option<MetricQuery> {
    let id = query.id()?.to_string();
    // CloudWatch's default for ReturnData is true.
    let return_data = query.return_data().unwrap_or(true);
    let kind = match (query.metric_stat(), query.expression()) {
        (Some(stat), None) => {
            let metric = stat.metric()?;
            QueryKind::Metric(MetricStat {
                namespace: metric.namespace()?.to_string(),
                metric: metric.metric_name()?.to_string(),
                dimensions: dimensions_of(metric.dimensions())?,
                period_seconds: stat.period()?,
                stat: stat.stat()?.to_string(),
            })
        }
        (None, Some(expression)) => QueryKind::Expression {
            expression: expression.to_string(),
            label: query.label().unwrap_or_default().to_string(),
        },
        _ => return None,
    };
    Some(MetricQuery { id, kind, return_data })
}

/// The alarm in forgectl's shape, or `None` if it has another one.
fn spec_of(name: &str, alarm: &MetricAlarm) -> Option<AlarmSpec> {
    if alarm.alarm_actions() != alarm.ok_actions() || alarm.metrics().is_empty() {
        return None;
    }
    Some(AlarmSpec {
        name: name.to_string(),
        description: alarm.alarm_description().unwrap_or_default().to_string(),
        queries: alarm.metrics().iter().map(query_of).collect::<Option<Vec<_>>>()?,
        comparison: Comparison::parse(alarm.comparison_operator()?.as_str())?,
        threshold: alarm.threshold()?,
        evaluation_periods: alarm.evaluation_periods()?,
        missing_data: MissingData::parse(alarm.treat_missing_data().unwrap_or("missing"))?,
        actions: alarm.alarm_actions().to_vec(),
    })
}

pub async fn alarm_tags(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let call = Call::new("cloudwatch:ListTagsForResource", format!("alarm {arn}"));
    let output = call.send(client.list_tags_for_resource().resource_arn(arn).send()).await?;
    output
        .tags()
        .iter()
        .map(|tag| Ok((call.required_str(tag.key(), "Tags[].Key")?, call.required_str(tag.value(), "Tags[].Value")?)))
        .collect()
}

/// CloudWatch deletes at most this many alarms per call.
const DELETE_ALARMS_BATCH: usize = 100;

pub async fn delete_alarms(client: &Client, names: &[String]) -> Result<(), AwsError> {
    for batch in names.chunks(DELETE_ALARMS_BATCH) {
        let call = Call::new("cloudwatch:DeleteAlarms", format!("alarms {}", batch.join(", ")));
        call.send(client.delete_alarms().set_alarm_names(Some(batch.to_vec())).send()).await?;
    }
    Ok(())
}

/// The dashboard's body (JSON text), if it exists.
pub async fn dashboard(client: &Client, name: &str) -> Result<Option<String>, AwsError> {
    let call = Call::new("cloudwatch:GetDashboard", format!("dashboard {name}"));
    let Some(output) = call.send_or_absent(client.get_dashboard().dashboard_name(name).send()).await? else {
        return Ok(None);
    };
    call.required_str(output.dashboard_body(), "DashboardBody").map(Some)
}

pub async fn put_dashboard(client: &Client, name: &str, body: &str) -> Result<(), AwsError> {
    let call = Call::new("cloudwatch:PutDashboard", format!("dashboard {name}"));
    call.send(client.put_dashboard().dashboard_name(name).dashboard_body(body).send()).await?;
    Ok(())
}

pub async fn delete_dashboard(client: &Client, name: &str) -> Result<(), AwsError> {
    let call = Call::new("cloudwatch:DeleteDashboards", format!("dashboard {name}"));
    call.send_or_absent(client.delete_dashboards().dashboard_names(name).send()).await?;
    Ok(())
}
