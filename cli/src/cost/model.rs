//! The workload model (`services/workload/v1.yaml`): what one daily active
//! user sends per day. The estimate's traffic-driven items (load balancer
//! capacity units, data transfer) come from it and the tier's DAU.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::CostError;
use crate::profile::Profile;

const BUILTIN_WORKLOAD: (&str, &str) =
    ("services/workload/v1.yaml", include_str!("../../../services/workload/v1.yaml"));

const SECONDS_PER_DAY: f64 = 86_400.0;
const HOURS_PER_DAY: f64 = 24.0;
/// Data is counted in GiB (2^30 bytes), the unit AWS meters transfer and storage in.
pub const BYTES_PER_GB: f64 = 1_073_741_824.0;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub version: u32,
    /// The peak hour runs at this multiple of the day's average rate.
    pub peak_to_average: f64,
    pub kinds: IndexMap<String, Kind>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    pub topic: String,
    pub uploads_per_day: f64,
    pub records_per_upload: f64,
    pub record_bytes: f64,
}

/// A tier's traffic on an average day. Kinds the India switch drops are not
/// counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Traffic {
    pub workload_version: u32,
    pub dau: u64,
    pub uploads_per_second_average: f64,
    pub uploads_per_second_peak: f64,
    /// Record bytes written to Kafka per month (one copy).
    pub gb_per_month: f64,
    /// Bytes the brokers copy to followers per month: each topic's bytes × (RF − 1).
    pub replication_gb_per_month: f64,
    /// Record bytes through the load balancer in an average hour.
    pub gb_per_hour_average: f64,
}

impl Workload {
    pub fn builtin() -> Result<Workload, CostError> {
        let (name, text) = BUILTIN_WORKLOAD;
        let workload: Workload = serde_norway::from_str(text)
            .map_err(|err| CostError::MalformedWorkload { name: name.to_string(), message: err.to_string() })?;
        if !workload.peak_to_average.is_finite() || workload.peak_to_average < 1.0 {
            return Err(CostError::MalformedWorkload {
                name: name.to_string(),
                message: format!("peak_to_average is {}, expected ≥ 1", workload.peak_to_average),
            });
        }
        Ok(workload)
    }

    /// The tier's traffic; a month has `hours_per_month` hours.
    pub fn traffic(&self, profile: &Profile, hours_per_month: f64) -> Traffic {
        let dau = profile.dau as f64;
        let mut uploads_per_day = 0.0;
        let mut bytes_per_day = 0.0;
        let mut replica_bytes_per_day = 0.0;
        // The India switch drops kinds; a profile may prefix its topic names
        // (`<prefix>sms_batched`), so the kind's topic is found by suffix.
        let largest_rf = profile.topics.iter().map(|topic| topic.replication_factor).max().unwrap_or(1);
        for kind in self.kinds.values() {
            if profile.india && profile.india_excluded_topics.iter().any(|topic| topic.ends_with(&kind.topic)) {
                continue;
            }
            let replication_factor = profile
                .topics
                .iter()
                .find(|topic| topic.name.ends_with(&kind.topic))
                .map_or(largest_rf, |topic| topic.replication_factor);
            let bytes = dau * kind.uploads_per_day * kind.records_per_upload * kind.record_bytes;
            uploads_per_day += dau * kind.uploads_per_day;
            bytes_per_day += bytes;
            replica_bytes_per_day += bytes * f64::from(replication_factor.saturating_sub(1));
        }
        let days_per_month = hours_per_month / HOURS_PER_DAY;
        let uploads_per_second_average = uploads_per_day / SECONDS_PER_DAY;
        Traffic {
            workload_version: self.version,
            dau: profile.dau,
            uploads_per_second_average,
            uploads_per_second_peak: uploads_per_second_average * self.peak_to_average,
            gb_per_month: bytes_per_day * days_per_month / BYTES_PER_GB,
            replication_gb_per_month: replica_bytes_per_day * days_per_month / BYTES_PER_GB,
            gb_per_hour_average: bytes_per_day / HOURS_PER_DAY / BYTES_PER_GB,
        }
    }
}
