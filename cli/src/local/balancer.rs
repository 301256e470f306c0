//! The local load balancer: the producers' stable address, as the ALB is
//! on AWS. It forwards each request to the next producer in a targets file
//! that deploy rewrites during a rollout. A producer that refuses the
//! connection is skipped, so a request is never lost to a stopping instance;
//! a target taken out of the file gets no new requests and finishes the ones
//! it has.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::RwLock;

use super::LocalError;

/// How often the targets file is checked for changes. Deploy waits a few of
/// these after changing it before stopping a removed producer.
pub const TARGETS_POLL: Duration = Duration::from_millis(100);

/// Matches the producer's own default body limit.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Connection-level headers that must not be forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

#[derive(Clone)]
struct Balancer {
    targets: Arc<RwLock<Vec<String>>>,
    next: Arc<AtomicUsize>,
    client: reqwest::Client,
}

pub async fn serve(listen: &str, targets_file: PathBuf) -> Result<(), LocalError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| LocalError::Listen { address: listen.to_string(), source })?;
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .build()
        .map_err(|err| LocalError::Listen { address: listen.to_string(), source: std::io::Error::other(err) })?;
    let balancer = Balancer {
        targets: Arc::new(RwLock::new(read_targets(&targets_file).await)),
        next: Arc::new(AtomicUsize::new(0)),
        client,
    };
    tokio::spawn(watch_targets(targets_file, balancer.targets.clone()));
    let app = axum::Router::new().fallback(forward).with_state(balancer);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|source| LocalError::Listen { address: listen.to_string(), source })?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = shutdown => {}
                _ = terminate.recv() => {}
            }
        })
        .await
        .map_err(|source| LocalError::Listen { address: listen.to_string(), source })
}

async fn read_targets(path: &PathBuf) -> Vec<String> {
    match tokio::fs::read_to_string(path).await {
        Ok(text) => serde_json::from_str(&text).unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

async fn watch_targets(path: PathBuf, targets: Arc<RwLock<Vec<String>>>) {
    let mut seen: Option<SystemTime> = None;
    loop {
        let modified = tokio::fs::metadata(&path).await.and_then(|meta| meta.modified()).ok();
        if modified != seen {
            seen = modified;
            *targets.write().await = read_targets(&path).await;
        }
        tokio::time::sleep(TARGETS_POLL).await;
    }
}

async fn forward(State(balancer): State<Balancer>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let targets = balancer.targets.read().await.clone();
    let start = balancer.next.fetch_add(1, Ordering::Relaxed);
    let path = parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    for offset in 0..targets.len() {
        let target = &targets[(start + offset) % targets.len()];
        let mut outbound = balancer.client.request(parts.method.clone(), format!("http://{target}{path}"));
        for (name, value) in parts.headers.iter().filter(|(name, _)| !is_hop_by_hop(name)) {
            outbound = outbound.header(name, value);
        }
        match outbound.body(body.clone()).send().await {
            Ok(response) => return relay(response).await,
            // Nothing reached the producer: safe to try the next one.
            Err(err) if err.is_connect() => continue,
            Err(err) => return (StatusCode::BAD_GATEWAY, format!("producer {target}: {err}")).into_response(),
        }
    }
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, "no producer is available").into_response();
    response.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("1"));
    response
}

async fn relay(response: reqwest::Response) -> Response {
    let status = response.status();
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers().iter().filter(|(name, _)| !is_hop_by_hop(name)) {
        headers.insert(name.clone(), value.clone());
    }
    match response.bytes().await {
        Ok(bytes) => (status, headers, Body::from(bytes)).into_response(),
        Err(err) => (StatusCode::BAD_GATEWAY, format!("reading the producer's answer: {err}")).into_response(),
    }
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
}
