//! Workload model v1 (`services/workload/v1.yaml`): what one daily active
//! user sends per day. `loadtest` turns it into a peak rate for a tier and
//! into upload bodies of the model's sizes.

use std::collections::BTreeMap;

use forgectl_contract::Kind;
use serde::Deserialize;

use super::ProveError;

const MODEL_NAME: &str = "services/workload/v1.yaml";
const MODEL_TEXT: &str = include_str!("../../../services/workload/v1.yaml");
const SECONDS_PER_DAY: f64 = 86_400.0;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    version: u32,
    peak_to_average: f64,
    kinds: BTreeMap<String, KindModel>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindModel {
    pub topic: String,
    pub uploads_per_day: f64,
    pub records_per_upload: usize,
    pub record_bytes: usize,
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub version: u32,
    pub peak_to_average: f64,
    /// In `Kind::ALL` order.
    pub kinds: Vec<(Kind, KindModel)>,
}

impl Workload {
    /// The model built into forgectl.
    pub fn builtin() -> Result<Workload, ProveError> {
        Self::parse(MODEL_TEXT)
    }

    fn parse(text: &str) -> Result<Workload, ProveError> {
        let invalid = |reason: String| ProveError::Workload { source_name: MODEL_NAME, reason };
        let file: ModelFile = serde_norway::from_str(text).map_err(|err| invalid(err.to_string()))?;
        if file.peak_to_average.is_nan() || file.peak_to_average < 1.0 {
            return Err(invalid(format!("peak_to_average is {}, below 1", file.peak_to_average)));
        }
        let mut kinds = Vec::new();
        for kind in Kind::ALL {
            let model = file.kinds.get(kind.as_str()).ok_or_else(|| invalid(format!("kind {kind} is missing")))?;
            if model.topic != kind.topic() {
                return Err(invalid(format!(
                    "kind {kind} has topic {}, the services use {}",
                    model.topic,
                    kind.topic()
                )));
            }
            if model.uploads_per_day < 0.0 || model.records_per_upload == 0 {
                return Err(invalid(format!("kind {kind} needs uploads_per_day >= 0 and records_per_upload >= 1")));
            }
            kinds.push((kind, model.clone()));
        }
        Ok(Workload { version: file.version, peak_to_average: file.peak_to_average, kinds })
    }

    /// Keeps only `kinds` (a tier under the India switch has no contacts or call logs).
    pub fn restricted_to(mut self, kinds: &[Kind]) -> Workload {
        self.kinds.retain(|(kind, _)| kinds.contains(kind));
        self
    }

    pub fn model(&self, kind: Kind) -> Option<&KindModel> {
        self.kinds.iter().find(|(k, _)| *k == kind).map(|(_, model)| model)
    }

    /// Uploads per second in the peak hour for `dau` daily active users.
    pub fn peak_uploads_per_second(&self, dau: u64) -> f64 {
        let per_day: f64 = self.kinds.iter().map(|(_, model)| model.uploads_per_day).sum();
        dau as f64 * per_day * self.peak_to_average / SECONDS_PER_DAY
    }

    /// Kinds in workload proportion, deterministically interleaved: each step
    /// picks the kind furthest behind its share (smooth weighted round robin).
    pub fn kind_sequence(&self, len: usize) -> Vec<Kind> {
        let total: f64 = self.kinds.iter().map(|(_, model)| model.uploads_per_day).sum();
        if total <= 0.0 {
            return Vec::new();
        }
        let mut credit: Vec<(Kind, f64, f64)> =
            self.kinds.iter().map(|(kind, model)| (*kind, model.uploads_per_day / total, 0.0)).collect();
        let mut sequence = Vec::with_capacity(len);
        for _ in 0..len {
            for entry in credit.iter_mut() {
                entry.2 += entry.1;
            }
            if let Some(best) = credit.iter_mut().max_by(|a, b| a.2.total_cmp(&b.2)) {
                best.2 -= 1.0;
                sequence.push(best.0);
            }
        }
        sequence
    }
}

/// Upload bodies of the model's sizes: the records are serialised once per
/// kind, and each body differs only in its device and batch ids.
#[derive(Debug, Clone)]
pub struct BodyFactory {
    records: BTreeMap<&'static str, String>,
}

impl BodyFactory {
    pub fn new(workload: &Workload, tag: &str) -> BodyFactory {
        let records = workload
            .kinds
            .iter()
            .map(|(kind, model)| (kind.as_str(), records_json(tag, model.records_per_upload, model.record_bytes)))
            .collect();
        BodyFactory { records }
    }

    pub fn body(&self, kind: Kind, device_id: &str, batch_id: &str) -> Vec<u8> {
        let records = self.records.get(kind.as_str()).map(String::as_str).unwrap_or("[]");
        // The ids are forgectl's own (ASCII letters, digits, `-`), and are
        // still encoded as JSON strings rather than pasted in.
        let device = serde_json::Value::from(device_id);
        let batch = serde_json::Value::from(batch_id);
        format!(r#"{{"device_id":{device},"batch_id":{batch},"records":{records}}}"#).into_bytes()
    }
}

/// `count` records of about `bytes` serialised bytes each, as a JSON array.
fn records_json(tag: &str, count: usize, bytes: usize) -> String {
    const WORDS: &[&str] =
        &["your", "OTP", "is", "credited", "INR", "balance", "account", "ref", "via", "UPI", "missed", "call", "order"];
    let records: Vec<serde_json::Value> = (0..count)
        .map(|index| {
            let mut text = String::new();
            let mut word = index;
            while text.len() + 60 < bytes.max(68) {
                text.push_str(WORDS[word % WORDS.len()]);
                text.push(' ');
                word = word.wrapping_mul(7).wrapping_add(3);
            }
            serde_json::json!({ "i": index, "src": tag, "body": text })
        })
        .collect();
    serde_json::Value::from(records).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_model_gives_the_documented_peak_rate() {
        let workload = Workload::builtin().unwrap_or_else(|err| panic!("{err}"));
        // 49 uploads per DAU per day at 3x the average in the peak hour.
        let rate = workload.peak_uploads_per_second(100_000);
        assert!((rate - 100_000.0 * 49.0 * 3.0 / 86_400.0).abs() < 1e-6, "{rate}");
    }

    #[test]
    fn the_kind_sequence_follows_the_model_shares() {
        let workload = Workload::builtin().unwrap_or_else(|err| panic!("{err}"));
        let sequence = workload.kind_sequence(490);
        let events = sequence.iter().filter(|k| **k == Kind::Events).count();
        let contacts = sequence.iter().filter(|k| **k == Kind::Contacts).count();
        assert_eq!((events, contacts), (400, 10));
    }

    #[test]
    fn restricted_models_leave_kinds_out() {
        let workload = Workload::builtin().unwrap_or_else(|err| panic!("{err}")).restricted_to(&[Kind::Sms]);
        assert!(workload.kind_sequence(10).iter().all(|kind| *kind == Kind::Sms));
    }

    #[test]
    fn bodies_are_valid_uploads_of_the_model_size() {
        let workload = Workload::builtin().unwrap_or_else(|err| panic!("{err}"));
        let factory = BodyFactory::new(&workload, "t");
        let body = factory.body(Kind::Sms, "forgectl-loadtest-1", "b-1");
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(parsed["device_id"], "forgectl-loadtest-1");
        assert_eq!(parsed["records"].as_array().map(Vec::len), Some(100));
        let per_record = body.len() / 100;
        assert!((300..=420).contains(&per_record), "{per_record} bytes per sms record");
    }
}
