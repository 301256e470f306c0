//! `/health`, `/ready` and `/metrics` on the consumer's metrics port.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use deadpool_postgres::Pool;
use forgectl_service_common::endpoints::READY_PATH;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct Health {
    /// The consume loop is running (set after subscribe, cleared on exit).
    pub running: AtomicBool,
    /// Why the loop cannot make progress until an operator acts (a missing
    /// dead-letter topic, a permanent database error); it keeps retrying.
    blocked: Mutex<Option<String>>,
}

impl Health {
    pub fn set_blocked(&self, reason: Option<String>) {
        let mut blocked = self.blocked.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if *blocked != reason {
            match &reason {
                Some(why) => tracing::error!(reason = %why, "consumer not ready: cannot make progress"),
                None if blocked.is_some() => tracing::info!("consumer unblocked"),
                None => {}
            }
            metrics::gauge!("consumer_blocked").set(if reason.is_some() { 1.0 } else { 0.0 });
            *blocked = reason;
        }
    }

    pub fn blocked(&self) -> Option<String> {
        self.blocked.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("binding the metrics endpoint {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

#[derive(Clone)]
struct AppState {
    health: Arc<Health>,
    pool: Pool,
    metrics: PrometheusHandle,
}

pub async fn serve(
    addr: SocketAddr,
    health: Arc<Health>,
    pool: Pool,
    metrics: PrometheusHandle,
    cancel: CancellationToken,
) -> Result<JoinHandle<()>, HttpError> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| HttpError::Bind { addr, source })?;
    tracing::info!(addr = ?listener.local_addr().ok(), "consumer metrics endpoint listening");
    let app = Router::new()
        .route("/health", get(health_route))
        .route(READY_PATH, get(ready))
        .route("/metrics", get(render))
        .with_state(AppState { health, pool, metrics });
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(cancel.cancelled_owned()).await {
            tracing::error!(error = %e, "metrics endpoint failed");
        }
    }))
}

async fn health_route(State(s): State<AppState>) -> Response {
    // Live while the process answers; the loop may still be migrating.
    let _ = &s.health;
    Json(serde_json::json!({"status": "ok"})).into_response()
}

async fn ready(State(s): State<AppState>) -> Response {
    let running = s.health.running.load(Ordering::Relaxed);
    let db = match s.pool.get().await {
        Ok(c) => c.simple_query("SELECT 1").await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let blocked = s.health.blocked();
    let ok = running && db.is_ok() && blocked.is_none();
    let consumer = match (&blocked, running) {
        (Some(_), _) => "blocked",
        (None, true) => "running",
        (None, false) => "starting",
    };
    // This port is internal (metrics and health only), so the reason is
    // spelled out for the operator.
    let body = serde_json::json!({
        "status": if ok { "ready" } else { "not_ready" },
        "consumer": consumer,
        "reason": blocked,
        "database": match &db { Ok(()) => "ok".to_string(), Err(e) => e.clone() },
    });
    (if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(body)).into_response()
}

async fn render(State(s): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render()).into_response()
}
