//! The in-memory batch between Kafka and PostgreSQL, and the mapping from
//! envelopes to column arrays for the UNNEST insert.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use forgectl_service_common::Envelope;

use crate::gaps::Gap;

/// Where a message came from; its offset is what the batch commits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

#[derive(Debug)]
pub struct Poison {
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub error: String,
    /// Set once the dead letter is acknowledged, so a retried flush does not
    /// send it twice.
    pub dlq_sent: bool,
}

#[derive(Debug)]
pub enum Payload {
    Rows(Envelope),
    Poison(Poison),
}

#[derive(Debug)]
pub struct Item {
    pub source: Source,
    pub payload: Payload,
}

#[derive(Debug, Default)]
pub struct Batch {
    pub items: Vec<Item>,
    pub rows: usize,
    pub oldest: Option<Instant>,
    /// Gaps seen while consuming, recorded with the batch's offsets (which
    /// move past them).
    pub gaps: Vec<Gap>,
}

impl Batch {
    pub fn push(&mut self, item: Item) {
        if let Payload::Rows(env) = &item.payload {
            self.rows += env.records.len();
        }
        self.oldest.get_or_insert_with(Instant::now);
        self.items.push(item);
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Drops items of partitions this consumer no longer owns; their new owner
    /// re-reads them from the last durable offset.
    pub fn retain_partitions(&mut self, revoked: &HashSet<(String, i32)>) {
        self.items.retain(|i| !revoked.contains(&(i.source.topic.clone(), i.source.partition)));
        // The new owner finds these gaps again: its stored offset is behind
        // the log start.
        self.gaps.retain(|g| !revoked.contains(&(g.topic.clone(), g.partition)));
        self.rows = self
            .items
            .iter()
            .map(|i| match &i.payload {
                Payload::Rows(e) => e.records.len(),
                Payload::Poison(_) => 0,
            })
            .sum();
        if self.items.is_empty() {
            self.oldest = None;
        }
    }

    /// Next offset to consume per partition: one past the highest offset held.
    pub fn next_offsets(&self) -> BTreeMap<(String, i32), i64> {
        next_offsets(self.items.iter())
    }

    pub fn clear(&mut self) {
        self.items.clear();
        self.gaps.clear();
        self.rows = 0;
        self.oldest = None;
    }
}

pub fn next_offsets<'a>(items: impl Iterator<Item = &'a Item>) -> BTreeMap<(String, i32), i64> {
    let mut out: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for i in items {
        let e = out.entry((i.source.topic.clone(), i.source.partition)).or_insert(i.source.offset + 1);
        *e = (*e).max(i.source.offset + 1);
    }
    out
}

/// Column arrays for one table's UNNEST insert. Records are borrowed from
/// the envelopes: the batch outlives the insert.
#[derive(Debug, Default)]
pub struct Columns<'a> {
    pub device_id: Vec<&'a str>,
    pub batch_id: Vec<&'a str>,
    pub record_index: Vec<i32>,
    pub kind: Vec<&'static str>,
    pub received_at: Vec<std::time::SystemTime>,
    pub record: Vec<&'a str>,
    pub partition: Vec<i32>,
    pub offset: Vec<i64>,
}

impl<'a> Columns<'a> {
    pub fn push(&mut self, source: &Source, env: &'a Envelope) {
        for (index, record) in env.records.iter().enumerate() {
            self.device_id.push(&env.device_id);
            self.batch_id.push(&env.batch_id);
            // Position in the upload: together with device and batch id it
            // identifies the record across retries.
            self.record_index.push(index as i32);
            self.kind.push(env.kind.as_str());
            // Sent as binary timestamptz: no per-row arithmetic in SQL.
            self.received_at
                .push(std::time::UNIX_EPOCH + std::time::Duration::from_millis(env.received_at_ms.max(0) as u64));
            self.record.push(record.get());
            self.partition.push(source.partition);
            self.offset.push(source.offset);
        }
    }

    pub fn len(&self) -> usize {
        self.record.len()
    }

    pub fn is_empty(&self) -> bool {
        self.record.is_empty()
    }
}

/// Groups the batch's rows by topic.
pub fn columns_by_topic(items: &[Item]) -> BTreeMap<&str, Columns<'_>> {
    let mut out: BTreeMap<&str, Columns<'_>> = BTreeMap::new();
    for item in items {
        if let Payload::Rows(env) = &item.payload {
            out.entry(item.source.topic.as_str()).or_default().push(&item.source, env);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(batch: &str, n: usize) -> Envelope {
        let recs: Vec<String> = (0..n).map(|i| format!(r#"{{"i":{i}}}"#)).collect();
        let body = format!(
            r#"{{"v":1,"batch_id":"{batch}","device_id":"dev","kind":"sms","received_at_ms":1000,"records":[{}]}}"#,
            recs.join(",")
        );
        Envelope::decode(body.as_bytes()).unwrap()
    }

    fn item(topic: &str, p: i32, o: i64, payload: Payload) -> Item {
        Item { source: Source { topic: topic.into(), partition: p, offset: o }, payload }
    }

    #[test]
    fn rows_carry_position_and_source() {
        let items = vec![
            item("a", 0, 5, Payload::Rows(env("b1", 2))),
            item("b", 1, 9, Payload::Rows(env("b2", 1))),
            item(
                "a",
                0,
                6,
                Payload::Poison(Poison {
                    key: None,
                    payload: None,
                    headers: vec![],
                    error: "x".into(),
                    dlq_sent: false,
                }),
            ),
        ];
        let cols = columns_by_topic(&items);
        let a = &cols["a"];
        assert_eq!(a.len(), 2);
        assert_eq!(a.record_index, vec![0, 1]);
        assert_eq!(a.batch_id, vec!["b1", "b1"]);
        assert_eq!(a.record, vec![r#"{"i":0}"#, r#"{"i":1}"#]);
        assert_eq!(a.offset, vec![5, 5]);
        assert_eq!(a.kind, vec!["sms", "sms"]);
        assert_eq!(cols["b"].partition, vec![1]);
    }

    #[test]
    fn offsets_include_poison_and_revocation_drops() {
        let mut b = Batch::default();
        b.push(item("a", 0, 5, Payload::Rows(env("b1", 2))));
        b.push(item(
            "a",
            0,
            6,
            Payload::Poison(Poison { key: None, payload: None, headers: vec![], error: "x".into(), dlq_sent: false }),
        ));
        b.push(item("a", 1, 3, Payload::Rows(env("b2", 3))));
        assert_eq!(b.rows, 5);
        let off = b.next_offsets();
        assert_eq!(off[&("a".to_string(), 0)], 7);
        assert_eq!(off[&("a".to_string(), 1)], 4);
        let revoked: HashSet<(String, i32)> = [("a".to_string(), 0)].into_iter().collect();
        b.retain_partitions(&revoked);
        assert_eq!(b.items.len(), 1);
        assert_eq!(b.rows, 3);
    }
}
