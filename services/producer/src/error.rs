//! The JSON error body and status mapping for every failure an HTTP client
//! can see. Only this module decides status codes.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::kafka::ProduceError;
use crate::validate::InvalidUpload;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after_secs: Option<u32>,
}

#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after_secs: None }
    }

    fn retry(mut self, secs: u32) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    /// Every upload slot is taken.
    pub fn busy(retry_after: u32) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "too many uploads in progress; retry later")
            .retry(retry_after)
    }

    pub fn request_timeout(limit: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request did not complete within {} s", limit.as_secs()),
        )
    }

    pub fn body_too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("the body exceeds {limit} bytes"))
    }

    pub fn from_invalid(e: InvalidUpload) -> Self {
        match e {
            InvalidUpload::Malformed(m) => Self::new(StatusCode::BAD_REQUEST, "malformed_body", m),
            InvalidUpload::Unprocessable(m) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_upload", m),
        }
    }

    pub fn from_produce(e: &ProduceError, retry_after: u32) -> Self {
        use rdkafka::types::RDKafkaErrorCode as C;
        match e {
            ProduceError::QueueFull => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "queue_full", "the service is busy; retry later")
                    .retry(retry_after)
            }
            ProduceError::InflightCap => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_inflight_bytes",
                "too much data in flight; retry later",
            )
            .retry(retry_after),
            ProduceError::Rejected { code: C::MessageSizeTooLarge | C::InvalidMessageSize, .. } => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "message_too_large", "the upload is too large for the broker")
            }
            // Anything else is on our side of the wire (Kafka down, topic
            // missing, auth misconfigured): a retry may succeed later.
            ProduceError::Timeout { .. }
            | ProduceError::Unavailable { .. }
            | ProduceError::Rejected { .. }
            | ProduceError::Create(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "kafka_unavailable",
                "the message broker is unavailable; retry later",
            )
            .retry(retry_after.max(2)),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(ErrorBody { error: self.code, message: &self.message })).into_response();
        if let Some(secs) = self.retry_after_secs {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}
