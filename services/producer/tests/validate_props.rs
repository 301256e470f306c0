//! Property tests of the upload validator: whatever the bytes, it answers
//! with a 4xx or an upload, never a panic or a 5xx, and what it accepts is
//! safe for the envelope and the database. No stack needed.

use axum::http::StatusCode;
use forgectl_producer::error::ApiError;
use forgectl_producer::validate::{parse_upload, MAX_DEPTH};
use proptest::prelude::*;
use serde_json::Value;

/// Arbitrary JSON values, nested a little deeper than the validator allows.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[\\u{0}\\u{d7ff}\\u{e000}\\u{10ffff}a-z\"\\\\]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(8, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body(device: &str, batch: &str, records: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"device_id": device, "batch_id": batch, "records": records}))
        .unwrap_or_default()
}

/// The status the server would answer for this body (200 when accepted).
fn status(body: &[u8]) -> StatusCode {
    match parse_upload(body, 1000) {
        Ok(_) => StatusCode::OK,
        Err(e) => ApiError::from_invalid(e).status,
    }
}

/// What PostgreSQL `jsonb` stores: no U+0000 anywhere, nesting within bounds.
fn storable(value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Value::String(s) => !s.contains('\0'),
        Value::Array(items) => items.iter().all(|v| storable(v, depth + 1)),
        Value::Object(map) => map.iter().all(|(k, v)| !k.contains('\0') && storable(v, depth + 1)),
        _ => true,
    }
}

fn ok_or_4xx(s: StatusCode) -> bool {
    s == StatusCode::OK || s.is_client_error()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_are_never_5xx(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(ok_or_4xx(status(&bytes)));
    }

    #[test]
    fn arbitrary_records_are_accepted_only_when_safe(
        device in "[A-Za-z0-9._:-]{1,8}|.{0,140}",
        batch in "[A-Za-z0-9._:-]{1,8}|.{0,10}",
        records in prop::collection::vec(json(), 0..4),
    ) {
        let bytes = body(&device, &batch, &records);
        let s = status(&bytes);
        prop_assert!(ok_or_4xx(s));
        if let Ok(upload) = parse_upload(&bytes, 1000) {
            for record in &upload.records {
                let value: Value = serde_json::from_str(record.get()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(value.is_object());
                prop_assert!(storable(&value, 0), "unstorable record accepted: {}", record.get());
            }
        }
    }

    #[test]
    fn a_valid_body_with_any_byte_changed_is_never_5xx(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = body("dev-1", "batch-1", &[serde_json::json!({"a": "b\u{e9}", "n": [1, 2, {"x": null}]})]);
        let i = index.index(bytes.len());
        bytes[i] = byte;
        prop_assert!(ok_or_4xx(status(&bytes)));
        bytes.truncate(i);
        prop_assert!(ok_or_4xx(status(&bytes)));
    }
}
