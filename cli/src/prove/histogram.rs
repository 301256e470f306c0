//! Latency distributions as HDR histograms: fixed memory whatever the
//! sample count, and percentiles exact to three significant digits.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::ProveError;

/// Anything slower than this is recorded as this: the request timeout is
/// below it, so nothing real is clipped.
const HIGHEST_MICROS: u64 = 300_000_000;

#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    micros: Histogram<u64>,
}

/// The usual percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl LatencyHistogram {
    /// `significant_digits` 3 for run totals, 2 for the many per-second ones.
    pub fn new(significant_digits: u8) -> Result<LatencyHistogram, ProveError> {
        Histogram::new_with_bounds(1, HIGHEST_MICROS, significant_digits)
            .map(|micros| LatencyHistogram { micros })
            .map_err(|err| ProveError::Invalid {
                message: format!("a latency histogram with {significant_digits} significant digits: {err}"),
                hint: "use 1 to 5 significant digits".into(),
            })
    }

    /// An empty histogram with the same bounds and precision.
    pub fn empty_like(&self) -> LatencyHistogram {
        LatencyHistogram { micros: Histogram::new_from(&self.micros) }
    }

    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1);
        self.micros.saturating_record(micros);
    }

    pub fn count(&self) -> u64 {
        self.micros.len()
    }

    pub fn percentile_ms(&self, percentile: f64) -> f64 {
        if self.micros.is_empty() {
            return 0.0;
        }
        self.micros.value_at_quantile(percentile / 100.0) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        if self.micros.is_empty() {
            return 0.0;
        }
        self.micros.max() as f64 / 1000.0
    }

    pub fn percentiles(&self) -> Percentiles {
        Percentiles {
            count: self.count(),
            p50_ms: self.percentile_ms(50.0),
            p90_ms: self.percentile_ms(90.0),
            p99_ms: self.percentile_ms(99.0),
            p999_ms: self.percentile_ms(99.9),
            max_ms: self.max_ms(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_out_in_milliseconds() {
        let mut histogram = LatencyHistogram::new(3).unwrap_or_else(|err| panic!("{err}"));
        for millis in 1..=1000u64 {
            histogram.record(Duration::from_millis(millis));
        }
        let p = histogram.percentiles();
        assert_eq!(p.count, 1000);
        assert!((p.p50_ms - 500.0).abs() < 1.0, "{p:?}");
        assert!((p.p99_ms - 990.0).abs() < 1.0, "{p:?}");
        assert!((p.max_ms - 1000.0).abs() < 1.0, "{p:?}");
    }

    #[test]
    fn an_empty_histogram_reports_zeros() {
        assert_eq!(LatencyHistogram::new(2).unwrap_or_else(|err| panic!("{err}")).percentiles().p99_ms, 0.0);
    }

    #[test]
    fn bad_precision_is_an_error() {
        assert!(LatencyHistogram::new(9).is_err());
    }

    #[test]
    fn latencies_past_the_range_saturate_instead_of_failing() {
        let mut histogram = LatencyHistogram::new(2).unwrap_or_else(|err| panic!("{err}"));
        histogram.record(Duration::from_secs(100_000));
        assert_eq!(histogram.count(), 1);
    }
}
