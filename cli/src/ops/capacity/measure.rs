//! One step of the ramp, and the idle window before it: load through the
//! front door, each instance's CPU time around it, and the consumers' drain.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use super::{CapacityOptions, PlannedStep, RoleStep, StepReport, DEVICES, MAX_IN_FLIGHT, SATURATED_ERROR_PERCENT};
use crate::local::state::Instance;
use crate::ops::loadtest::LOADTEST_DEVICE_PREFIX;
use crate::progress::Progress;
use crate::prove::lag::{self, LagProbe};
use crate::prove::schedule::{run_open_loop, Schedule};
use crate::prove::uploader::Uploader;
use crate::prove::workload::BodyFactory;
use crate::prove::{cpu, ProveError};

const LAG_INTERVAL: Duration = Duration::from_millis(500);

pub(super) async fn measure_step(
    options: &CapacityOptions,
    planned: &PlannedStep,
    uploader: &Uploader,
    probe: Option<&LagProbe>,
    run_id: &str,
    progress: &dyn Progress,
) -> Result<StepReport, ProveError> {
    let lag_before = match probe {
        Some(probe) => probe.sample().await?,
        None => BTreeMap::new(),
    };
    let cpu_before = cpu_times(&options.instances)?;
    let start = Instant::now();

    let kinds = options.workload.kind_sequence(1_000);
    if kinds.is_empty() {
        return Err(ProveError::Invalid {
            message: "the workload model sends nothing for this tier's kinds".into(),
            hint: "check services/workload/v1.yaml".into(),
        });
    }
    let bodies = BodyFactory::new(&options.workload, "forgectl-capacity");
    let send = |index: u64| {
        let kind = kinds[(index % kinds.len() as u64) as usize];
        let device = format!("{LOADTEST_DEVICE_PREFIX}{run_id}-{}", index % DEVICES);
        uploader.send(kind, bodies.body(kind, &device, &format!("{run_id}-{index}")))
    };
    let mut waiting = progress.wait("capacity");
    waiting.update(&format!("{} x peak: {:.1} uploads/s", planned.multiplier, planned.rate_per_second));
    let (mut offered, mut failed) = (0u64, 0u64);
    let mut succeeded_by_topic: BTreeMap<String, u64> = BTreeMap::new();
    let schedule = Schedule { rate_per_second: planned.rate_per_second, duration: options.step_duration };
    run_open_loop(schedule, MAX_IN_FLIGHT, send, |completion| {
        offered += 1;
        if completion.outcome.is_success() {
            let kind = kinds[(completion.index % kinds.len() as u64) as usize];
            if let Some(model) = options.workload.model(kind) {
                *succeeded_by_topic.entry(model.topic.clone()).or_default() += 1;
            }
        } else {
            failed += 1;
        }
    })
    .await;
    let load_seconds = start.elapsed().as_secs_f64();
    let cpu_after_load = cpu_times(&options.instances)?;

    // The consumers finish this step's records after the load stops; their
    // window runs until every group is back at its lag from before the step.
    let drained = match probe {
        Some(probe) => wait_for_drain(probe, &lag_before, options.step_duration + Duration::from_secs(30)).await?,
        None => true,
    };
    let consumer_seconds = start.elapsed().as_secs_f64();
    let cpu_after_drain = cpu_times(&options.instances)?;

    let succeeded = offered - failed;
    let error_percent = if offered == 0 { 0.0 } else { failed as f64 * 100.0 / offered as f64 };
    let saturated = error_percent > SATURATED_ERROR_PERCENT;
    let mut roles = Vec::new();
    for spec in &options.profile.roles {
        let role = spec.name;
        let pids: Vec<i32> = options.instances.iter().filter(|i| i.role == role).map(|i| i.pid).collect();
        let (cpu_after, seconds, rate, used) = if role.is_consumer() {
            let rows: f64 = spec
                .topics
                .iter()
                .filter_map(|topic| {
                    let (_, model) = options.workload.kinds.iter().find(|(_, model)| &model.topic == topic)?;
                    Some(succeeded_by_topic.get(topic).copied().unwrap_or(0) as f64 * model.records_per_upload as f64)
                })
                .sum();
            (&cpu_after_drain, consumer_seconds, rows / consumer_seconds, drained)
        } else {
            (&cpu_after_load, load_seconds, succeeded as f64 / load_seconds, !saturated)
        };
        let used_cores = cores_used(&pids, &cpu_before, cpu_after, seconds);
        let processes = pids.len().max(1);
        roles.push(RoleStep {
            role,
            processes: pids.len(),
            rate_per_process: rate / processes as f64,
            cores_per_process: used_cores / processes as f64,
            used,
        });
    }
    waiting.finish(&format!(
        "{} x peak: {succeeded}/{offered} uploads accepted, {:.1}/s",
        planned.multiplier,
        succeeded as f64 / load_seconds
    ));
    Ok(StepReport {
        multiplier: planned.multiplier,
        target_rate_per_second: planned.rate_per_second,
        offered,
        succeeded,
        failed,
        error_percent,
        achieved_rate_per_second: succeeded as f64 / load_seconds,
        consumer_window_seconds: consumer_seconds,
        roles,
    })
}

/// A quiet window as long as one step: every role at rate 0.
pub(super) async fn measure_idle(options: &CapacityOptions, progress: &dyn Progress) -> Result<StepReport, ProveError> {
    let mut waiting = progress.wait("capacity");
    waiting.update("idle: no load");
    let before = cpu_times(&options.instances)?;
    let start = Instant::now();
    tokio::time::sleep(options.step_duration).await;
    let seconds = start.elapsed().as_secs_f64();
    let after = cpu_times(&options.instances)?;
    let roles: Vec<RoleStep> = options
        .profile
        .roles
        .iter()
        .map(|spec| {
            let pids: Vec<i32> = options.instances.iter().filter(|i| i.role == spec.name).map(|i| i.pid).collect();
            RoleStep {
                role: spec.name,
                processes: pids.len(),
                rate_per_process: 0.0,
                cores_per_process: cores_used(&pids, &before, &after, seconds) / pids.len().max(1) as f64,
                used: true,
            }
        })
        .collect();
    waiting.finish("idle: measured");
    Ok(StepReport {
        multiplier: 0.0,
        target_rate_per_second: 0.0,
        offered: 0,
        succeeded: 0,
        failed: 0,
        error_percent: 0.0,
        achieved_rate_per_second: 0.0,
        consumer_window_seconds: seconds,
        roles,
    })
}

/// Cores the processes used together between two readings `seconds` apart.
fn cores_used(pids: &[i32], before: &BTreeMap<i32, f64>, after: &BTreeMap<i32, f64>, seconds: f64) -> f64 {
    pids.iter().map(|pid| after.get(pid).copied().unwrap_or(0.0) - before.get(pid).copied().unwrap_or(0.0)).sum::<f64>()
        / seconds
}

fn cpu_times(instances: &[Instance]) -> Result<BTreeMap<i32, f64>, ProveError> {
    instances.iter().map(|instance| Ok((instance.pid, cpu::cpu_seconds(instance.pid)?))).collect()
}

/// Whether every group got back to `baseline` within `bound`.
async fn wait_for_drain(
    probe: &LagProbe,
    baseline: &BTreeMap<String, i64>,
    bound: Duration,
) -> Result<bool, ProveError> {
    let deadline = Instant::now() + bound;
    loop {
        if lag::is_drained(baseline, &probe.sample().await?) {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(LAG_INTERVAL).await;
    }
}
