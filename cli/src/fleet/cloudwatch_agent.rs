//! The CloudWatch agent on every instance: it scrapes the service's
//! Prometheus endpoint over loopback and publishes the metrics the alarms
//! and the dashboard read as embedded metric format (EMF) log events, which
//! CloudWatch turns into metrics in `Forgectl/Services` with the dimensions
//! `Environment` and `Role`. Both files are rendered from typed structs
//! (serde), never from text, and written by the boot script.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::profile::RoleName;
use crate::render::RenderError;

pub use forgectl_contract::cloudwatch::NAMESPACE;
use forgectl_contract::cloudwatch::{
    CONSUMER_DLQ_TOTAL, CONSUMER_MESSAGES_LOST_TOTAL, CONSUMER_ROWS_WRITTEN_TOTAL, DIMENSION_ENVIRONMENT,
    DIMENSION_ROLE, PRODUCER_REQUESTS_TOTAL, PRODUCER_UPLOADS_SHED_TOTAL,
};

/// The producer's latency histogram: the agent publishes its `_sum` and
/// `_count` series, from which CloudWatch gets the average latency.
pub const PRODUCER_REQUEST_DURATION_SECONDS: &str = "producer_request_duration_seconds";
/// Where the boot script writes the agent's two files.
pub const AGENT_CONFIG_PATH: &str = "/opt/aws/amazon-cloudwatch-agent/etc/forgectl-agent.json";
pub const PROMETHEUS_CONFIG_PATH: &str = "/opt/aws/amazon-cloudwatch-agent/var/forgectl-prometheus.yaml";
/// A minute, as CloudWatch's standard resolution.
const SCRAPE_INTERVAL: &str = "60s";
const SCRAPE_TIMEOUT: &str = "10s";
/// Seconds between the agent's flushes of EMF events.
const FORCE_FLUSH_SECONDS: u32 = 60;

#[derive(Debug, Serialize)]
pub struct AgentConfig {
    pub logs: Logs,
}

#[derive(Debug, Serialize)]
pub struct Logs {
    pub metrics_collected: MetricsCollected,
    pub force_flush_interval: u32,
}

#[derive(Debug, Serialize)]
pub struct MetricsCollected {
    pub prometheus: Prometheus,
}

#[derive(Debug, Serialize)]
pub struct Prometheus {
    /// The EMF events' log group: under the environment's `/forgectl/<env>/`,
    /// which the instance role may write.
    pub log_group_name: String,
    pub prometheus_config_path: String,
    pub emf_processor: EmfProcessor,
}

#[derive(Debug, Serialize)]
pub struct EmfProcessor {
    pub metric_namespace: String,
    pub metric_declaration: Vec<MetricDeclaration>,
}

/// Which scraped series become CloudWatch metrics, with which dimensions.
#[derive(Debug, Serialize)]
pub struct MetricDeclaration {
    pub source_labels: Vec<String>,
    pub label_matcher: String,
    pub dimensions: Vec<Vec<String>>,
    pub metric_selectors: Vec<String>,
}

/// The Prometheus scrape configuration the agent reads.
#[derive(Debug, Serialize)]
pub struct ScrapeFile {
    pub global: ScrapeGlobal,
    pub scrape_configs: Vec<ScrapeJob>,
}

#[derive(Debug, Serialize)]
pub struct ScrapeGlobal {
    pub scrape_interval: String,
    pub scrape_timeout: String,
}

#[derive(Debug, Serialize)]
pub struct ScrapeJob {
    pub job_name: String,
    pub metrics_path: String,
    pub static_configs: Vec<StaticTargets>,
}

#[derive(Debug, Serialize)]
pub struct StaticTargets {
    pub targets: Vec<String>,
    /// Become the metrics' dimensions: `Environment` and `Role`.
    pub labels: BTreeMap<String, String>,
}

/// The rendered files, as the boot script writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentFiles {
    pub agent_json: String,
    pub prometheus_yaml: String,
}

/// The metrics a role publishes, by their Prometheus names.
pub fn published_metrics(role: RoleName) -> Vec<&'static str> {
    if role.is_consumer() {
        vec![CONSUMER_DLQ_TOTAL, CONSUMER_MESSAGES_LOST_TOTAL, CONSUMER_ROWS_WRITTEN_TOTAL]
    } else {
        vec![PRODUCER_REQUESTS_TOTAL, PRODUCER_UPLOADS_SHED_TOTAL, PRODUCER_REQUEST_DURATION_SECONDS]
    }
}

