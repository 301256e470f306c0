//! Wiring: shared state, the two routers (public and metrics) with their
//! middleware, and the serve loop with graceful shutdown.

use std::collections::HashMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use deadpool_postgres::Pool;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use forgectl_service_common::endpoints::READY_PATH;
use forgectl_service_common::telemetry::{metrics_handle, LATENCY_BUCKETS};
use forgectl_service_common::Kind;

use crate::config::ProducerConfig;
use crate::insights::{self, Insights};
use crate::kafka::{ProduceError, UploadProducer};
use crate::{access, limits, observe, routes};

/// How long shutdown waits for queued messages to be acknowledged.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

pub struct AppState {
    pub config: ProducerConfig,
    pub producer: UploadProducer,
    pub insights: Insights,
    pub insights_pool: Option<Pool>,
    pub metrics: PrometheusHandle,
    /// One permit per upload being served (`PRODUCER_MAX_CONCURRENT_UPLOADS`).
    pub upload_slots: Arc<Semaphore>,
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
    /// The Kafka client hit a fatal error and can never send again; exiting
    /// lets the supervisor (Auto Scaling, the local provider) replace us.
    #[error("the Kafka producer hit a fatal error; stopping so this instance is replaced")]
    KafkaFatal,
}

/// A bound but not yet running server; binding first lets tests use port 0.
pub struct Server {
    listener: TcpListener,
    metrics_listener: TcpListener,
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
        if matches!(config.access, crate::config::Access::Anonymous) {
            tracing::warn!("PRODUCER_ALLOW_ANONYMOUS=true: anyone who reaches this API can upload");
        }
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr).await.map_err(|source| ServerError::Bind { addr, source })
        };
        let listener = bind(config.listen).await?;
        let metrics_listener = bind(config.metrics_listen).await?;
        let topics = Kind::ALL.iter().map(|k| (*k, config.topic(*k))).collect();
        let upload_slots = Arc::new(Semaphore::new(config.max_concurrent_uploads));
        let state = Arc::new(AppState { config, producer, insights, insights_pool, metrics, upload_slots, topics });
        Ok(Server { listener, metrics_listener, state, insights_task })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn metrics_addr(&self) -> std::io::Result<SocketAddr> {
        self.metrics_listener.local_addr()
    }

    /// Serves until `cancel` (or a fatal Kafka error), then stops accepting,
    /// lets in-flight requests finish, flushes the producer and the insights
    /// buffer.
    pub async fn run(self, cancel: CancellationToken) -> Result<(), ServerError> {
        let Server { listener, metrics_listener, state, insights_task } = self;
        let stop = cancel.child_token();
        let fatal = state.producer.fatal().clone();
        let watch_fatal = {
            let stop = stop.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = fatal.raised() => {
                        tracing::error!("fatal Kafka producer error: draining and exiting so this instance is replaced");
                        stop.cancel();
                    }
                    _ = stop.cancelled() => {}
                }
            })
        };
        tracing::info!(addr = ?listener.local_addr().ok(), "producer API listening");
        tracing::info!(addr = ?metrics_listener.local_addr().ok(), "producer metrics listening");
        let public =
            axum::serve(listener, public_router(state.clone()).into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(stop.clone().cancelled_owned())
                .into_future();
        let metrics = axum::serve(metrics_listener, metrics_router(state.clone()))
            .with_graceful_shutdown(stop.clone().cancelled_owned())
            .into_future();
        let (public, metrics) = tokio::join!(public, metrics);
        watch_fatal.abort();
        public.map_err(ServerError::Serve)?;
        metrics.map_err(ServerError::Serve)?;
        tracing::info!("HTTP stopped; flushing the Kafka producer");
        if let Err(e) = state.producer.flush(FLUSH_TIMEOUT).await {
            tracing::error!(error = %e, "producer flush did not complete");
        }
        let fatal = state.producer.fatal().is_raised();
        // Dropping the last state handle closes the insights channel; the
        // writer then drains and exits.
        drop(state);
        if let Some(task) = insights_task {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        if fatal {
            return Err(ServerError::KafkaFatal);
        }
        Ok(())
    }
}

/// What the load balancer forwards: uploads, liveness and readiness. No
/// metrics, no debugging routes.
pub fn public_router(state: Arc<AppState>) -> Router {
    let uploads = Router::new()
        .route("/v1/uploads/{kind}", post(routes::upload))
        .route_layer(middleware::from_fn_with_state(state.clone(), limits::upload_slot))
        .route_layer(middleware::from_fn_with_state(state.clone(), access::require_key));
    Router::new()
        .merge(uploads)
        .route("/health", get(routes::health))
        .route(READY_PATH, get(routes::ready))
        .fallback(routes::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), limits::request_deadline))
        .layer(middleware::from_fn_with_state(state.clone(), observe::observe))
        .with_state(state)
}

/// `/metrics` alone, on `PRODUCER_METRICS_ADDR`.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new().route("/metrics", get(routes::metrics)).fallback(routes::not_found).with_state(state)
}
