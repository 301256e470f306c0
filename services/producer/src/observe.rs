//! Metrics and insights for every request, whatever its outcome.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use forgectl_service_common::endpoints::READY_PATH;

use crate::access::ClientName;
use crate::app::AppState;
use crate::insights::{now_ms, InsightRow};
use crate::routes::UploadInfo;

pub async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let path = req.uri().path().to_string();
    let resp = next.run(req).await;
    let elapsed = start.elapsed();
    let info = resp.extensions().get::<UploadInfo>().copied();
    // Label by known kind only, so random paths cannot blow up cardinality.
    let route = match (&info, path.as_str()) {
        (Some(UploadInfo { kind: Some(k), .. }), _) => format!("/v1/uploads/{}", k.as_str()),
        (Some(UploadInfo { kind: None, .. }), _) => "/v1/uploads/{kind}".to_string(),
        (None, p @ ("/health" | READY_PATH)) => p.to_string(),
        (None, p) if p.starts_with("/v1/uploads/") => "/v1/uploads/{kind}".to_string(),
        (None, _) => "other".to_string(),
    };
    let status = resp.status().as_u16();
    metrics::counter!("producer_requests_total", "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("producer_request_duration_seconds", "route" => route.clone()).record(elapsed.as_secs_f64());
    if route.starts_with("/v1/") {
        let client =
            resp.extensions().get::<ClientName>().map(|c| c.0.clone()).or(peer).unwrap_or_else(|| "unknown".into());
        state.insights.record(InsightRow {
            at_ms: now_ms(),
            route,
            status,
            latency_us: elapsed.as_micros() as i64,
            records: info.map(|i| i.records as i32).unwrap_or(0),
            bytes: info.map(|i| i.bytes as i64).unwrap_or(0),
            client,
        });
    }
    resp
}
