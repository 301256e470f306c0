//! `forgectl loadtest`: the workload model at a tier's peak rate through the
//! environment's front door, open loop, then the consumers' drain; judged
//! against the tier's SLOs and written as JSON and a self-contained HTML
//! report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::profile::Profile;
use crate::progress::Progress;
use crate::prove::endpoint::FrontDoor;
use crate::prove::lag::{self, LagProbe, LagSample};
use crate::prove::recorder::{LoadRecorder, LoadSummary};
use crate::prove::schedule::{run_open_loop, Schedule};
use crate::prove::uploader::Uploader;
use crate::prove::verdict;
use crate::prove::workload::{BodyFactory, Workload};
use crate::prove::{report_html, ProveError};

/// Hard caps: a load test is bounded whatever the flags say.
pub const MAX_DURATION: Duration = Duration::from_secs(15 * 60);
pub const MAX_RATE_MULTIPLIER: f64 = 10.0;
/// Uploads per second; about 15x the 200k tier's peak (340/s).
pub const MAX_RATE: f64 = 5_000.0;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests outstanding at once; arrivals beyond it are counted as not sent.
const MAX_IN_FLIGHT: usize = 4_096;
const LAG_INTERVAL: Duration = Duration::from_secs(1);
/// Device ids of load-test uploads: `forgectl-loadtest-<run>-<n>`.
pub const LOADTEST_DEVICE_PREFIX: &str = "forgectl-loadtest-";
/// Distinct devices per run, so rows spread over keys as real traffic does.
const DEVICES: u64 = 1_000;

#[derive(Debug, Clone)]
pub struct LoadtestOptions {
    pub environment: String,
    pub front_door: FrontDoor,
    pub kafka: Option<crate::kafka::KafkaConnection>,
    pub profile: Profile,
    pub workload: Workload,
    pub duration: Duration,
    pub rate_multiplier: f64,
    pub report_dir: PathBuf,
}

pub use crate::prove::report::{LagTimeline, LoadPlan, LoadtestReport, ReportFiles};

pub fn plan(options: &LoadtestOptions) -> Result<LoadPlan, ProveError> {
    let slo = options.profile.slo.clone().ok_or_else(|| ProveError::Invalid {
        message: format!("tier {} declares no `slo` to judge a load test against", options.profile.tier),
        hint: "add an `slo` section to the tier file or to profiles/_base.yaml".into(),
    })?;
    if options.duration.is_zero() || options.duration > MAX_DURATION {
        return Err(ProveError::Invalid {
            message: format!("--duration {} is outside 1s..=15m", humantime::format_duration(options.duration)),
            hint: "load tests are bounded; run several if you need longer".into(),
        });
    }
    let multiplier = options.rate_multiplier;
    if !(multiplier.is_finite() && multiplier > 0.0 && multiplier <= MAX_RATE_MULTIPLIER) {
        return Err(ProveError::Invalid {
            message: format!("--rate-multiplier {multiplier} is outside (0, {MAX_RATE_MULTIPLIER}]"),
            hint: "1 is the tier's peak; use e.g. 0.1 for a smoke run or 2 for headroom".into(),
        });
    }
    let peak = options.workload.peak_uploads_per_second(options.profile.dau);
    let target = peak * multiplier;
    if target > MAX_RATE {
        return Err(ProveError::Invalid {
            message: format!("{target:.0} uploads/s is above the cap of {MAX_RATE:.0}/s"),
            hint: "lower --rate-multiplier".into(),
        });
    }
    let schedule = Schedule { rate_per_second: target, duration: options.duration };
    Ok(LoadPlan {
        peak_rate_per_second: peak,
        rate_multiplier: multiplier,
        target_rate_per_second: target,
        duration_seconds: options.duration.as_secs_f64(),
        uploads: schedule.arrivals(),
        drain_wait_seconds: u64::from(slo.lag_drain_seconds) * 2,
        slo,
    })
}

