//! The load test's HTML report: one file, charts as inline SVG, no scripts.

use minijinja::Environment;
use serde::Serialize;

use super::report::LoadtestReport;
use super::svg::{Chart, Series};
use super::ProveError;

const TEMPLATE_NAME: &str = "loadtest.html";
const TEMPLATE: &str = include_str!("../../../templates/prove/loadtest.html.j2");

#[derive(Serialize)]
struct Charts {
    latency: String,
    throughput: String,
    lag: String,
}

#[derive(Serialize)]
struct Page<'a> {
    r: &'a LoadtestReport,
    charts: &'a Charts,
}

pub fn render(report: &LoadtestReport) -> Result<String, ProveError> {
    let charts =
        Charts { latency: latency_chart(report), throughput: throughput_chart(report), lag: lag_chart(report) };
    let mut templates = Environment::new();
    // The `.html` name turns on HTML escaping for every value from the report.
    templates.add_template(TEMPLATE_NAME, TEMPLATE).map_err(ProveError::Template)?;
    templates
        .get_template(TEMPLATE_NAME)
        .and_then(|template| template.render(minijinja::value::Serde(Page { r: report, charts: &charts })))
        .map_err(ProveError::Template)
}

fn latency_chart(report: &LoadtestReport) -> String {
    let seconds = &report.load.seconds;
    let series = |name: &str, value: fn(&super::recorder::SecondStats) -> f64| Series {
        name: name.to_string(),
        points: seconds.iter().filter(|s| s.offered > 0).map(|s| (s.second as f64, value(s))).collect(),
    };
    Chart {
        x_label: "seconds since start".into(),
        y_label: "latency (ms)".into(),
        series: vec![series("p50", |s| s.p50_ms), series("p99", |s| s.p99_ms), series("max", |s| s.max_ms)],
        threshold: Some((
            format!("SLO p99 {} ms", report.plan.slo.upload_p99_ms),
            f64::from(report.plan.slo.upload_p99_ms),
        )),
    }
    .to_svg()
}

fn throughput_chart(report: &LoadtestReport) -> String {
    let seconds = &report.load.seconds;
    Chart {
        x_label: "seconds since start".into(),
        y_label: "uploads per second".into(),
        series: vec![
            Series {
                name: "offered".into(),
                points: seconds.iter().map(|s| (s.second as f64, s.offered as f64)).collect(),
            },
            Series {
                name: "succeeded".into(),
                points: seconds.iter().map(|s| (s.second as f64, s.succeeded as f64)).collect(),
            },
            Series {
                name: "failed".into(),
                points: seconds.iter().map(|s| (s.second as f64, s.failed as f64)).collect(),
            },
        ],
        threshold: Some(("target".into(), report.plan.target_rate_per_second)),
    }
    .to_svg()
}

fn lag_chart(report: &LoadtestReport) -> String {
    let series = report
        .lag
        .groups
        .iter()
        .map(|group| Series {
            name: group.clone(),
            points: report
                .lag
                .samples
                .iter()
                .filter_map(|sample| Some((sample.seconds, *sample.groups.get(group)? as f64)))
                .collect(),
        })
        .collect();
    Chart { x_label: "seconds since start".into(), y_label: "messages behind".into(), series, threshold: None }.to_svg()
}
