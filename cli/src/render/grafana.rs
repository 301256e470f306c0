//! A Grafana dashboard for the pipeline (`forgectl render grafana`): the
//! panels of the CloudWatch dashboard, over the same Prometheus metrics the
//! alert rules use (see `alerts`). Built from typed panels and serialised
//! with serde, so the JSON is always well-formed.

use serde::Serialize;

use crate::profile::Profile;

/// The Grafana dashboard JSON model version these fields follow.
const SCHEMA_VERSION: u32 = 39;
/// Panels are laid out two per row on Grafana's 24-column grid.
const PANEL_WIDTH: u32 = 12;
const PANEL_HEIGHT: u32 = 8;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub uid: String,
    pub title: String,
    pub tags: Vec<String>,
    pub timezone: String,
    pub schema_version: u32,
    /// Refresh period, e.g. `10s`.
    pub refresh: String,
    pub time: TimeRange,
    pub templating: Templating,
    pub panels: Vec<Panel>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeRange {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Templating {
    pub list: Vec<Variable>,
}

/// The data-source variable: the dashboard works with whichever Prometheus
/// the operator picks on import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variable {
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub query: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Panel {
    pub id: u32,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub datasource: DataSource,
    pub grid_pos: GridPos,
    pub field_config: FieldConfig,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSource {
    #[serde(rename = "type")]
    pub kind: String,
    pub uid: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridPos {
    pub h: u32,
    pub w: u32,
    pub x: u32,
    pub y: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldConfig {
    pub defaults: FieldDefaults,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDefaults {
    /// Grafana unit id, e.g. `reqps`, `ms`, `short`.
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub ref_id: String,
    pub expr: String,
    pub legend_format: String,
}

struct PanelSpec {
    title: &'static str,
    unit: &'static str,
    queries: Vec<(String, String)>,
}

fn panel_specs(profile: &Profile) -> Vec<PanelSpec> {
    let uploads = r#"route=~"/v1/uploads/.*""#;
    let quantile = |q: &str| {
        format!(
            "histogram_quantile({q}, sum by (route, le) (rate(producer_request_duration_seconds_bucket{{{uploads}}}[5m]))) * 1000"
        )
    };
    let mut ladder = vec![("count by (role) (up{role!=\"\"} == 1)".to_string(), "{{role}} running".to_string())];
    for role in &profile.roles {
        ladder.push((format!("vector({})", role.min), format!("{} min", role.name)));
        ladder.push((format!("vector({})", role.max), format!("{} max", role.name)));
    }
    vec![
        PanelSpec {
            title: "Upload rate by kind",
            unit: "reqps",
            queries: vec![(
                format!("sum by (route) (rate(producer_requests_total{{{uploads}}}[1m]))"),
                "{{route}}".into(),
            )],
        },
        PanelSpec {
            title: "Upload latency p50 / p99",
            unit: "ms",
            queries: vec![(quantile("0.5"), "p50 {{route}}".into()), (quantile("0.99"), "p99 {{route}}".into())],
        },
        PanelSpec {
            title: "Upload answers by status",
            unit: "reqps",
            queries: vec![(
                format!("sum by (status) (rate(producer_requests_total{{{uploads}}}[1m]))"),
                "{{status}}".into(),
            )],
        },
        PanelSpec {
            title: "Messages consumed per topic",
            unit: "short",
            queries: vec![("sum by (topic) (rate(consumer_messages_consumed_total[1m]))".into(), "{{topic}}".into())],
        },
        PanelSpec {
            title: "Lag per consumer group",
            unit: "short",
            queries: vec![("sum by (group) (kafka_consumergroup_lag)".into(), "{{group}}".into())],
        },
        PanelSpec {
            title: "Rows written per sink",
            unit: "short",
            queries: vec![("sum by (sink) (rate(consumer_rows_written_total[1m]))".into(), "{{sink}}".into())],
        },
        PanelSpec {
            title: "Dead letters per topic",
            unit: "short",
            queries: vec![("sum by (topic) (increase(consumer_dlq_total[5m]))".into(), "{{topic}}".into())],
        },
        PanelSpec { title: "Instances per role against the ladder", unit: "short", queries: ladder },
    ]
}

/// The dashboard of `profile`'s tier in `environment`.
pub fn dashboard(profile: &Profile, environment: &str) -> Dashboard {
    let datasource = DataSource { kind: "prometheus".into(), uid: "${datasource}".into() };
    let panels = panel_specs(profile)
        .into_iter()
        .enumerate()
        .map(|(index, spec)| {
            let index = index as u32;
            Panel {
                id: index + 1,
                title: spec.title.to_string(),
                kind: "timeseries".into(),
                datasource: datasource.clone(),
                grid_pos: GridPos {
                    h: PANEL_HEIGHT,
                    w: PANEL_WIDTH,
                    x: (index % 2) * PANEL_WIDTH,
                    y: (index / 2) * PANEL_HEIGHT,
                },
                field_config: FieldConfig { defaults: FieldDefaults { unit: spec.unit.to_string() } },
                targets: spec
                    .queries
                    .into_iter()
                    .zip('A'..='Z')
                    .map(|((expr, legend_format), ref_id)| Target { ref_id: ref_id.to_string(), expr, legend_format })
                    .collect(),
            }
        })
        .collect();
    Dashboard {
        uid: format!("forgectl-{environment}"),
        title: format!("forgectl {environment} (tier {})", profile.tier),
        tags: vec!["forgectl".into(), profile.tier.clone()],
        timezone: "utc".into(),
        schema_version: SCHEMA_VERSION,
        refresh: "10s".into(),
        time: TimeRange { from: "now-1h".into(), to: "now".into() },
        templating: Templating {
            list: vec![Variable {
                name: "datasource".into(),
                label: "Prometheus".into(),
                kind: "datasource".into(),
                query: "prometheus".into(),
            }],
        },
        panels,
    }
}
