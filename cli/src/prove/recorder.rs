//! Folds a load run's completions into what the report shows: one overall
//! latency histogram, one per second of the schedule, and errors by status.

use std::collections::BTreeMap;

use serde::Serialize;

use super::histogram::{LatencyHistogram, Percentiles};
use super::schedule::Completion;
use super::ProveError;

/// One second of the run, by scheduled time.
#[derive(Debug, Clone, Serialize)]
pub struct SecondStats {
    pub second: u64,
    /// Requests whose scheduled time fell in this second.
    pub offered: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadSummary {
    pub offered: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub error_percent: f64,
    /// Every request, successful or not, from its scheduled time.
    pub latency: Percentiles,
    /// Status code (or failure reason) -> count, for everything but 2xx.
    pub errors: BTreeMap<String, u64>,
    pub seconds: Vec<SecondStats>,
    /// How late the sender was against its own schedule at worst; large
    /// values mean this machine, not the server, limited the run.
    pub max_send_delay_ms: f64,
}

struct Second {
    offered: u64,
    succeeded: u64,
    histogram: LatencyHistogram,
}

pub struct LoadRecorder {
    overall: LatencyHistogram,
    seconds: Vec<Second>,
    errors: BTreeMap<String, u64>,
    max_send_delay_ms: f64,
}

impl LoadRecorder {
    pub fn new() -> Result<LoadRecorder, ProveError> {
        Ok(LoadRecorder {
            overall: LatencyHistogram::new(3)?,
            seconds: Vec::new(),
            errors: BTreeMap::new(),
            max_send_delay_ms: 0.0,
        })
    }

    pub fn record(&mut self, completion: &Completion) {
        let second = usize::try_from(completion.scheduled.as_secs()).unwrap_or(usize::MAX);
        if self.seconds.len() <= second {
            let overall = &self.overall;
            self.seconds.resize_with(second.saturating_add(1), || Second {
                offered: 0,
                succeeded: 0,
                histogram: overall.empty_like(),
            });
        }
        self.overall.record(completion.latency);
        let delay = completion.sent.saturating_sub(completion.scheduled).as_secs_f64() * 1000.0;
        self.max_send_delay_ms = self.max_send_delay_ms.max(delay);
        if let Some(bucket) = self.seconds.get_mut(second) {
            bucket.offered += 1;
            bucket.histogram.record(completion.latency);
            if completion.outcome.is_success() {
                bucket.succeeded += 1;
            }
        }
        if !completion.outcome.is_success() {
            *self.errors.entry(completion.outcome.label()).or_default() += 1;
        }
    }

    pub fn summary(&self) -> LoadSummary {
        let offered = self.overall.count();
        let failed: u64 = self.errors.values().sum();
        let seconds = self
            .seconds
            .iter()
            .enumerate()
            .map(|(second, bucket)| SecondStats {
                second: second as u64,
                offered: bucket.offered,
                succeeded: bucket.succeeded,
                failed: bucket.offered - bucket.succeeded,
                p50_ms: bucket.histogram.percentile_ms(50.0),
                p99_ms: bucket.histogram.percentile_ms(99.0),
                max_ms: bucket.histogram.max_ms(),
            })
            .collect();
        LoadSummary {
            offered,
            succeeded: offered.saturating_sub(failed),
            failed,
            error_percent: if offered == 0 { 0.0 } else { failed as f64 * 100.0 / offered as f64 },
            latency: self.overall.percentiles(),
            errors: self.errors.clone(),
            seconds,
            max_send_delay_ms: self.max_send_delay_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::prove::schedule::Outcome;

    fn completion(scheduled_ms: u64, latency_ms: u64, outcome: Outcome) -> Completion {
        Completion {
            index: 0,
            scheduled: Duration::from_millis(scheduled_ms),
            sent: Duration::from_millis(scheduled_ms + 1),
            latency: Duration::from_millis(latency_ms),
            outcome,
        }
    }

    #[test]
    fn seconds_and_errors_are_counted_by_scheduled_time() {
        let mut recorder = LoadRecorder::new().unwrap_or_else(|err| panic!("{err}"));
        recorder.record(&completion(100, 5, Outcome::Status(200)));
        recorder.record(&completion(900, 7, Outcome::Status(503)));
        recorder.record(&completion(2100, 9, Outcome::Failed("timeout".into())));
        let summary = recorder.summary();
        assert_eq!((summary.offered, summary.succeeded, summary.failed), (3, 1, 2));
        assert_eq!(summary.seconds.len(), 3);
        assert_eq!((summary.seconds[0].offered, summary.seconds[0].failed), (2, 1));
        assert_eq!(summary.seconds[1].offered, 0);
        assert_eq!(summary.errors.get("503"), Some(&1));
        assert_eq!(summary.errors.get("timeout"), Some(&1));
        assert!((summary.max_send_delay_ms - 1.0).abs() < 1e-9);
    }
}
