//! Property tests of the envelope decoder: whatever a message holds, the
//! consumer gets rows or a dead letter, never a panic, and rows only with
//! valid ids and object records. (What PostgreSQL still refuses, such as
//! U+0000 in a record, is dead-lettered by the sink's isolation pass.) No
//! stack needed.

use forgectl_consumer::batch::Payload;
use forgectl_consumer::decode::decode;
use forgectl_service_common::Envelope;
use proptest::prelude::*;
use rdkafka::message::{Header, OwnedHeaders, OwnedMessage, Timestamp};

fn message(value: Option<Vec<u8>>, headers: Vec<(String, Vec<u8>)>) -> OwnedMessage {
    let mut owned = OwnedHeaders::new();
    for (k, v) in &headers {
        owned = owned.insert(Header { key: k, value: Some(v) });
    }
    OwnedMessage::new(value, None, "t".into(), Timestamp::NotAvailable, 0, 0, Some(owned))
}

fn envelope_text(batch: &str, device: &str, kind: &str, records: &str) -> Vec<u8> {
    format!(
        r#"{{"v":1,"batch_id":{},"device_id":{},"kind":{},"received_at_ms":1,"records":{records}}}"#,
        serde_json::Value::from(batch),
        serde_json::Value::from(device),
        serde_json::Value::from(kind)
    )
    .into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_values_and_headers_never_panic(
        value in prop::option::of(prop::collection::vec(any::<u8>(), 0..1024)),
        headers in prop::collection::vec((any::<String>(), prop::collection::vec(any::<u8>(), 0..16)), 0..4),
        limit in 0usize..2048,
    ) {
        let msg = message(value.clone(), headers);
        match decode(&msg, limit) {
            Payload::Rows(env) => prop_assert!(value.is_some_and(|v| v.len() <= limit) && !env.records.is_empty()),
            Payload::Poison(p) => prop_assert!(!p.error.is_empty()),
        }
    }

    #[test]
    fn near_envelopes_decode_only_when_storable(
        batch in ".{0,12}",
        device in "[a-z0-9]{1,6}|.{0,4}",
        kind in "sms|events|calls|",
        records in r#"\[(\{"a":"([^"\\]|\\u0000|\\ud800|\\n){0,6}"\},?){0,3}\]|.{0,20}"#,
    ) {
        let bytes = envelope_text(&batch, &device, &kind, &records);
        if let Ok(env) = Envelope::decode(&bytes) {
            prop_assert!(!env.batch_id.is_empty() && !env.device_id.is_empty());
            let objects = env.records.iter().all(|r| r.get().trim_start().starts_with('{'));
            prop_assert!(objects, "a record that is not an object was decoded");
        }
        // And the consumer's path never panics on it either.
        let _ = decode(&message(Some(bytes), Vec::new()), usize::MAX);
    }
}
