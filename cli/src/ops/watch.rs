//! `forgectl status --watch`: the pipeline's live numbers, read from the
//! Prometheus that scrapes the environment, one snapshot per interval.
//! Returns data through a callback; the view prints it.

use std::time::Duration;

use serde::Serialize;

use crate::observe::{sparkline, FiringAlert, ObserveError, Prometheus, Sample};
use crate::profile::Profile;

/// How far back the lag trend reaches, and how many points it has.
const TREND_WINDOW: Duration = Duration::from_secs(10 * 60);
const TREND_POINTS: u64 = 30;
const UPLOADS: &str = r#"route=~"/v1/uploads/.*""#;

#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub prometheus_url: String,
    pub environment: String,
    pub profile: Profile,
    pub interval: Duration,
    /// Stop after this many snapshots; `None` runs until interrupted.
    pub count: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindRate {
    pub kind: String,
    pub uploads_per_second: f64,
    /// `None` until the kind has traffic.
    pub p99_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupLag {
    pub group: String,
    /// `None` when Kafka reports no committed offsets for the group yet.
    pub lag: Option<f64>,
    pub trend: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleCount {
    pub role: String,
    pub running: u64,
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelValue {
    pub label: String,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchSnapshot {
    pub environment: String,
    pub tier: String,
    /// Seconds since the Unix epoch.
    pub at: u64,
    pub uploads: Vec<KindRate>,
    pub lag: Vec<GroupLag>,
    pub rows_per_second: Vec<LabelValue>,
    pub dead_letters_5m: Vec<LabelValue>,
    pub instances: Vec<RoleCount>,
    pub alerts: Vec<FiringAlert>,
}

fn by_label(samples: &[Sample], label: &str) -> Vec<LabelValue> {
    let mut values: Vec<LabelValue> = samples
        .iter()
        .map(|s| LabelValue { label: s.labels.get(label).cloned().unwrap_or_default(), value: s.value })
        .collect();
    values.sort_by(|a, b| a.label.cmp(&b.label));
    values
}

fn kind_of(route: &str) -> String {
    route.rsplit('/').next().unwrap_or(route).to_string()
}

/// One snapshot of the environment.
pub async fn snapshot(prometheus: &Prometheus, options: &WatchOptions) -> Result<WatchSnapshot, ObserveError> {
    let env = format!("environment=\"{}\"", options.environment);
    let rates =
        prometheus.query(&format!("sum by (route) (rate(producer_requests_total{{{UPLOADS},{env}}}[1m]))")).await?;
    let p99 = prometheus
        .query(&format!(
            "histogram_quantile(0.99, sum by (route, le) (rate(producer_request_duration_seconds_bucket{{{UPLOADS},{env}}}[1m]))) * 1000"
        ))
        .await?;
    let mut uploads: Vec<KindRate> = rates
        .iter()
        .map(|rate| {
            let route = rate.labels.get("route").cloned().unwrap_or_default();
            let p99_ms =
                p99.iter().find(|q| q.labels.get("route") == Some(&route)).map(|q| q.value).filter(|v| v.is_finite());
            KindRate { kind: kind_of(&route), uploads_per_second: rate.value, p99_ms }
        })
        .collect();
    uploads.sort_by(|a, b| a.kind.cmp(&b.kind));

    let groups: Vec<&str> = options.profile.roles.iter().filter_map(|role| role.group.as_deref()).collect();
    let lag_query = format!("sum by (group) (kafka_consumergroup_lag{{group=~\"{}\"}})", groups.join("|"));
    let lag_now = prometheus.query(&lag_query).await?;
    let step = TREND_WINDOW / TREND_POINTS as u32;
    let lag_trend = prometheus.query_range(&lag_query, TREND_WINDOW, step).await?;
    let lag = groups
        .iter()
        .map(|group| GroupLag {
            group: group.to_string(),
            lag: lag_now.iter().find(|s| s.labels.get("group").map(String::as_str) == Some(group)).map(|s| s.value),
            trend: lag_trend
                .iter()
                .find(|(labels, _)| labels.get("group").map(String::as_str) == Some(group))
                .map(|(_, values)| sparkline(values))
                .unwrap_or_default(),
        })
        .collect();

    let rows = prometheus.query(&format!("sum by (sink) (rate(consumer_rows_written_total{{{env}}}[1m]))")).await?;
    let dead = prometheus.query(&format!("sum by (topic) (increase(consumer_dlq_total{{{env}}}[5m]))")).await?;
    let up = prometheus.query(&format!("count by (role) (up{{{env}}} == 1)")).await?;
    let instances = options
        .profile
        .roles
        .iter()
        .map(|role| RoleCount {
            role: role.name.to_string(),
            running: up
                .iter()
                .find(|s| s.labels.get("role").map(String::as_str) == Some(role.name.as_str()))
                .map(|s| s.value as u64)
                .unwrap_or(0),
            min: role.min,
            max: role.max,
        })
        .collect();
    // The environment's alerts: its own instances', and its groups' lag.
    let alerts = prometheus
        .firing_alerts()
        .await?
        .into_iter()
        .filter(|alert| match alert.labels.get("environment") {
            Some(environment) => *environment == options.environment,
            None => alert.labels.get("group").is_some_and(|group| groups.contains(&group.as_str())),
        })
        .collect();
    let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    Ok(WatchSnapshot {
        environment: options.environment.clone(),
        tier: options.profile.tier.clone(),
        at,
        uploads,
        lag,
        rows_per_second: by_label(&rows, "sink"),
        dead_letters_5m: by_label(&dead, "topic"),
        instances,
        alerts,
    })
}

/// Takes a snapshot every `interval` and hands it to `show`, `count` times
/// (or until interrupted).
pub async fn watch(options: &WatchOptions, mut show: impl FnMut(&WatchSnapshot)) -> Result<u64, ObserveError> {
    let prometheus = Prometheus::new(&options.prometheus_url)?;
    let mut taken = 0;
    let mut ticker = tokio::time::interval(options.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while options.count.is_none_or(|count| taken < count) {
        ticker.tick().await;
        show(&snapshot(&prometheus, options).await?);
        taken += 1;
    }
    Ok(taken)
}
