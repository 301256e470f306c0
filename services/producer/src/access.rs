//! Who may upload: the API-key check in front of `/v1/*`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use forgectl_service_common::headers::API_KEY_HEADER;

use crate::app::AppState;
use crate::config::{Access, ApiKey};
use crate::error::ApiError;

/// Name of the authenticated key, stored for the observer (insights `client`).
#[derive(Clone)]
pub struct ClientName(pub String);

pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(v.trim());
    }
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Compares the presented key with every configured key in constant time
/// and without stopping at the first match, so neither how much of a key
/// matched nor which key it was shows in the response time.
pub fn matching_key<'a>(keys: &'a [ApiKey], presented: &str) -> Option<&'a ApiKey> {
    let mut found = None;
    for key in keys {
        if bool::from(key.key.expose().as_bytes().ct_eq(presented.as_bytes())) {
            found = Some(key);
        }
    }
    found
}

pub async fn require_key(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let keys = match &state.config.access {
        Access::Anonymous => return next.run(req).await,
        Access::Keys(keys) => keys,
    };
    match presented_key(req.headers()).and_then(|presented| matching_key(keys, presented)) {
        Some(key) => {
            let name = key.name.clone();
            req.extensions_mut().insert(ClientName(name.clone()));
            let mut resp = next.run(req).await;
            resp.extensions_mut().insert(ClientName(name));
            resp
        }
        None => {
            metrics::counter!("producer_unauthorized_total").increment(1);
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid API key is required (X-Api-Key header)")
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forgectl_service_common::Secret;

    fn key(name: &str, key: &str) -> ApiKey {
        ApiKey { name: name.into(), key: Secret::new(key) }
    }

    #[test]
    fn only_an_exact_key_matches() {
        let keys = [key("ios", "abcdefghijklmnop"), key("android", "qrstuvwxyz012345")];
        assert_eq!(matching_key(&keys, "qrstuvwxyz012345").map(|k| k.name.as_str()), Some("android"));
        assert!(matching_key(&keys, "abcdefghijklmno").is_none());
        assert!(matching_key(&keys, "abcdefghijklmnopq").is_none());
        assert!(matching_key(&keys, "").is_none());
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
