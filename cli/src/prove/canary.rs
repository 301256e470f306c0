//! Canary uploads: small, recognisable, and checkable record by record.
//!
//! Every canary uses the device id `forgectl-canary-<run>` (documented in
//! docs/prove.md), so canary rows are easy to find, exclude from analytics,
//! or delete (`verify --cleanup`). Each record carries `seq`, its number
//! within the run, so a record stored twice is caught even under a new key.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use forgectl_contract::Kind;
use serde::Serialize;

use super::histogram::LatencyHistogram;
use super::store::StoredRecord;
use super::ProveError;

/// Every canary device id starts with this.
pub const CANARY_DEVICE_PREFIX: &str = "forgectl-canary-";

/// Records per canary upload: more than one, so a partial write shows.
pub const RECORDS_PER_UPLOAD: usize = 3;

/// One canary run: its ids and what it sent.
#[derive(Debug, Clone)]
pub struct CanaryRun {
    pub run_id: String,
}

/// A canary upload as sent.
#[derive(Debug, Clone)]
pub struct SentUpload {
    pub kind: Kind,
    pub batch_id: String,
    /// `seq` of the upload's first record; the others follow.
    pub first_seq: i64,
    pub records: usize,
    /// When the request left this machine.
    pub sent_at: SystemTime,
    /// The producer's answer: 2xx means it promised the records to Kafka.
    pub accepted: bool,
}

impl CanaryRun {
    /// A run id from the wall clock: unique per run and sortable.
    pub fn new(now: SystemTime) -> CanaryRun {
        let millis = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
        CanaryRun { run_id: format!("{millis:x}-{}", std::process::id()) }
    }

    pub fn device_id(&self) -> String {
        format!("{CANARY_DEVICE_PREFIX}{}", self.run_id)
    }

    pub fn batch_id(&self, kind: Kind, upload: u32) -> String {
        format!("{}-{kind}-{upload}", self.run_id)
    }

    /// The request body of upload `upload` of `kind`, whose records are
    /// numbered from `first_seq`.
    pub fn body(&self, kind: Kind, upload: u32, first_seq: i64) -> Vec<u8> {
        let records: Vec<serde_json::Value> = (0..RECORDS_PER_UPLOAD as i64)
            .map(
                |offset| serde_json::json!({ "canary": self.run_id, "kind": kind.as_str(), "seq": first_seq + offset }),
            )
            .collect();
        serde_json::json!({ "device_id": self.device_id(), "batch_id": self.batch_id(kind, upload), "records": records })
            .to_string()
            .into_bytes()
    }
}

/// What became of one kind's canaries in one store.
#[derive(Debug, Clone, Serialize)]
pub struct KindOutcome {
    pub kind: Kind,
    pub store: &'static str,
    pub uploads_sent: usize,
    pub uploads_accepted: usize,
    /// Records of accepted uploads: what must arrive.
    pub expected: usize,
    pub arrived: usize,
    pub lost: usize,
    pub duplicated: usize,
    /// End to end, from sending the upload to the store's write.
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl KindOutcome {
    pub fn passed(&self) -> bool {
        self.uploads_accepted == self.uploads_sent && self.lost == 0 && self.duplicated == 0
    }
}

/// Compares what was sent with what is stored. `clock_offset` is the store's
/// clock minus this machine's (positive when the store is ahead).
pub fn reconcile(
    kind: Kind,
    store: &'static str,
    sent: &[SentUpload],
    stored: &[StoredRecord],
    clock_offset: ClockOffset,
) -> Result<KindOutcome, ProveError> {
    let mine: Vec<&SentUpload> = sent.iter().filter(|upload| upload.kind == kind).collect();
    let mut expected: BTreeMap<i64, SystemTime> = BTreeMap::new();
    for upload in mine.iter().filter(|upload| upload.accepted) {
        for offset in 0..upload.records as i64 {
            expected.insert(upload.first_seq + offset, upload.sent_at);
        }
    }
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    let mut latency = LatencyHistogram::new(3)?;
    for record in stored {
        let Some(seq) = record.seq else { continue };
        let copies = seen.entry(seq).or_default();
        *copies += 1;
        if *copies > 1 {
            continue;
        }
        if let Some(sent_at) = expected.get(&seq) {
            latency.record(clock_offset.to_local(record.stored_at).duration_since(*sent_at).unwrap_or_default());
        }
    }
    let arrived = expected.keys().filter(|seq| seen.contains_key(seq)).count();
    Ok(KindOutcome {
        kind,
        store,
        uploads_sent: mine.len(),
        uploads_accepted: mine.iter().filter(|upload| upload.accepted).count(),
        expected: expected.len(),
        arrived,
        lost: expected.len() - arrived,
        duplicated: seen.values().map(|copies| copies.saturating_sub(1)).sum(),
        p50_ms: latency.percentile_ms(50.0),
        p99_ms: latency.percentile_ms(99.0),
    })
}

/// The store's clock against this machine's, from one round trip: the store
/// read its clock at about the middle of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockOffset {
    store_ahead: Duration,
    store_behind: Duration,
}