pub async fn run(options: &LoadtestOptions, progress: &dyn Progress) -> Result<LoadtestReport, ProveError> {
    let plan = plan(options)?;
    let uploader = Uploader::new(&options.front_door, REQUEST_TIMEOUT)?;
    uploader.ready().await.map_err(|reason| ProveError::Stopped {
        reached: format!("resolved the front door to {} ({})", options.front_door.url, options.front_door.served_by),
        stopped_at: "GET /ready through it, before any load".into(),
        reason,
        hint: Some("deploy the services first; an emulated load balancer serves no traffic".into()),
    })?;
    let probe = match &options.kafka {
        Some(connection) => Some(LagProbe::connect(connection, &options.profile).await?),
        None => None,
    };
    let baseline = match &probe {
        Some(probe) => probe.sample().await?,
        None => BTreeMap::new(),
    };

    let started_at = OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
    let run_id = run_id();
    let start = Instant::now();
    let samples = Arc::new(Mutex::new(Vec::new()));
    let (stop_sampling, stopped) = watch::channel(false);
    let sampler = probe.clone().map(|probe| tokio::spawn(sample_lag(probe, start, samples.clone(), stopped)));

    let load = drive(options, &plan, &uploader, &run_id, progress).await?;
    let load_ended_at_seconds = start.elapsed().as_secs_f64();
    let _ = stop_sampling.send(true);
    if let Some(sampler) = sampler {
        let _ = sampler.await;
    }
    let drain_seconds = match &probe {
        Some(probe) => Some(drain(probe, &plan, &baseline, start, &samples, progress).await?),
        None => None,
    };

    let verdict = verdict::judge(&plan.slo, &load, drain_seconds);
    let samples = samples.lock().map(|samples| samples.clone()).unwrap_or_default();
    let mut report = LoadtestReport {
        environment: options.environment.clone(),
        tier: options.profile.tier.clone(),
        dau: options.profile.dau,
        front_door: options.front_door.clone(),
        started_at,
        workload_version: options.workload.version,
        plan,
        load,
        lag: LagTimeline {
            observed: probe.is_some(),
            groups: probe.as_ref().map(LagProbe::group_names).unwrap_or_default(),
            baseline,
            samples,
            drain_seconds: drain_seconds.flatten(),
            load_ended_at_seconds,
        },
        verdict,
        files: ReportFiles::default(),
        run_id,
    };
    write_reports(&mut report, &options.report_dir)?;
    Ok(report)
}

/// The open-loop run itself, with a progress line about once a second.
async fn drive(
    options: &LoadtestOptions,
    plan: &LoadPlan,
    uploader: &Uploader,
    run_id: &str,
    progress: &dyn Progress,
) -> Result<LoadSummary, ProveError> {
    let schedule = Schedule { rate_per_second: plan.target_rate_per_second, duration: options.duration };
    // One kind cycle long enough to hold every kind at its share.
    let kinds = options.workload.kind_sequence(1_000);
    if kinds.is_empty() {
        return Err(ProveError::Invalid {
            message: "the workload model sends nothing for this tier's kinds".into(),
            hint: "check services/workload/v1.yaml".into(),
        });
    }
    let bodies = BodyFactory::new(&options.workload, "forgectl-loadtest");
    let send = |index: u64| {
        let kind = kinds[(index % kinds.len() as u64) as usize];
        let device = format!("{LOADTEST_DEVICE_PREFIX}{run_id}-{}", index % DEVICES);
        let body = bodies.body(kind, &device, &format!("{run_id}-{index}"));
        uploader.send(kind, body)
    };
    let mut recorder = LoadRecorder::new()?;
    let mut waiting = progress.wait("loadtest");
    let mut last_update = Instant::now();
    let (mut completed, mut failed) = (0u64, 0u64);
    run_open_loop(schedule, MAX_IN_FLIGHT, send, |completion| {
        completed += 1;
        failed += u64::from(!completion.outcome.is_success());
        recorder.record(&completion);
        if last_update.elapsed() >= Duration::from_secs(1) {
            last_update = Instant::now();
            waiting.update(&format!(
                "{completed}/{} uploads answered, {failed} failed, at {:.0}/s",
                plan.uploads, plan.target_rate_per_second
            ));
        }
    })
    .await;
    let summary = recorder.summary();
    waiting.finish(&format!(
        "{} uploads, {} failed, p99 {:.1} ms",
        summary.offered, summary.failed, summary.latency.p99_ms
    ));
    Ok(summary)
}