pub fn agent_config(environment: &str, role: RoleName, log_group: &str) -> AgentConfig {
    let selectors = published_metrics(role)
        .into_iter()
        .map(|name| match name {
            PRODUCER_REQUEST_DURATION_SECONDS => format!("^{name}(_sum|_count)?$"),
            _ => format!("^{name}$"),
        })
        .collect();
    let declaration = MetricDeclaration {
        source_labels: vec![DIMENSION_ENVIRONMENT.into(), DIMENSION_ROLE.into()],
        label_matcher: format!("^{};{}$", regex_literal(environment), regex_literal(role.as_str())),
        dimensions: vec![vec![DIMENSION_ENVIRONMENT.into(), DIMENSION_ROLE.into()]],
        metric_selectors: selectors,
    };
    AgentConfig {
        logs: Logs {
            metrics_collected: MetricsCollected {
                prometheus: Prometheus {
                    log_group_name: format!("{log_group}/metrics"),
                    prometheus_config_path: PROMETHEUS_CONFIG_PATH.into(),
                    emf_processor: EmfProcessor {
                        metric_namespace: NAMESPACE.into(),
                        metric_declaration: vec![declaration],
                    },
                },
            },
            force_flush_interval: FORCE_FLUSH_SECONDS,
        },
    }
}

/// The service's metrics endpoint on the instance's loopback.
pub fn scrape_file(environment: &str, role: RoleName, metrics_port: u16) -> ScrapeFile {
    let labels = BTreeMap::from([
        (DIMENSION_ENVIRONMENT.to_string(), environment.to_string()),
        (DIMENSION_ROLE.to_string(), role.as_str().to_string()),
    ]);
    ScrapeFile {
        global: ScrapeGlobal { scrape_interval: SCRAPE_INTERVAL.into(), scrape_timeout: SCRAPE_TIMEOUT.into() },
        scrape_configs: vec![ScrapeJob {
            job_name: format!("forgectl-{role}"),
            metrics_path: "/metrics".into(),
            static_configs: vec![StaticTargets { targets: vec![format!("127.0.0.1:{metrics_port}")], labels }],
        }],
    }
}

pub fn agent_files(
    environment: &str,
    role: RoleName,
    metrics_port: u16,
    log_group: &str,
) -> Result<AgentFiles, RenderError> {
    let agent_json = serde_json::to_string_pretty(&agent_config(environment, role, log_group))
        .map_err(|err| RenderError::Serialize { what: "CloudWatch agent configuration", reason: err.to_string() })?;
    let prometheus_yaml = serde_norway::to_string(&scrape_file(environment, role, metrics_port)).map_err(|err| {
        RenderError::Serialize { what: "CloudWatch agent scrape configuration", reason: err.to_string() }
    })?;
    Ok(AgentFiles { agent_json, prometheus_yaml })
}

/// Environment and role names are `[a-z0-9-]`; escape anything else anyway.
fn regex_literal(text: &str) -> String {
    text.chars()
        .flat_map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { vec![c] } else { vec!['\\', c] })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_agent_publishes_the_contract_metrics_with_environment_and_role() {
        let files = agent_files("prod", RoleName::SmsConsumer, 8001, "/forgectl/prod/sms-consumer")
            .unwrap_or_else(|err| panic!("{err}"));
        let config: Value = serde_json::from_str(&files.agent_json).unwrap_or_else(|err| panic!("{err}"));
        let prometheus = &config["logs"]["metrics_collected"]["prometheus"];
        assert_eq!(prometheus["log_group_name"], "/forgectl/prod/sms-consumer/metrics");
        assert_eq!(prometheus["prometheus_config_path"], PROMETHEUS_CONFIG_PATH);
        let emf = &prometheus["emf_processor"];
        assert_eq!(emf["metric_namespace"], "Forgectl/Services");
        let declaration = &emf["metric_declaration"][0];
        assert_eq!(declaration["source_labels"], serde_json::json!(["Environment", "Role"]));
        assert_eq!(declaration["label_matcher"], "^prod;sms-consumer$");
        assert_eq!(declaration["dimensions"], serde_json::json!([["Environment", "Role"]]));
        assert_eq!(
            declaration["metric_selectors"],
            serde_json::json!([
                "^consumer_dlq_total$",
                "^consumer_messages_lost_total$",
                "^consumer_rows_written_total$"
            ])
        );

        let scrape: Value = serde_norway::from_str(&files.prometheus_yaml).unwrap_or_else(|err| panic!("{err}"));
        let job = &scrape["scrape_configs"][0];
        assert_eq!(job["metrics_path"], "/metrics");
        assert_eq!(job["static_configs"][0]["targets"], serde_json::json!(["127.0.0.1:8001"]));
        assert_eq!(job["static_configs"][0]["labels"]["Environment"], "prod");
        assert_eq!(job["static_configs"][0]["labels"]["Role"], "sms-consumer");
    }

    #[test]
    fn the_producer_publishes_its_requests_sheds_and_latency() {
        let config = agent_config("prod", RoleName::Producer, "/forgectl/prod/producer");
        let selectors = &config.logs.metrics_collected.prometheus.emf_processor.metric_declaration[0].metric_selectors;
        assert_eq!(
            selectors,
            &[
                "^producer_requests_total$",
                "^producer_uploads_shed_total$",
                "^producer_request_duration_seconds(_sum|_count)?$"
            ]
        );
    }
}
