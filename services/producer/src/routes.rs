//! Request handlers. Each upload becomes exactly one Kafka message, and the
//! answer is 200 only once Kafka has acknowledged it.

use std::sync::Arc;

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;

use forgectl_service_common::envelope::{EnvelopeRef, ENVELOPE_VERSION};
use forgectl_service_common::Kind;

use crate::app::AppState;
use crate::error::ApiError;
use crate::insights::now_ms;
use crate::validate::parse_upload;

/// What the observing middleware needs to know about an upload's content.
#[derive(Clone, Copy, Debug)]
pub struct UploadInfo {
    pub kind: Option<Kind>,
    pub records: usize,
    pub bytes: usize,
}

#[derive(Serialize)]
pub struct Accepted<'a> {
    pub status: &'static str,
    pub kind: Kind,
    pub batch_id: &'a str,
    pub records: usize,
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
}

pub async fn upload(
    State(state): State<Arc<AppState>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let kind = kind.parse::<Kind>().ok();
    let mut info = UploadInfo { kind, records: 0, bytes: 0 };
    let mut resp = match handle_upload(&state, kind, &headers, body, &mut info).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    };
    resp.extensions_mut().insert(info);
    resp
}

/// The declared body length, if the client sent a usable one.
fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// Reads the body no further than `limit` bytes: a client that declared a
/// length cannot send more (hyper enforces it), and one that streams
/// without a length cannot send more than it was budgeted for.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ApiError::body_too_large(limit)),
        Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_body", format!("reading the body: {e}"))),
    }
}

async fn handle_upload(
    state: &AppState,
    kind: Option<Kind>,
    headers: &HeaderMap,
    body: Body,
    info: &mut UploadInfo,
) -> Result<Response, ApiError> {
    let Some(kind) = kind else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_kind",
            "unknown kind; expected one of sms, events, apps_and_device, contacts, call_logs",
        ));
    };
    let max_body = state.config.max_body_bytes;
    let declared = declared_length(headers);
    if declared.is_some_and(|n| n > max_body) {
        return Err(ApiError::body_too_large(max_body));
    }
    // The byte budget is taken before a single body byte is buffered: the
    // declared length, or the largest allowed body when none was declared.
    let budget = declared.unwrap_or(max_body);
    let _permit = state.producer.reserve(budget).map_err(|e| reject(state, kind, e))?;
    let body = read_body(body, budget).await?;
    info.bytes = body.len();
    let upload = parse_upload(&body, state.config.max_records).map_err(ApiError::from_invalid)?;
    info.records = upload.records.len();

    let envelope = EnvelopeRef {
        v: ENVELOPE_VERSION,
        batch_id: &upload.batch_id,
        device_id: &upload.device_id,
        kind,
        received_at_ms: now_ms(),
        records: &upload.records,
    };
    let payload = serde_json::to_vec(&envelope).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_upload", format!("cannot encode: {e}"))
    })?;

    // The envelope only adds a few fixed fields to what the budget covers.
    drop(body);
    let topic = state.topic(kind);
    let acked = state
        .producer
        .send(topic, &upload.device_id, &upload.batch_id, &payload)
        .await
        .map_err(|e| reject(state, kind, e))?;
    Ok(Json(Accepted {
        status: "accepted",
        kind,
        batch_id: &upload.batch_id,
        records: upload.records.len(),
        topic,
        partition: acked.partition,
        offset: acked.offset,
    })
    .into_response())
}

fn reject(state: &AppState, kind: Kind, e: crate::kafka::ProduceError) -> ApiError {
    metrics::counter!("producer_produce_errors_total", "reason" => e.reason()).increment(1);
    tracing::warn!(error = %e, kind = %kind, "upload not accepted");
    ApiError::from_produce(&e, state.config.retry_after_secs)
}

pub async fn health() -> Response {
    Json(serde_json::json!({ "status": "ok" })).into_response()
}

/// How long `/ready` waits for the insights database.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Ready means Kafka is: uploads need nothing else. The insights database is
/// reported, never a reason to fail, so a PostgreSQL outage does not make
/// the load balancer replace every producer. The body carries states only;
/// the reasons go to the log, never to whoever can reach the listener.
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let kafka = state.producer.check_kafka().await;
    if let Err(reason) = &kafka {
        tracing::warn!(%reason, "not ready: Kafka");
    }
    let database = match &state.insights_pool {
        None => "disabled",
        Some(pool) => match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, ping(pool)).await {
            Ok(Ok(())) => "ok",
            Ok(Err(reason)) => {
                tracing::warn!(%reason, "insights database unavailable (uploads continue)");
                "unavailable"
            }
            Err(_) => {
                tracing::warn!("insights database did not answer within 2 s (uploads continue)");
                "unavailable"
            }
        },
    };
    metrics::gauge!("producer_dependency_up", "dependency" => "kafka").set(if kafka.is_ok() { 1.0 } else { 0.0 });
    if database != "disabled" {
        metrics::gauge!("producer_dependency_up", "dependency" => "insights_database").set(if database == "ok" {
            1.0
        } else {
            0.0
        });
    }
    let ok = kafka.is_ok();
    let body = serde_json::json!({
        "status": if ok { "ready" } else { "not_ready" },
        "kafka": if ok { "ok" } else { "unavailable" },
        "database": database,
    });
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

async fn ping(pool: &deadpool_postgres::Pool) -> Result<(), String> {
    let client = pool.get().await.map_err(|e| e.to_string())?;
    client.simple_query("SELECT 1").await.map(|_| ()).map_err(|e| e.to_string())
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    metrics::gauge!("producer_queue_depth").set(f64::from(state.producer.queue_depth()));
    metrics::gauge!("producer_inflight_bytes").set(state.producer.inflight_bytes() as f64);
    metrics::gauge!("producer_inflight_bytes_peak").set(state.producer.inflight_bytes_peak() as f64);
    metrics::gauge!("producer_inflight_bytes_budget").set(state.config.max_inflight_bytes as f64);
    metrics::gauge!("producer_uploads_in_progress")
        .set((state.config.max_concurrent_uploads - state.upload_slots.available_permits()) as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

pub async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route").into_response()
}