async fn sample_lag(
    probe: LagProbe,
    start: Instant,
    samples: Arc<Mutex<Vec<LagSample>>>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        // A failed reading leaves a gap in the chart rather than ending the run.
        if let Ok(groups) = probe.sample().await {
            if let Ok(mut samples) = samples.lock() {
                samples.push(LagSample { seconds: start.elapsed().as_secs_f64(), groups });
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(LAG_INTERVAL) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Waits (bounded) until every group is back at its baseline lag. `None`
/// when it did not get there within the wait.
async fn drain(
    probe: &LagProbe,
    plan: &LoadPlan,
    baseline: &BTreeMap<String, i64>,
    start: Instant,
    samples: &Arc<Mutex<Vec<LagSample>>>,
    progress: &dyn Progress,
) -> Result<Option<f64>, ProveError> {
    let load_end = Instant::now();
    let deadline = load_end + Duration::from_secs(plan.drain_wait_seconds);
    let mut waiting = progress.wait("drain");
    loop {
        let groups = probe.sample().await?;
        let total: i64 = groups.values().sum();
        let drained = lag::is_drained(baseline, &groups);
        if let Ok(mut samples) = samples.lock() {
            samples.push(LagSample { seconds: start.elapsed().as_secs_f64(), groups });
        }
        if drained {
            let seconds = load_end.elapsed().as_secs_f64();
            waiting.finish(&format!("consumer lag back to its baseline after {seconds:.1} s"));
            return Ok(Some(seconds));
        }
        if Instant::now() >= deadline {
            waiting.finish(&format!("lag still {total} after {} s", plan.drain_wait_seconds));
            return Ok(None);
        }
        waiting.update(&format!("total lag {total}"));
        tokio::time::sleep(LAG_INTERVAL).await;
    }
}

fn run_id() -> String {
    let millis =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|elapsed| elapsed.as_millis()).unwrap_or_default();
    format!("{millis:x}")
}

fn write_reports(report: &mut LoadtestReport, dir: &Path) -> Result<(), ProveError> {
    let write = |what: &'static str, path: PathBuf, text: &[u8]| {
        std::fs::write(&path, text).map_err(|source| ProveError::Write { what, path, source })
    };
    std::fs::create_dir_all(dir).map_err(|source| ProveError::Write {
        what: "report directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let stem = format!("loadtest-{}-{}", report.tier, report.run_id);
    report.files = ReportFiles { json: dir.join(format!("{stem}.json")), html: dir.join(format!("{stem}.html")) };
    let html = report_html::render(report)?;
    write("HTML report", report.files.html.clone(), html.as_bytes())?;
    let json = serde_json::to_vec_pretty(report).map_err(|err| ProveError::Write {
        what: "JSON report",
        path: report.files.json.clone(),
        source: std::io::Error::other(err),
    })?;
    write("JSON report", report.files.json.clone(), &json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{load_tier, ProfileSource, ResolveOptions};

    fn options(duration: Duration, rate_multiplier: f64) -> LoadtestOptions {
        let source = ProfileSource::resolve(Some(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../profiles"))))
            .unwrap_or_else(|err| panic!("{err}"));
        let profile = load_tier(&source, "100k", ResolveOptions { india: false }).unwrap_or_else(|err| panic!("{err}"));
        LoadtestOptions {
            environment: "t".into(),
            front_door: FrontDoor { url: "http://127.0.0.1:1".into(), served_by: "test".into(), api_key: None },
            kafka: None,
            profile,
            workload: Workload::builtin().unwrap_or_else(|err| panic!("{err}")),
            duration,
            rate_multiplier,
            report_dir: PathBuf::from("unused"),
        }
    }

    #[test]
    fn the_plan_runs_the_tier_at_its_peak_rate() {
        let plan = plan(&options(Duration::from_secs(120), 1.0)).unwrap_or_else(|err| panic!("{err}"));
        assert!((plan.target_rate_per_second - 170.14).abs() < 0.01, "{plan:?}");
        assert_eq!(plan.uploads, 20_416);
        assert_eq!(plan.slo.upload_p99_ms, 50);
        assert_eq!(plan.drain_wait_seconds, 120);
    }

    #[test]
    fn durations_and_rates_past_the_caps_are_refused() {
        assert!(plan(&options(Duration::from_secs(16 * 60), 1.0)).is_err());
        assert!(plan(&options(Duration::ZERO, 1.0)).is_err());
        assert!(plan(&options(Duration::from_secs(10), 0.0)).is_err());
        assert!(plan(&options(Duration::from_secs(10), f64::NAN)).is_err());
        assert!(plan(&options(Duration::from_secs(10), 11.0)).is_err());
    }
}
