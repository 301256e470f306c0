//! Bounds on what one client can hold: a deadline per request and a fixed
//! number of uploads served at once. Both answer at once instead of queueing,
//! so health checks and other clients keep getting answers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::ApiError;

/// The whole request, slow body included, must finish within
/// `PRODUCER_REQUEST_TIMEOUT_MS`; dropping the handler releases its upload
/// slot and its byte budget.
pub async fn request_deadline(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(state.config.request_timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            metrics::counter!("producer_request_timeouts_total").increment(1);
            ApiError::request_timeout(state.config.request_timeout).into_response()
        }
    }
}

/// Takes one of `PRODUCER_MAX_CONCURRENT_UPLOADS` slots for the request's
/// lifetime, or answers 503 + `Retry-After` when none is free.
pub async fn upload_slot(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Ok(slot) = state.upload_slots.clone().try_acquire_owned() else {
        metrics::counter!("producer_uploads_shed_total").increment(1);
        return ApiError::busy(state.config.retry_after_secs).into_response();
    };
    let resp = next.run(req).await;
    drop(slot);
    resp
}
