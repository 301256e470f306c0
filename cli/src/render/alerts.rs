//! The pipeline's alerts as Prometheus alerting rules: the local
//! counterparts of the CloudWatch alarms, written by `forgectl render
//! prometheus` and loaded by the local stack's Prometheus.
//!
//! The metrics come from three places: the services' own `/metrics`
//! (`producer_*`, `consumer_*`), the scrape itself (`up`, with the `role`
//! label the local provider's service discovery sets) and a group-lag
//! exporter that reads committed offsets and high watermarks from Kafka
//! (`kafka_consumergroup_lag`), the counterpart of MSK's `SumOffsetLag`.
//! Lag comes from Kafka rather than from the consumers because the alert
//! must fire exactly when the consumers are gone.
//!
//! `MessagesLost` pages on any increase of the consumer's
//! `consumer_messages_lost_total`: messages that left Kafka (retention, a
//! recreated topic) before their group stored them; see services/README.md.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::profile::{AlertsSpec, Profile};

/// The routes of the upload API, whatever the kind.
const UPLOAD_ROUTES: &str = r#"route=~"/v1/uploads/.*""#;
/// Where each alert's runbook entry lives.
const RUNBOOK: &str = "docs/operations.md";

/// One Prometheus rule file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleFile {
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleGroup {
    pub name: String,
    pub rules: Vec<AlertRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRule {
    pub alert: String,
    pub expr: String,
    /// A Prometheus duration, e.g. `60s`.
    #[serde(rename = "for")]
    pub pending: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    /// Someone should look during working hours.
    Warning,
    /// Page: users are or will soon be affected.
    Critical,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

fn rule(
    alert: &str,
    expr: String,
    pending_seconds: u32,
    severity: Severity,
    extra_labels: &[(&str, &str)],
    summary: String,
) -> AlertRule {
    let mut labels: BTreeMap<String, String> =
        extra_labels.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect();
    labels.insert("severity".into(), severity.as_str().into());
    let annotations = BTreeMap::from([
        ("summary".to_string(), summary),
        ("runbook".to_string(), format!("{RUNBOOK}#{}", alert.to_lowercase())),
    ]);
    AlertRule { alert: alert.to_string(), expr, pending: format!("{pending_seconds}s"), labels, annotations }
}

/// The alert rules of `profile`'s tier, or `None` when its profile sets no
/// `alerts:` thresholds.
pub fn alert_rules(profile: &Profile) -> Option<RuleFile> {
    let alerts = profile.alerts.as_ref()?;
    let mut rules = lag_rules(profile, alerts);
    rules.extend(upload_rules(alerts));
    rules.push(rule(
        "DeadLetters",
        format!("sum by (environment, topic) (increase(consumer_dlq_total[5m])) > {}", alerts.dead_letters_per_5m),
        0,
        Severity::Warning,
        &[],
        "{{ $value | printf \"%.0f\" }} record(s) of {{ $labels.topic }} went to its dead-letter topic in 5 minutes"
            .into(),
    ));
    rules.push(rule(
        "MessagesLost",
        "sum by (environment, topic) (increase(consumer_messages_lost_total[5m])) > 0".into(),
        0,
        Severity::Critical,
        &[],
        "{{ $value | printf \"%.0f\" }} message(s) of {{ $labels.topic }} left Kafka before the consumer stored them"
            .into(),
    ));
    rules.push(rule(
        "InstanceDown",
        "up{role!=\"\"} == 0".into(),
        alerts.instance_down_for_seconds,
        Severity::Critical,
        &[],
        "{{ $labels.role }} instance {{ $labels.instance }} does not answer its metrics scrape".into(),
    ));
    Some(RuleFile { groups: vec![RuleGroup { name: format!("forgectl-{}", profile.tier), rules }] })
}

/// One warning and one critical rule per consumer group, with the group in
/// the expression so each group's lag is judged on its own.
fn lag_rules(profile: &Profile, alerts: &AlertsSpec) -> Vec<AlertRule> {
    let mut rules = Vec::new();
    for role in &profile.roles {
        let Some(group) = &role.group else {
            continue;
        };
        for (alert, threshold, severity) in [
            ("ConsumerLagHigh", alerts.consumer_lag_warning, Severity::Warning),
            ("ConsumerLagCritical", alerts.consumer_lag_critical, Severity::Critical),
        ] {
            rules.push(rule(
                alert,
                format!("sum by (group) (kafka_consumergroup_lag{{group=\"{group}\"}}) > {threshold}"),
                alerts.consumer_lag_for_seconds,
                severity,
                &[("role", role.name.as_str())],
                format!("consumer group {{{{ $labels.group }}}} is {{{{ $value }}}} messages behind (threshold {threshold})"),
            ));
        }
    }
    rules
}

fn upload_rules(alerts: &AlertsSpec) -> Vec<AlertRule> {
    let total = format!("sum by (environment) (rate(producer_requests_total{{{UPLOAD_ROUTES}}}[1m]))");
    let share = |statuses: &str| {
        format!(
            "sum by (environment) (rate(producer_requests_total{{{UPLOAD_ROUTES},{statuses}}}[1m])) / {total} * 100"
        )
    };
    vec![
        rule(
            "UploadsThrottled",
            format!("{} > {}", share(r#"status=~"429|503""#), alerts.upload_throttled_percent),
            alerts.upload_for_seconds,
            Severity::Warning,
            &[],
            "{{ $value | printf \"%.1f\" }}% of uploads are answered 429/503 (back-pressure)".into(),
        ),
        rule(
            "UploadErrors",
            format!("{} > {}", share(r#"status=~"5..",status!="503""#), alerts.upload_error_percent),
            alerts.upload_for_seconds,
            Severity::Critical,
            &[],
            "{{ $value | printf \"%.1f\" }}% of uploads fail with a server error".into(),
        ),
        rule(
            "UploadLatencyHigh",
            format!(
                "histogram_quantile(0.99, sum by (environment, le) (rate(producer_request_duration_seconds_bucket{{{UPLOAD_ROUTES}}}[5m]))) * 1000 > {}",
                alerts.upload_p99_ms
            ),
            alerts.upload_for_seconds,
            Severity::Warning,
            &[],
            "upload p99 latency is {{ $value | printf \"%.0f\" }} ms".into(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{load_tier, ProfileSource, ResolveOptions};

    fn tier(name: &str) -> Profile {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles");
        let source = ProfileSource::resolve(Some(&dir)).unwrap_or_else(|err| panic!("{err}"));
        load_tier(&source, name, ResolveOptions::default()).unwrap_or_else(|err| panic!("{err}"))
    }

    #[test]
    fn every_group_gets_a_warning_and_a_critical_lag_rule() {
        let profile = tier("25k");
        let file = alert_rules(&profile).unwrap_or_else(|| panic!("25k has alerts"));
        let lag: Vec<&AlertRule> = file.groups[0].rules.iter().filter(|r| r.alert.starts_with("ConsumerLag")).collect();
        assert_eq!(lag.len(), 6);
        assert!(lag.iter().any(|r| r.expr.contains("\"sms-consumer-group\"") && r.expr.ends_with("> 1000")));
        assert!(lag.iter().all(|r| r.pending == "60s"));
    }

    #[test]
    fn a_profile_without_alerts_renders_none() {
        let mut profile = tier("25k");
        profile.alerts = None;
        assert_eq!(alert_rules(&profile), None);
    }
}
