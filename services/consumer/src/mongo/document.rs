//! From the batch's envelopes to MongoDB documents, one collection per topic.

use std::collections::BTreeMap;

use mongodb::bson::{self, doc, Bson, RawDocumentBuf};

use forgectl_service_common::Envelope;

use crate::batch::{Item, Payload};
use crate::mongo::config::EnabledSources;

/// MongoDB's (and DocumentDB's) limit on one document, `maxBsonObjectSize`.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// The record's `_id`, derived from what identifies it across retries: the
/// device, the upload's batch id and the record's position in the upload.
/// The device id is length-prefixed and the index is the last field, so no
/// two triples share an `_id` whatever characters the ids hold. A string
/// (not a sub-document) keeps equality independent of field order on every
/// server that speaks the protocol.
pub fn record_id(device_id: &str, batch_id: &str, record_index: usize) -> String {
    format!("{}:{device_id}|{batch_id}|{record_index}", device_id.len())
}

/// The documents of one collection, and for each the batch item it came from.
#[derive(Debug, Default)]
pub struct TopicDocuments {
    pub documents: Vec<RawDocumentBuf>,
    pub origin: Vec<usize>,
}

/// Documents by topic for the enabled topics, plus the items whose documents
/// can never be stored (the reason says why) and so must be dead-lettered.
#[derive(Debug, Default)]
pub struct Planned<'a> {
    pub by_topic: BTreeMap<&'a str, TopicDocuments>,
    pub unstorable: Vec<(usize, String)>,
}

pub fn plan<'a>(items: &'a [Item], enabled: &EnabledSources) -> Planned<'a> {
    let mut out = Planned::default();
    for (at, item) in items.iter().enumerate() {
        let Payload::Rows(env) = &item.payload else { continue };
        if !enabled.includes(&item.source.topic) {
            continue;
        }
        match envelope_documents(env, item.source.partition, item.source.offset) {
            Ok(docs) => {
                let slot = out.by_topic.entry(item.source.topic.as_str()).or_default();
                slot.origin.extend(std::iter::repeat_n(at, docs.len()));
                slot.documents.extend(docs);
            }
            Err(reason) => out.unstorable.push((at, reason)),
        }
    }
    out
}

/// The `_id`s of an envelope's records: what to delete when the message is
/// dead-lettered after some of its documents were stored.
pub fn envelope_ids(env: &Envelope) -> Vec<Bson> {
    (0..env.records.len()).map(|i| Bson::String(record_id(&env.device_id, &env.batch_id, i))).collect()
}

fn envelope_documents(env: &Envelope, partition: i32, offset: i64) -> Result<Vec<RawDocumentBuf>, String> {
    let received_at = bson::DateTime::from_millis(env.received_at_ms);
    env.records
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            let value: serde_json::Value =
                serde_json::from_str(raw.get()).map_err(|e| format!("record {index} is not JSON: {e}"))?;
            let record = Bson::try_from(value).map_err(|e| format!("record {index} has no BSON form: {e}"))?;
            let document = doc! {
                "_id": record_id(&env.device_id, &env.batch_id, index),
                "device_id": &env.device_id,
                "batch_id": &env.batch_id,
                "record_index": index as i64,
                "kind": env.kind.as_str(),
                "received_at": received_at,
                "record": record,
                "kafka_partition": partition,
                "kafka_offset": offset,
            };
            let raw = RawDocumentBuf::from_document(&document)
                .map_err(|e| format!("record {index} cannot be encoded: {e}"))?;
            if raw.as_bytes().len() > MAX_DOCUMENT_BYTES {
                return Err(format!(
                    "record {index} makes a {} byte document; MongoDB stores at most {MAX_DOCUMENT_BYTES}",
                    raw.as_bytes().len()
                ));
            }
            Ok(raw)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{Poison, Source};

    fn envelope(device: &str, batch: &str, records: &[&str]) -> Envelope {
        let body = format!(
            r#"{{"v":1,"batch_id":"{batch}","device_id":"{device}","kind":"sms","received_at_ms":1000,"records":[{}]}}"#,
            records.join(",")
        );
        Envelope::decode(body.as_bytes()).unwrap()
    }

    fn item(topic: &str, offset: i64, payload: Payload) -> Item {
        Item { source: Source { topic: topic.into(), partition: 2, offset }, payload }
    }

    #[test]
    fn ids_are_unambiguous() {
        assert_ne!(record_id("a|b", "c", 1), record_id("a", "b|c", 1));
        assert_ne!(record_id("a", "b|1", 2), record_id("a", "b", 12));
        assert_eq!(record_id("dev", "b1", 0), "3:dev|b1|0");
    }

    #[test]
    fn one_document_per_record_for_enabled_topics_only() {
        let items = vec![
            item("x_sms_batched", 7, Payload::Rows(envelope("dev", "b1", &[r#"{"a":1}"#, r#"{"a":[2,{"b":null}]}"#]))),
            item("x_events_log", 8, Payload::Rows(envelope("dev", "b2", &[r#"{"e":1}"#]))),
            item(
                "x_sms_batched",
                9,
                Payload::Poison(Poison {
                    key: None,
                    payload: None,
                    headers: vec![],
                    error: "x".into(),
                    dlq_sent: false,
                }),
            ),
        ];
        let planned = plan(&items, &EnabledSources::parse("sms").unwrap());
        assert!(planned.unstorable.is_empty());
        assert_eq!(planned.by_topic.keys().copied().collect::<Vec<_>>(), vec!["x_sms_batched"]);
        let sms = &planned.by_topic["x_sms_batched"];
        assert_eq!(sms.origin, vec![0, 0]);
        let second = sms.documents[1].to_document().unwrap();
        assert_eq!(second.get_str("_id").unwrap(), "3:dev|b1|1");
        assert_eq!(second.get_i64("record_index").unwrap(), 1);
        assert_eq!(second.get_i64("kafka_offset").unwrap(), 7);
        assert_eq!(second.get_i32("kafka_partition").unwrap(), 2);
        assert_eq!(second.get_str("kind").unwrap(), "sms");
        assert_eq!(second.get_datetime("received_at").unwrap().timestamp_millis(), 1000);
        assert_eq!(second.get_document("record").unwrap().get_array("a").unwrap().len(), 2);
        assert_eq!(plan(&items, &EnabledSources::All).by_topic.len(), 2);
        assert_eq!(
            envelope_ids(match &items[0].payload {
                Payload::Rows(e) => e,
                Payload::Poison(_) => unreachable!(),
            })
            .len(),
            2
        );
    }

    #[test]
    fn oversized_records_are_unstorable() {
        let big = format!(r#"{{"s":"{}"}}"#, "x".repeat(MAX_DOCUMENT_BYTES));
        let items = vec![item("sms_batched", 1, Payload::Rows(envelope("dev", "b", &[&big])))];
        let planned = plan(&items, &EnabledSources::All);
        assert!(planned.by_topic.is_empty());
        assert_eq!(planned.unstorable.len(), 1);
        assert!(planned.unstorable[0].1.contains("at most"), "{}", planned.unstorable[0].1);
    }
}
