//! What a load test planned, measured and concluded: the data `loadtest`
//! returns, its JSON form, and what the HTML report draws.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::profile::SloSpec;
use crate::prove::endpoint::FrontDoor;
use crate::prove::lag::LagSample;
use crate::prove::recorder::LoadSummary;
use crate::prove::verdict::Verdict;

/// What a run will do, checked before anything is sent.
#[derive(Debug, Clone, Serialize)]
pub struct LoadPlan {
    pub peak_rate_per_second: f64,
    pub rate_multiplier: f64,
    pub target_rate_per_second: f64,
    pub duration_seconds: f64,
    pub uploads: u64,
    pub slo: SloSpec,
    /// How long to wait for the lag to drain after the load: twice the SLO.
    pub drain_wait_seconds: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadtestReport {
    pub environment: String,
    pub tier: String,
    pub dau: u64,
    pub front_door: FrontDoor,
    pub run_id: String,
    pub started_at: String,
    pub workload_version: u32,
    pub plan: LoadPlan,
    pub load: LoadSummary,
    pub lag: LagTimeline,
    pub verdict: Verdict,
    pub files: ReportFiles,
}

#[derive(Debug, Clone, Serialize)]
pub struct LagTimeline {
    /// False when Kafka is not reachable from here.
    pub observed: bool,
    pub groups: Vec<String>,
    /// Each group's lag before the load; "drained" means back at or below it.
    pub baseline: BTreeMap<String, i64>,
    pub samples: Vec<LagSample>,
    /// Seconds from the end of the load until every group had drained.
    pub drain_seconds: Option<f64>,
    /// Seconds from the start at which the load stopped.
    pub load_ended_at_seconds: f64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct ReportFiles {
    pub json: PathBuf,
    pub html: PathBuf,
}