impl ClockOffset {
    pub fn measure(asked: SystemTime, store_now: SystemTime, answered: SystemTime) -> ClockOffset {
        let round_trip = answered.duration_since(asked).unwrap_or_default();
        let local_middle = asked + round_trip / 2;
        match store_now.duration_since(local_middle) {
            Ok(ahead) => ClockOffset { store_ahead: ahead, store_behind: Duration::ZERO },
            Err(behind) => ClockOffset { store_ahead: Duration::ZERO, store_behind: behind.duration() },
        }
    }

    /// A store timestamp on this machine's clock.
    pub fn to_local(self, store_time: SystemTime) -> SystemTime {
        store_time.checked_sub(self.store_ahead).unwrap_or(store_time) + self.store_behind
    }

    pub fn millis(self) -> f64 {
        (self.store_ahead.as_secs_f64() - self.store_behind.as_secs_f64()) * 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(millis: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + millis)
    }

    fn sent(kind: Kind, first_seq: i64, sent_ms: u64, accepted: bool) -> SentUpload {
        SentUpload { kind, batch_id: format!("b{first_seq}"), first_seq, records: 3, sent_at: at(sent_ms), accepted }
    }

    fn stored(seq: i64, stored_ms: u64) -> StoredRecord {
        StoredRecord { batch_id: "b".into(), record_index: 0, seq: Some(seq), stored_at: at(stored_ms) }
    }

    #[test]
    fn every_record_arrived_once() {
        let uploads = [sent(Kind::Sms, 0, 0, true), sent(Kind::Events, 3, 0, true)];
        let rows = [stored(0, 40), stored(1, 40), stored(2, 60)];
        let outcome = reconcile(Kind::Sms, "postgresql", &uploads, &rows, ClockOffset::default())
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!((outcome.expected, outcome.arrived, outcome.lost, outcome.duplicated), (3, 3, 0, 0));
        assert!(outcome.passed());
        assert!((outcome.p99_ms - 60.0).abs() < 0.5, "{outcome:?}");
    }

    #[test]
    fn missing_and_repeated_records_are_counted() {
        let uploads = [sent(Kind::Sms, 0, 0, true)];
        let rows = [stored(0, 10), stored(0, 11), stored(2, 12)];
        let outcome = reconcile(Kind::Sms, "postgresql", &uploads, &rows, ClockOffset::default())
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!((outcome.lost, outcome.duplicated), (1, 1));
        assert!(!outcome.passed());
    }

    #[test]
    fn a_rejected_upload_fails_the_kind_without_counting_as_lost() {
        let uploads = [sent(Kind::Sms, 0, 0, false)];
        let outcome = reconcile(Kind::Sms, "postgresql", &uploads, &[], ClockOffset::default())
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!((outcome.expected, outcome.lost), (0, 0));
        assert!(!outcome.passed());
    }

    #[test]
    fn store_timestamps_are_moved_onto_the_local_clock() {
        // Asked at 0, answered at 10: the store read its clock at about 5,
        // and said 1005, so it runs a second ahead.
        let offset = ClockOffset::measure(at(0), at(1005), at(10));
        assert!((offset.millis() - 1000.0).abs() < 1e-6);
        assert_eq!(offset.to_local(at(2000)), at(1000));
        let behind = ClockOffset::measure(at(1000), at(5), at(1010));
        assert_eq!(behind.to_local(at(0)), at(1000));
    }

    #[test]
    fn canary_ids_are_recognisable() {
        let run = CanaryRun { run_id: "abc-1".into() };
        assert!(run.device_id().starts_with(CANARY_DEVICE_PREFIX));
        let body: serde_json::Value = serde_json::from_slice(&run.body(Kind::Events, 2, 6)).unwrap_or_default();
        assert_eq!(body["batch_id"], "abc-1-events-2");
        assert_eq!(body["records"][2]["seq"], 8);
    }
}
