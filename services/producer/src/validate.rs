//! Turning an upload body into a checked request. Every way a body can be
//! wrong maps to a 4xx with a message that says what is wrong.

use serde::Deserialize;
use serde_json::value::RawValue;

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

/// Records stay raw JSON text: the envelope embeds them verbatim, so no tree
/// is built and nothing is re-serialised on the request path.
#[derive(Deserialize)]
struct Body {
    device_id: String,
    batch_id: String,
    records: Vec<Box<RawValue>>,
}

/// Deepest nesting accepted inside a record.
pub const MAX_DEPTH: usize = 64;

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
    for (index, record) in parsed.records.iter().enumerate() {
        if !record.get().starts_with('{') {
            return Err(InvalidUpload::Unprocessable(format!("records[{index}] must be a JSON object")));
        }
        check_record(record.get()).map_err(|why| InvalidUpload::Unprocessable(format!("records[{index}] {why}")))?;
    }
    Ok(Upload { device_id: parsed.device_id, batch_id: parsed.batch_id, records: parsed.records })
}

/// One pass over a record's raw text (already known to be valid JSON) for
/// what PostgreSQL `jsonb` would reject later and forever: U+0000 and
/// unpaired UTF-16 surrogates in any string. It also bounds string length
/// and nesting depth, which serde does not check for raw values.
fn check_record(raw: &str) -> Result<(), String> {
    let b = raw.as_bytes();
    let malformed = || "is not valid JSON".to_string();
    let mut i = 0;
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("is nested deeper than {MAX_DEPTH} levels"));
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => {
                i += 1;
                let start = i;
                let mut high_surrogate = false;
                let unpaired = || "contains an unpaired UTF-16 surrogate".to_string();
                loop {
                    match b.get(i).copied() {
                        None => return Err(malformed()),
                        Some(b'"') => {
                            if high_surrogate {
                                return Err(unpaired());
                            }
                            break;
                        }
                        Some(b'\\') if b.get(i + 1) == Some(&b'u') => {
                            let cp = raw
                                .get(i + 2..i + 6)
                                .and_then(|h| u16::from_str_radix(h, 16).ok())
                                .ok_or_else(malformed)?;
                            match (cp, high_surrogate) {
                                (0, _) => {
                                    return Err("contains a NUL character (U+0000), which cannot be stored".into())
                                }
                                (0xD800..=0xDBFF, false) => high_surrogate = true,
                                (0xDC00..=0xDFFF, true) => high_surrogate = false,
                                (_, true) | (0xDC00..=0xDFFF, false) => return Err(unpaired()),
                                _ => {}
                            }
                            i += 6;
                        }
                        Some(c) => {
                            if high_surrogate {
                                return Err(unpaired());
                            }
                            i += if c == b'\\' { 2 } else { 1 };
                        }
                    }
                }
                if i - start > MAX_STRING_BYTES {
                    return Err(format!("contains a string of {} bytes; the limit is {MAX_STRING_BYTES}", i - start));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(())
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
        let u = parse_upload(
            br#"{"device_id":"d1","batch_id":"b1","records":[{"a":1},{"b":[1,"x\"\\u0000 \ud83d\ude00 \n"]}]}"#,
            10,
        )
        .unwrap();
        assert_eq!(u.records.len(), 2);
        assert_eq!(u.records[0].get(), r#"{"a":1}"#);
    }

    #[test]
    fn malformed_is_400() {
        for body in [&b""[..], b"{", b"not json", b"{\"device_id\":\"\xff\"}"] {
            assert!(matches!(parse_upload(body, 10), Err(InvalidUpload::Malformed(_))), "{body:?}");
        }
    }

    #[test]
    fn shape_errors_are_422() {
        assert!(unproc(r#"{"device_id":"d","records":[{}]}"#).contains("batch_id"));
        assert!(unproc(r#"{"device_id":5,"batch_id":"b","records":[{}]}"#).contains("invalid type"));
        assert!(unproc(r#"{"device_id":"d","batch_id":"b","records":[]}"#).contains("empty"));
        assert!(unproc(r#"{"device_id":"d","batch_id":"b","records":[1]}"#).contains("object"));
        assert!(unproc(r#"{"device_id":"d","batch_id":"b","records":[{"a":"\ud800"}]}"#).contains("surrogate"));
        assert!(unproc(r#"{"device_id":"d","batch_id":"b","records":[{"a":"\ud800x"}]}"#).contains("surrogate"));
        assert!(unproc(r#"{"device_id":"d","batch_id":"b","records":[{"a":"\udc00"}]}"#).contains("surrogate"));
        assert!(unproc(r#"{"device_id":"d","batch_id":"b","records":[{"\u0000":1}]}"#).contains("NUL"));
        let deep =
            format!(r#"{{"device_id":"d","batch_id":"b","records":[{{"a":{}1{}}}]}}"#, "[".repeat(70), "]".repeat(70));
        assert!(unproc(&deep).contains("deeper"));
        assert!(unproc(r#"{"device_id":"d b","batch_id":"b","records":[{}]}"#).contains("device_id"));
        assert!(!unproc(r#"[]"#).is_empty());
        let many = format!(r#"{{"device_id":"d","batch_id":"b","records":[{}]}}"#, ["{}"; 11].join(","));
        assert!(unproc(&many).contains("at most 10"));
        let long_id = format!(r#"{{"device_id":"{}","batch_id":"b","records":[{{}}]}}"#, "x".repeat(500));
        assert!(unproc(&long_id).contains("at most 128"));
        assert!(unproc(r#"{"device_id":"d","batch_id":"b","records":[{"a":"x\u0000y"}]}"#).contains("NUL"));
        let huge =
            format!(r#"{{"device_id":"d","batch_id":"b","records":[{{"a":"{}"}}]}}"#, "x".repeat(MAX_STRING_BYTES + 1));
        assert!(unproc(&huge).contains("limit"));
    }
}
