use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Logs go to stderr; `LOG_FORMAT=json` gives one JSON object per line for
/// log shippers, anything else a human format.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let json = std::env::var("LOG_FORMAT").map(|v| v == "json").unwrap_or(false);
    // try_init: tests may start several services in one process.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus recorder. Installed once; later callers (a
/// second service in the same test process) share it.
pub fn metrics_handle(latency_buckets: &[f64]) -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = match builder.set_buckets(latency_buckets) {
                Ok(b) => b,
                Err(_) => PrometheusBuilder::new(),
            };
            match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder owns the process: serve an empty registry
                // rather than fail the service.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Seconds buckets that resolve both sub-millisecond and multi-second calls.
pub const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
