//! A load run against the tier's SLOs: one check per objective, and a
//! verdict that passes only when every check passed.

use serde::Serialize;

use super::recorder::LoadSummary;
use crate::profile::SloSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Fail,
    /// The run could not measure it (no Kafka access for lag): not a pass.
    NotMeasured,
}

#[derive(Debug, Clone, Serialize)]
pub struct SloCheck {
    pub objective: String,
    pub limit: String,
    pub measured: String,
    pub status: CheckStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub passed: bool,
    pub checks: Vec<SloCheck>,
}

/// `drain_seconds`: `Some(None)` when lag was observed and never drained
/// within the wait, `None` when lag could not be observed.
pub fn judge(slo: &SloSpec, load: &LoadSummary, drain_seconds: Option<Option<f64>>) -> Verdict {
    let at_most = |objective: &str, limit: f64, measured: f64, unit: &str| SloCheck {
        objective: objective.to_string(),
        limit: format!("<= {limit} {unit}"),
        measured: format!("{measured:.2} {unit}"),
        status: if measured <= limit { CheckStatus::Pass } else { CheckStatus::Fail },
    };
    let mut checks = vec![
        at_most("upload latency p99", f64::from(slo.upload_p99_ms), load.latency.p99_ms, "ms"),
        at_most("upload latency p99.9", f64::from(slo.upload_p999_ms), load.latency.p999_ms, "ms"),
        at_most("failed uploads", slo.max_error_percent, load.error_percent, "%"),
    ];
    let drain_limit = f64::from(slo.lag_drain_seconds);
    checks.push(match drain_seconds {
        Some(Some(seconds)) => at_most("consumer lag drained after the load", drain_limit, seconds, "s"),
        Some(None) => SloCheck {
            objective: "consumer lag drained after the load".into(),
            limit: format!("<= {drain_limit} s"),
            measured: "not drained".into(),
            status: CheckStatus::Fail,
        },
        None => SloCheck {
            objective: "consumer lag drained after the load".into(),
            limit: format!("<= {drain_limit} s"),
            measured: "not measured (Kafka not reachable from here)".into(),
            status: CheckStatus::NotMeasured,
        },
    });
    if load.offered == 0 {
        checks.push(SloCheck {
            objective: "uploads sent".into(),
            limit: "> 0".into(),
            measured: "0".into(),
            status: CheckStatus::Fail,
        });
    }
    Verdict { passed: checks.iter().all(|check| check.status == CheckStatus::Pass), checks }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::prove::histogram::Percentiles;

    fn slo() -> SloSpec {
        SloSpec { upload_p99_ms: 50, upload_p999_ms: 200, max_error_percent: 0.1, lag_drain_seconds: 60 }
    }

    fn load(p99_ms: f64, error_percent: f64) -> LoadSummary {
        LoadSummary {
            offered: 1000,
            succeeded: 1000,
            failed: 0,
            error_percent,
            latency: Percentiles { count: 1000, p50_ms: 2.0, p90_ms: 5.0, p99_ms, p999_ms: p99_ms, max_ms: p99_ms },
            errors: BTreeMap::new(),
            seconds: Vec::new(),
            max_send_delay_ms: 0.0,
        }
    }

    #[test]
    fn a_run_within_every_objective_passes() {
        let verdict = judge(&slo(), &load(12.0, 0.0), Some(Some(3.0)));
        assert!(verdict.passed, "{verdict:?}");
        assert_eq!(verdict.checks.len(), 4);
    }

    #[test]
    fn any_missed_or_unmeasured_objective_fails_the_verdict() {
        assert!(!judge(&slo(), &load(51.0, 0.0), Some(Some(3.0))).passed);
        assert!(!judge(&slo(), &load(12.0, 0.5), Some(Some(3.0))).passed);
        assert!(!judge(&slo(), &load(12.0, 0.0), Some(Some(61.0))).passed);
        assert!(!judge(&slo(), &load(12.0, 0.0), Some(None)).passed);
        let unmeasured = judge(&slo(), &load(12.0, 0.0), None);
        assert!(!unmeasured.passed);
        assert_eq!(unmeasured.checks[3].status, CheckStatus::NotMeasured);
    }
}
