//! The JSON value of every upload message: what the producer writes and the
//! consumer reads. One envelope per upload, keyed by device id.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::kinds::Kind;

/// Version of the envelope layout, so a future change can be told apart.
pub const ENVELOPE_VERSION: u32 = 1;

pub use forgectl_contract::headers::BATCH_ID_HEADER;

/// Longest device or batch id accepted anywhere in the pipeline.
pub const MAX_ID_LEN: usize = 128;

#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope {
    pub v: u32,
    pub batch_id: String,
    pub device_id: String,
    pub kind: Kind,
    /// Milliseconds since the Unix epoch at which the producer accepted the upload.
    pub received_at_ms: i64,
    /// Records are kept as raw JSON text: the consumer stores them as `jsonb`
    /// and never needs their fields, so it skips building a tree for each.
    pub records: Vec<Box<RawValue>>,
}

/// Same layout as [`Envelope`], borrowed, so the producer can serialise
/// without copying records.
#[derive(Debug, Serialize)]
pub struct EnvelopeRef<'a> {
    pub v: u32,
    pub batch_id: &'a str,
    pub device_id: &'a str,
    pub kind: Kind,
    pub received_at_ms: i64,
    pub records: &'a [Box<RawValue>],
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {MAX_ID_LEN} characters, got {0}")]
    TooLong(usize),
    #[error("may contain only ASCII letters, digits and . _ : -")]
    Charset,
}

/// Ids end up in Kafka keys, headers and primary keys: keep them short and
/// printable so no layer has to escape them.
pub fn validate_id(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.len() > MAX_ID_LEN {
        return Err(IdError::TooLong(id.len()));
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-')) {
        return Err(IdError::Charset);
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("message value is not a valid envelope: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("unsupported envelope version {0}")]
    Version(u32),
    #[error("invalid batch_id: {0}")]
    BatchId(IdError),
    #[error("invalid device_id: {0}")]
    DeviceId(IdError),
    #[error("envelope has no records")]
    NoRecords,
    #[error("record {index} is not a JSON object")]
    NotAnObject { index: usize },
    #[error("received_at_ms {0} is out of range")]
    Timestamp(i64),
}

/// Year 9999 in milliseconds: anything later does not fit `timestamptz` well.
const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_000;

impl Envelope {
    /// Decodes and checks everything the database would otherwise reject, so
    /// a bad message becomes a dead letter instead of a failed batch.
    pub fn decode(value: &[u8]) -> Result<Envelope, EnvelopeError> {
        let env: Envelope = serde_json::from_slice(value)?;
        if env.v != ENVELOPE_VERSION {
            return Err(EnvelopeError::Version(env.v));
        }
        validate_id(&env.batch_id).map_err(EnvelopeError::BatchId)?;
        validate_id(&env.device_id).map_err(EnvelopeError::DeviceId)?;
        if env.records.is_empty() {
            return Err(EnvelopeError::NoRecords);
        }
        if let Some(index) = env.records.iter().position(|r| !r.get().trim_start().starts_with('{')) {
            return Err(EnvelopeError::NotAnObject { index });
        }
        if !(0..=MAX_TIMESTAMP_MS).contains(&env.received_at_ms) {
            return Err(EnvelopeError::Timestamp(env.received_at_ms));
        }
        Ok(env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn round_trips() {
        let records = vec![raw(r#"{"a":1}"#), raw(r#"{"b":"x"}"#)];
        let e = EnvelopeRef {
            v: ENVELOPE_VERSION,
            batch_id: "b-1",
            device_id: "d:1",
            kind: Kind::Sms,
            received_at_ms: 1_700_000_000_000,
            records: &records,
        };
        let bytes = serde_json::to_vec(&e).unwrap();
        let back = Envelope::decode(&bytes).unwrap();
        assert_eq!(back.batch_id, "b-1");
        assert_eq!(back.kind, Kind::Sms);
        assert_eq!(back.records.len(), 2);
        assert_eq!(back.records[1].get(), r#"{"b":"x"}"#);
    }

    #[test]
    fn rejects_bad_envelopes() {
        assert!(matches!(Envelope::decode(b"not json"), Err(EnvelopeError::Decode(_))));
        let base = |batch: &str, recs: &str, ts: i64| {
            format!(
                r#"{{"v":1,"batch_id":"{batch}","device_id":"d","kind":"sms","received_at_ms":{ts},"records":{recs}}}"#
            )
        };
        assert!(matches!(
            Envelope::decode(base("", "[{}]", 1).as_bytes()),
            Err(EnvelopeError::BatchId(IdError::Empty))
        ));
        assert!(matches!(Envelope::decode(base("b", "[]", 1).as_bytes()), Err(EnvelopeError::NoRecords)));
        assert!(matches!(
            Envelope::decode(base("b", "[{}, 3]", 1).as_bytes()),
            Err(EnvelopeError::NotAnObject { index: 1 })
        ));
        assert!(matches!(Envelope::decode(base("b", "[{}]", -5).as_bytes()), Err(EnvelopeError::Timestamp(-5))));
        assert!(Envelope::decode(base("b", "[{}]", 5).as_bytes()).is_ok());
    }

    #[test]
    fn id_rules() {
        assert_eq!(validate_id("abc-DEF_1.2:3"), Ok(()));
        assert_eq!(validate_id(""), Err(IdError::Empty));
        assert_eq!(validate_id(&"x".repeat(129)), Err(IdError::TooLong(129)));
        assert_eq!(validate_id("a b"), Err(IdError::Charset));
        assert_eq!(validate_id("é"), Err(IdError::Charset));
    }
}
