//! Turning an upload body into a checked request. Every way a body can be
//! wrong maps to a 4xx with a message that says what is wrong.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use forgectl_service_common::envelope::{validate_id, IdError};

#[derive(Debug, PartialEq, Eq)]
pub enum InvalidUpload {
    /// Not JSON at all (syntax, truncation, bad UTF-8): 400.
    Malformed(String),
    /// JSON of the wrong shape or with values out of bounds: 422.
    Unprocessable(String),
}

#[derive(Debug)]
pub struct Upload {
    pub device_id: String,
    pub batch_id: String,
    pub records: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
struct Body {
    device_id: String,
    batch_id: String,
    records: Vec<Map<String, Value>>,
}

/// Longest single string anywhere in a record; protects the database and the
/// consumer from a multi-megabyte field inside an otherwise normal upload.
pub const MAX_STRING_BYTES: usize = 64 * 1024;

pub fn parse_upload(body: &[u8], max_records: usize) -> Result<Upload, InvalidUpload> {
    if body.is_empty() {
        return Err(InvalidUpload::Malformed("request body is empty".into()));
    }
    let parsed: Body = serde_json::from_slice(body).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => InvalidUpload::Unprocessable(e.to_string()),
            Category::Syntax | Category::Eof | Category::Io => InvalidUpload::Malformed(format!("invalid JSON: {e}")),
        }
    })?;
    let id_err = |field: &str, e: IdError| InvalidUpload::Unprocessable(format!("{field} {e}"));
    validate_id(&parsed.device_id).map_err(|e| id_err("device_id", e))?;
    validate_id(&parsed.batch_id).map_err(|e| id_err("batch_id", e))?;
    if parsed.records.is_empty() {
        return Err(InvalidUpload::Unprocessable("records must not be empty".into()));
    }
    if parsed.records.len() > max_records {
        return Err(InvalidUpload::Unprocessable(format!(
            "records has {} entries; at most {max_records} are accepted per upload",
            parsed.records.len()
        )));
    }
    let mut records = Vec::with_capacity(parsed.records.len());
    for (index, record) in parsed.records.iter().enumerate() {
        check_strings(record).map_err(|why| InvalidUpload::Unprocessable(format!("records[{index}] {why}")))?;
        let raw = serde_json::value::to_raw_value(record)
            .map_err(|e| InvalidUpload::Unprocessable(format!("records[{index}] cannot be encoded: {e}")))?;
        records.push(raw);
    }
    Ok(Upload { device_id: parsed.device_id, batch_id: parsed.batch_id, records })
}

/// PostgreSQL `jsonb` cannot hold U+0000, so a record with one would be
/// accepted here and fail forever downstream: reject it at the door.
fn check_strings(map: &Map<String, Value>) -> Result<(), String> {
    fn check_str(s: &str) -> Result<(), String> {
        if s.contains('\0') {
            return Err("contains a NUL character (U+0000), which cannot be stored".into());
        }
        if s.len() > MAX_STRING_BYTES {
            return Err(format!("contains a string of {} bytes; the limit is {MAX_STRING_BYTES}", s.len()));
        }
        Ok(())
    }
    fn walk(v: &Value) -> Result<(), String> {
        match v {
            Value::String(s) => check_str(s),
            Value::Array(a) => a.iter().try_for_each(walk),
            Value::Object(o) => o.iter().try_for_each(|(k, v)| {
                check_str(k)?;
                walk(v)
            }),
            _ => Ok(()),
        }
    }
    map.iter().try_for_each(|(k, v)| {
        check_str(k)?;
        walk(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unproc(body: &str) -> String {
        match parse_upload(body.as_bytes(), 10) {
            Err(InvalidUpload::Unprocessable(m)) => m,
            other => panic!("expected 422 for {body}, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_good_upload() {
        let u = parse_upload(br#"{"device_id":"d1","batch_id":"b1","records":[{"a":1},{"b":[1,"x"]}]}"#, 10).unwrap();
        assert_eq!(u.records.len(), 2);
        assert_eq!(u.records[0].get(), r#"{"a":1}"#);
    }

    #[test]
    fn malformed_is_400() {
        for body in [&b""[..], b"{", b"not json", b"{\"device_id\":\"\xff\"}", b"[1,2"] {
            assert!(matches!(parse_upload(body, 10), Err(InvalidUpload::Malformed(_))), "{body:?}");
        }
    }

    #[test]
    fn shape_errors_are_422() {
        assert!(unproc(r#"{"device_id":"d","records":[{}]}"#).contains("batch_id"));
        assert!(unproc(r#"{"device_id":5,"batch_id":"b","records":[{}]}"#).contains("invalid type"));
        assert!(unproc(r#"{"device_id":"d","batch_id":"b","records":[]}"#).contains("empty"));
        assert!(unproc(r#"{"device_id":"d","batch_id":"b","records":[1]}"#).contains("invalid type"));
        assert!(unproc(r#"{"device_id":"d b","batch_id":"b","records":[{}]}"#).contains("device_id"));
        assert!(unproc(r#"[]"#).contains("invalid type"));
        let many = format!(r#"{{"device_id":"d","batch_id":"b","records":[{}]}}"#, vec!["{}"; 11].join(","));
        assert!(unproc(&many).contains("at most 10"));
        let long_id = format!(r#"{{"device_id":"{}","batch_id":"b","records":[{{}}]}}"#, "x".repeat(500));
        assert!(unproc(&long_id).contains("at most 128"));
        assert!(unproc(r#"{"device_id":"d","batch_id":"b","records":[{"a":"x\u0000y"}]}"#).contains("NUL"));
        let huge = format!(r#"{{"device_id":"d","batch_id":"b","records":[{{"a":"{}"}}]}}"#, "x".repeat(MAX_STRING_BYTES + 1));
        assert!(unproc(&huge).contains("limit"));
    }
}
