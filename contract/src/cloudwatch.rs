//! The services' own metrics in CloudWatch: where the CloudWatch agent on
//! each instance publishes what it scrapes from the service's Prometheus
//! endpoint, and where forgectl's alarms and dashboard read it. The agent's
//! configuration and the alarms take these names from here, so the two
//! cannot drift apart.
//!
//! Counters are published as per-period deltas (the agent's Prometheus
//! scraper converts a counter into its increase since the last scrape), so
//! alarms and graphs read them with the `Sum` statistic.

/// The custom namespace of every service metric.
pub const NAMESPACE: &str = "Forgectl/Services";

/// Dimension: the forgectl environment's name (`forgectl.yaml`).
pub const DIMENSION_ENVIRONMENT: &str = "Environment";

/// Dimension: the instance's role, as forgectl names roles: `producer`,
/// `sms-consumer`, `events-consumer` or `common-consumer`.
pub const DIMENSION_ROLE: &str = "Role";

/// The producer's HTTP requests, every route and status.
pub const PRODUCER_REQUESTS_TOTAL: &str = "producer_requests_total";

/// Uploads the producer answered 429/503 to protect itself (back-pressure).
pub const PRODUCER_UPLOADS_SHED_TOTAL: &str = "producer_uploads_shed_total";

/// Records a consumer sent to a dead-letter topic.
pub const CONSUMER_DLQ_TOTAL: &str = "consumer_dlq_total";

/// Records that left Kafka (retention, a recreated topic) before the
/// consumer stored them.
pub const CONSUMER_MESSAGES_LOST_TOTAL: &str = "consumer_messages_lost_total";

/// Rows a consumer wrote to its databases (the dashboard's "rows written").
pub const CONSUMER_ROWS_WRITTEN_TOTAL: &str = "consumer_rows_written_total";

/// Every metric above: what the agent must publish for the alarms and the
/// dashboard to work.
pub const PUBLISHED_METRICS: [&str; 5] = [
    PRODUCER_REQUESTS_TOTAL,
    PRODUCER_UPLOADS_SHED_TOTAL,
    CONSUMER_DLQ_TOTAL,
    CONSUMER_MESSAGES_LOST_TOTAL,
    CONSUMER_ROWS_WRITTEN_TOTAL,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_are_prometheus_names() {
        for name in PUBLISHED_METRICS {
            assert!(name.ends_with("_total"), "{name} is a counter");
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name}");
        }
    }
}
