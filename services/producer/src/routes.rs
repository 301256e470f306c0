//! Request handlers. Each upload becomes exactly one Kafka message, and the
//! answer is 200 only once Kafka has acknowledged it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
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
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let kind = kind.parse::<Kind>().ok();
    let bytes = body.as_ref().map(|b| b.len()).unwrap_or(0);
    let mut info = UploadInfo { kind, records: 0, bytes };
    let mut resp = match handle_upload(&state, kind, body, &mut info).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    };
    resp.extensions_mut().insert(info);
    resp
}

async fn handle_upload(
    state: &AppState,
    kind: Option<Kind>,
    body: Result<Bytes, BytesRejection>,
    info: &mut UploadInfo,
) -> Result<Response, ApiError> {
    let Some(kind) = kind else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_kind",
            "unknown kind; expected one of sms, events, apps_and_device, contacts, call_logs",
        ));
    };
    let body = body.map_err(|rej| match rej {
        BytesRejection::FailedToBufferBody(_) if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body exceeds {} bytes", state.config.max_body_bytes),
        ),
        other => ApiError::new(other.status(), "bad_body", other.body_text()),
    })?;
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

    let topic = state.topic(kind);
    let produced = match state.producer.reserve(payload.len()) {
        Ok(_permit) => state.producer.send(topic, &upload.device_id, &upload.batch_id, &payload).await,
        Err(e) => Err(e),
    };
    let acked = produced.map_err(|e| {
        metrics::counter!("producer_produce_errors_total", "reason" => e.reason()).increment(1);
        tracing::warn!(error = %e, kind = %kind, "upload not accepted");
        ApiError::from_produce(&e, state.config.retry_after_secs)
    })?;
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

pub async fn health() -> Response {
    Json(serde_json::json!({ "status": "ok" })).into_response()
}

pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let kafka = state.producer.check_metadata(None).await;
    let database = match &state.insights_pool {
        None => Ok("disabled"),
        Some(pool) => match pool.get().await {
            Ok(client) => client.simple_query("SELECT 1").await.map(|_| "ok").map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
    };
    let ok = kafka.is_ok() && database.is_ok();
    let body = serde_json::json!({
        "status": if ok { "ready" } else { "not_ready" },
        "kafka": match &kafka { Ok(()) => "ok".to_string(), Err(e) => e.clone() },
        "database": match &database { Ok(s) => s.to_string(), Err(e) => e.clone() },
    });
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    metrics::gauge!("producer_queue_depth").set(f64::from(state.producer.queue_depth()));
    metrics::gauge!("producer_inflight_bytes").set(state.producer.inflight_bytes() as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

pub async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route").into_response()
}
