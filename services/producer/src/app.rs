//! Wiring: shared state, the router with its middleware, and the serve loop
//! with graceful shutdown.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use deadpool_postgres::Pool;
use metrics_exporter_prometheus::PrometheusHandle;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use forgectl_service_common::telemetry::{metrics_handle, LATENCY_BUCKETS};
use forgectl_service_common::Kind;

use crate::config::ProducerConfig;
use crate::error::ApiError;
use crate::insights::{self, now_ms, InsightRow, Insights};
use crate::kafka::{ProduceError, UploadProducer};
use crate::routes::{self, UploadInfo};

/// How long shutdown waits for queued messages to be acknowledged.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

pub struct AppState {
    pub config: ProducerConfig,
    pub producer: UploadProducer,
    pub insights: Insights,
    pub insights_pool: Option<Pool>,
    pub metrics: PrometheusHandle,
    topics: HashMap<Kind, String>,
}

impl AppState {
    pub fn topic(&self, kind: Kind) -> &str {
        self.topics.get(&kind).map(String::as_str).unwrap_or(kind.topic())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Kafka(#[from] ProduceError),
    #[error(transparent)]
    Pool(#[from] forgectl_service_common::postgres::PoolError),
    #[error("binding {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("serving HTTP: {0}")]
    Serve(#[source] std::io::Error),
}

/// A bound but not yet running server; binding first lets tests use port 0.
pub struct Server {
    listener: TcpListener,
    state: Arc<AppState>,
    insights_task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub async fn bind(config: ProducerConfig) -> Result<Server, ServerError> {
        let metrics = metrics_handle(LATENCY_BUCKETS);
        let producer = UploadProducer::new(&config)?;
        let (insights, insights_pool, insights_task) = match &config.pg {
            Some(pg) => {
                let pool = pg.pool(&pg.database, 4)?;
                let (handle, task) =
                    insights::spawn(pool.clone(), config.insights_queue, config.insights_batch, config.insights_flush);
                (handle, Some(pool), Some(task))
            }
            None => {
                tracing::warn!("DI_POSTGRES_HOST is not set: API-insights rows are disabled");
                (Insights::disabled(), None, None)
            }
        };
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServerError::Bind { addr: config.listen, source })?;
        let topics = Kind::ALL.iter().map(|k| (*k, config.topic(*k))).collect();
        let state = Arc::new(AppState { config, producer, insights, insights_pool, metrics, topics });
        Ok(Server { listener, state, insights_task })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `cancel`, then stops accepting, lets in-flight requests
    /// finish, flushes the producer and the insights buffer.
    pub async fn run(self, cancel: CancellationToken) -> Result<(), ServerError> {
        let Server { listener, state, insights_task } = self;
        let app = router(state.clone());
        tracing::info!(addr = ?listener.local_addr().ok(), "producer API listening");
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(cancel.cancelled_owned())
            .await
            .map_err(ServerError::Serve)?;
        tracing::info!("HTTP stopped; flushing the Kafka producer");
        if let Err(e) = state.producer.flush(FLUSH_TIMEOUT).await {
            tracing::error!(error = %e, "producer flush did not complete");
        }
        // Dropping the last state handle closes the insights channel; the
        // writer then drains and exits.
        drop(state);
        if let Some(task) = insights_task {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        Ok(())
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    let uploads = Router::new()
        .route("/v1/uploads/{kind}", post(routes::upload))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes));
    Router::new()
        .merge(uploads)
        .route("/health", get(routes::health))
        .route("/ready", get(routes::ready))
        .route("/metrics", get(routes::metrics))
        .fallback(routes::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Name of the authenticated key, stored for the observer.
#[derive(Clone)]
struct ClientName(String);

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(v.trim());
    }
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Compares without an early exit so response time does not leak how much
/// of a key matched.
/// Compares without an early exit on the first differing byte, so response
/// time does not tell a caller how much of a key was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

async fn auth(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    if state.config.api_keys.is_empty() {
        return next.run(req).await;
    }
    let matched = presented_key(req.headers()).and_then(|k| {
        state.config.api_keys.iter().find(|ak| constant_time_eq(ak.key.expose().as_bytes(), k.as_bytes()))
    });
    match matched {
        Some(ak) => {
            let name = ak.name.clone();
            req.extensions_mut().insert(ClientName(name.clone()));
            let mut resp = next.run(req).await;
            resp.extensions_mut().insert(ClientName(name));
            resp
        }
        None => {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid API key is required (X-Api-Key header)")
                .into_response()
        }
    }
}

/// Metrics and insights for every request, whatever its outcome.
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
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
        (None, p @ ("/health" | "/ready" | "/metrics")) => p.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_compare() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn key_from_either_header() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer k1".parse().unwrap());
        assert_eq!(presented_key(&h), Some("k1"));
        h.insert("x-api-key", "k2".parse().unwrap());
        assert_eq!(presented_key(&h), Some("k2"));
    }
}
