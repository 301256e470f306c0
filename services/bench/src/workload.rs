//! Workload model v1 (services/workload/v1.yaml) and payloads shaped by it.

use std::collections::BTreeMap;

use anyhow::Context;
use forgectl_service_common::envelope::{EnvelopeRef, ENVELOPE_VERSION};
use forgectl_service_common::Kind;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Deserialize)]
pub struct KindModel {
    pub topic: String,
    pub uploads_per_day: f64,
    pub records_per_upload: usize,
    pub record_bytes: usize,
}

#[derive(Debug, Deserialize)]
pub struct Workload {
    pub version: u32,
    pub peak_to_average: f64,
    pub kinds: BTreeMap<String, KindModel>,
}

impl Workload {
    pub fn load() -> anyhow::Result<Workload> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../workload/v1.yaml");
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        let w: Workload = serde_norway::from_str(&text).with_context(|| format!("parsing {path}"))?;
        for k in Kind::ALL {
            let m = w.kinds.get(k.as_str()).with_context(|| format!("{path}: kind {k} is missing"))?;
            anyhow::ensure!(
                m.topic == k.topic(),
                "{path}: kind {k} has topic {}, the services use {}",
                m.topic,
                k.topic()
            );
        }
        Ok(w)
    }

    pub fn model(&self, kind: Kind) -> &KindModel {
        &self.kinds[kind.as_str()]
    }

    pub fn uploads_per_dau_day(&self) -> f64 {
        self.kinds.values().map(|k| k.uploads_per_day).sum()
    }

    pub fn rows_per_dau_day(&self) -> f64 {
        self.kinds.values().map(|k| k.uploads_per_day * k.records_per_upload as f64).sum()
    }

    pub fn bytes_per_dau_day(&self) -> f64 {
        self.kinds.values().map(|k| k.uploads_per_day * (k.records_per_upload * k.record_bytes) as f64).sum()
    }

    /// Peak-hour rate per DAU, per second.
    pub fn peak_per_dau_sec(&self, per_day: f64) -> f64 {
        per_day * self.peak_to_average / 86_400.0
    }

    /// A deterministic sequence of kinds in workload proportion (by uploads).
    pub fn kind_sequence(&self, len: usize) -> Vec<Kind> {
        let total = self.uploads_per_dau_day();
        let mut credit: Vec<(Kind, f64)> = Kind::ALL.iter().map(|k| (*k, 0.0)).collect();
        let mut out = Vec::with_capacity(len);
        for _ in 0..len {
            for (k, c) in credit.iter_mut() {
                *c += self.model(*k).uploads_per_day / total;
            }
            let best = credit
                .iter_mut()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(k, c)| {
                    *c -= 1.0;
                    *k
                })
                .unwrap_or(Kind::Events);
            out.push(best);
        }
        out
    }
}

/// Cheap deterministic generator so records compress like real text, not
/// like a run of one letter.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn text(&mut self, len: usize) -> String {
        const WORDS: &[&str] = &[
            "your", "OTP", "is", "credited", "debited", "INR", "balance", "account", "txn", "ref", "at", "on", "via",
            "UPI", "call", "missed", "app", "open", "screen", "view", "tap", "order", "delivery", "bank", "loan",
        ];
        let mut s = String::with_capacity(len + 12);
        while s.len() < len {
            let r = self.next();
            if r.is_multiple_of(5) {
                s.push_str(&(r % 1_000_000).to_string());
            } else {
                s.push_str(WORDS[(r % WORDS.len() as u64) as usize]);
            }
            s.push(' ');
        }
        s.truncate(len);
        s
    }
}

/// One record of about `bytes` serialised bytes.
pub fn record(rng: &mut Rng, i: usize, bytes: usize) -> serde_json::Value {
    let body = rng.text(bytes.saturating_sub(70).max(8));
    serde_json::json!({ "i": i, "ts": 1_700_000_000_000u64 + rng.next() % 1_000_000, "src": "bench", "body": body })
}

pub struct Upload {
    pub kind: Kind,
    pub device_id: String,
    pub batch_id: String,
    /// The HTTP request body.
    pub body: Vec<u8>,
    /// The Kafka message value the API builds for it (for the raw baseline
    /// and the consumer bench).
    pub envelope: Vec<u8>,
    pub records: usize,
}

pub fn make_uploads(w: &Workload, n: usize, tag: &str, seed: u64) -> Vec<Upload> {
    let mut rng = Rng::new(seed);
    w.kind_sequence(n)
        .into_iter()
        .enumerate()
        .map(|(i, kind)| {
            let m = w.model(kind);
            let records: Vec<serde_json::Value> =
                (0..m.records_per_upload).map(|j| record(&mut rng, j, m.record_bytes)).collect();
            let device_id = format!("dev-{}", rng.next() % 5000);
            let batch_id = format!("{tag}-{i}");
            let body = serde_json::to_vec(
                &serde_json::json!({ "device_id": device_id, "batch_id": batch_id, "records": records }),
            )
            .unwrap_or_default();
            let raws: Vec<Box<RawValue>> =
                records.iter().filter_map(|r| serde_json::value::to_raw_value(r).ok()).collect();
            let envelope = serde_json::to_vec(&EnvelopeRef {
                v: ENVELOPE_VERSION,
                batch_id: &batch_id,
                device_id: &device_id,
                kind,
                received_at_ms: 1_700_000_000_000,
                records: &raws,
            })
            .unwrap_or_default();
            Upload { kind, device_id, batch_id, body, envelope, records: m.records_per_upload }
        })
        .collect()
}
