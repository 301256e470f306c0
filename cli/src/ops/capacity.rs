//! `forgectl capacity`: a measured ladder. Ramps the workload model through
//! the local provider's front door in steps, reads each instance's CPU time
//! from /proc around every step, fits CPU as a line of throughput per role,
//! and turns the throughput at the autoscaling CPU target into node counts
//! for every tier beside the profiles' and the runbooks' ladders.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::console::Console;
use crate::kafka::KafkaConnection;
use crate::local::state::Instance;
use crate::ops::loadtest::{LOADTEST_DEVICE_PREFIX, MAX_RATE, MAX_RATE_MULTIPLIER};
use crate::profile::{Profile, RoleName};
use crate::prove::endpoint::FrontDoor;
use crate::prove::ladder::{self, CpuFit, CpuPoint, LadderRow, RoleCapacity};
use crate::prove::lag::{self, LagProbe};
use crate::prove::schedule::{run_open_loop, Schedule};
use crate::prove::uploader::Uploader;
use crate::prove::workload::{BodyFactory, Workload};
use crate::prove::{cpu, ProveError};

/// A capacity run is bounded whatever the flags say.
pub const MAX_TOTAL_LOAD: Duration = Duration::from_secs(10 * 60);
pub const MAX_STEPS: usize = 8;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_IN_FLIGHT: usize = 4_096;
/// A step whose error rate is above this has saturated the producers: its
/// point is left out of the producer's fit and the ramp stops.
const SATURATED_ERROR_PERCENT: f64 = 1.0;
const LAG_INTERVAL: Duration = Duration::from_millis(500);
const DEVICES: u64 = 1_000;

#[derive(Debug, Clone)]
pub struct CapacityOptions {
    pub environment: String,
    pub front_door: FrontDoor,
    pub kafka: Option<KafkaConnection>,
    /// The environment's tier: the steps are multiples of its peak rate.
    pub profile: Profile,
    /// Every tier, for the ladder.
    pub tiers: Vec<Profile>,
    pub workload: Workload,
    /// The local provider's running instances.
    pub instances: Vec<Instance>,
    pub steps: Vec<f64>,
    pub step_duration: Duration,
    pub node_vcpus: u32,
}

/// What will be sent, step by step.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityPlan {
    pub peak_rate_per_second: f64,
    pub steps: Vec<PlannedStep>,
    pub step_seconds: f64,
    /// Processes measured per role.
    pub processes: BTreeMap<RoleName, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    pub multiplier: f64,
    pub rate_per_second: f64,
    pub uploads: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub multiplier: f64,
    pub target_rate_per_second: f64,
    pub offered: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub error_percent: f64,
    /// Successful uploads per second over the load window.
    pub achieved_rate_per_second: f64,
    /// The load window plus the consumers' drain after it.
    pub consumer_window_seconds: f64,
    pub roles: Vec<RoleStep>,
}

/// One role during one step: the mean per process.
#[derive(Debug, Clone, Serialize)]
pub struct RoleStep {
    pub role: RoleName,
    pub processes: usize,
    pub rate_per_process: f64,
    pub cores_per_process: f64,
    /// Whether the point went into the fit: false when the producers
    /// saturated or the group's lag did not drain after the step.
    pub used: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unmeasured {
    pub role: RoleName,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CapacityReport {
    pub environment: String,
    pub tier: String,
    pub node_vcpus: u32,
    pub cpu_target: f64,
    pub plan: CapacityPlan,
    pub steps: Vec<StepReport>,
    pub capacities: Vec<RoleCapacity>,
    pub unmeasured: Vec<Unmeasured>,
    pub ladder: Vec<LadderRow>,
}

pub fn plan(options: &CapacityOptions) -> Result<CapacityPlan, ProveError> {
    let invalid = |message: String, hint: &str| ProveError::Invalid { message, hint: hint.into() };
    if options.steps.is_empty() || options.steps.len() > MAX_STEPS {
        return Err(invalid(
            format!("{} steps given; a ramp has 2..={MAX_STEPS}", options.steps.len()),
            "e.g. --steps 0.5,1,2,4 (multiples of the tier's peak rate)",
        ));
    }
    if options.steps.len() < 2 {
        return Err(invalid("a single step cannot show how CPU grows with load".into(), "give at least two steps"));
    }
    if options.steps.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(invalid(format!("steps {:?} do not rise", options.steps), "list the multipliers in rising order"));
    }
    let total = options.step_duration.saturating_mul(u32::try_from(options.steps.len()).unwrap_or(u32::MAX));
    if options.step_duration < Duration::from_secs(2) || total > MAX_TOTAL_LOAD {
        return Err(invalid(
            format!(
                "{} steps of {} is outside 2s per step and {} in all",
                options.steps.len(),
                humantime::format_duration(options.step_duration),
                humantime::format_duration(MAX_TOTAL_LOAD)
            ),
            "capacity runs are bounded; shorten --step-duration or give fewer steps",
        ));
    }
    if !(1..=192).contains(&options.node_vcpus) {
        return Err(invalid(
            format!("--node-vcpus {} is outside 1..=192", options.node_vcpus),
            "the runbooks' nodes have 4",
        ));
    }
    let peak = options.workload.peak_uploads_per_second(options.profile.dau);
    let mut steps = Vec::new();
    for &multiplier in &options.steps {
        let rate = peak * multiplier;
        if !(multiplier.is_finite() && multiplier > 0.0 && multiplier <= MAX_RATE_MULTIPLIER) || rate > MAX_RATE {
            return Err(invalid(
                format!("step {multiplier} ({rate:.0} uploads/s) is outside (0, {MAX_RATE_MULTIPLIER}] x peak and {MAX_RATE:.0}/s"),
                "lower the step",
            ));
        }
        let uploads = Schedule { rate_per_second: rate, duration: options.step_duration }.arrivals();
        steps.push(PlannedStep { multiplier, rate_per_second: rate, uploads });
    }
    let mut processes = BTreeMap::new();
    for role in options.profile.roles.iter().map(|role| role.name) {
        let count = options.instances.iter().filter(|instance| instance.role == role).count();
        if count == 0 {
            return Err(invalid(
                format!("environment `{}` runs no {role} instance to measure", options.environment),
                "deploy the services first: forgectl deploy --yes",
            ));
        }
        processes.insert(role, count);
    }
    Ok(CapacityPlan { peak_rate_per_second: peak, steps, step_seconds: options.step_duration.as_secs_f64(), processes })
}

pub async fn run(options: &CapacityOptions, console: &Console) -> Result<CapacityReport, ProveError> {
    let plan = plan(options)?;
    let uploader = Uploader::new(&options.front_door, REQUEST_TIMEOUT)?;
    uploader.ready().await.map_err(|reason| ProveError::Stopped {
        reached: format!("the front door {} ({})", options.front_door.url, options.front_door.served_by),
        stopped_at: "GET /ready, before any load".into(),
        reason,
        hint: Some("deploy the services first: forgectl deploy --yes".into()),
    })?;
    let probe = match &options.kafka {
        Some(connection) => Some(LagProbe::connect(connection, &options.profile).await?),
        None => None,
    };
    let run_id = format!("capacity-{:x}", std::process::id());
    // The idle point anchors each line: what the processes burn with no load
    // (polling, timers, metrics) is not capacity used by uploads.
    let mut steps = vec![measure_idle(options, console).await?];
    for (index, planned) in plan.steps.iter().enumerate() {
        let step =
            measure_step(options, planned, &uploader, probe.as_ref(), &format!("{run_id}-{index}"), console).await?;
        let saturated = step.error_percent > SATURATED_ERROR_PERCENT;
        steps.push(step);
        if saturated {
            console.info(format!(
                "step {} x peak saturated the producers (errors above {SATURATED_ERROR_PERCENT} %): the ramp stops here",
                planned.multiplier
            ));
            break;
        }
    }
    let (capacities, unmeasured) = fit_roles(&options.profile, &steps);
    let ladder = ladder::ladder(&capacities, &options.tiers, &options.workload, options.node_vcpus);
    Ok(CapacityReport {
        environment: options.environment.clone(),
        tier: options.profile.tier.clone(),
        node_vcpus: options.node_vcpus,
        cpu_target: ladder::CPU_TARGET,
        plan,
        steps,
        capacities,
        unmeasured,
        ladder,
    })
}

/// One role's line through the steps whose points it could use.
pub fn fit_roles(profile: &Profile, steps: &[StepReport]) -> (Vec<RoleCapacity>, Vec<Unmeasured>) {
    let mut capacities = Vec::new();
    let mut unmeasured = Vec::new();
    for role in profile.roles.iter().map(|role| role.name) {
        let points: Vec<CpuPoint> = steps
            .iter()
            .flat_map(|step| step.roles.iter())
            .filter(|measured| measured.role == role && measured.used)
            .map(|measured| CpuPoint {
                rate_per_process: measured.rate_per_process,
                cores_per_process: measured.cores_per_process,
            })
            .collect();
        match CpuFit::through(&points) {
            Some(fit) => capacities.push(RoleCapacity::from_fit(role, fit)),
            None => unmeasured.push(Unmeasured {
                role,
                reason: format!(
                    "{} usable step(s) and CPU that does not grow with load: add steps or lengthen them",
                    points.len()
                ),
            }),
        }
    }
    (capacities, unmeasured)
}

async fn measure_step(
    options: &CapacityOptions,
    planned: &PlannedStep,
    uploader: &Uploader,
    probe: Option<&LagProbe>,
    run_id: &str,
    console: &Console,
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
    let mut progress = console.progress("capacity");
    progress.update(&format!("{} x peak: {:.1} uploads/s", planned.multiplier, planned.rate_per_second));
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
    progress.finish(&format!(
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
async fn measure_idle(options: &CapacityOptions, console: &Console) -> Result<StepReport, ProveError> {
    let mut progress = console.progress("capacity");
    progress.update("idle: no load");
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
    progress.finish("idle: measured");
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::profile::{load_tier, ProfileSource, ResolveOptions};

    fn instance(role: RoleName, pid: i32) -> Instance {
        Instance {
            id: format!("{role}-{pid}"),
            role,
            version: "v1".into(),
            pid,
            port: 0,
            metrics_port: None,
            executable: PathBuf::from("unused"),
            log: PathBuf::from("unused"),
        }
    }

    fn options(steps: Vec<f64>, step_duration: Duration) -> CapacityOptions {
        let source = ProfileSource::resolve(Some(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../profiles"))))
            .unwrap_or_else(|err| panic!("{err}"));
        let profile = load_tier(&source, "50k", ResolveOptions { india: false }).unwrap_or_else(|err| panic!("{err}"));
        CapacityOptions {
            environment: "t".into(),
            front_door: FrontDoor { url: "http://127.0.0.1:1".into(), served_by: "test".into(), api_key: None },
            kafka: None,
            tiers: vec![profile.clone()],
            profile,
            workload: Workload::builtin().unwrap_or_else(|err| panic!("{err}")),
            instances: RoleName::ALL.iter().enumerate().map(|(pid, role)| instance(*role, pid as i32 + 1)).collect(),
            steps,
            step_duration,
            node_vcpus: 4,
        }
    }

    #[test]
    fn the_plan_multiplies_the_tiers_peak_step_by_step() {
        let plan = plan(&options(vec![0.5, 1.0, 2.0], Duration::from_secs(10))).unwrap_or_else(|err| panic!("{err}"));
        // The 50k peak: 50,000 x 49 x 3 / 86,400 uploads/s.
        let peak = 50_000.0 * 49.0 * 3.0 / 86_400.0;
        assert!((plan.peak_rate_per_second - peak).abs() < 1e-9);
        let rates: Vec<f64> = plan.steps.iter().map(|step| step.rate_per_second).collect();
        assert!((rates[2] - 2.0 * peak).abs() < 1e-9, "{rates:?}");
        assert_eq!(plan.processes.get(&RoleName::Producer), Some(&1));
    }

    #[test]
    fn ramps_that_cannot_measure_anything_or_run_too_long_are_refused() {
        let refused = |options: CapacityOptions| matches!(plan(&options), Err(ProveError::Invalid { .. }));
        assert!(refused(options(vec![1.0], Duration::from_secs(10))), "one step");
        assert!(refused(options(vec![2.0, 1.0], Duration::from_secs(10))), "falling");
        assert!(refused(options(vec![1.0, 11.0], Duration::from_secs(10))), "past the multiplier cap");
        assert!(refused(options(vec![1.0, 2.0], Duration::from_secs(6 * 60))), "12 minutes in all");
        assert!(refused(options(vec![1.0, 2.0], Duration::from_secs(1))), "too short to read CPU");
        let mut no_vcpus = options(vec![1.0, 2.0], Duration::from_secs(10));
        no_vcpus.node_vcpus = 0;
        assert!(refused(no_vcpus));
        let mut no_consumers = options(vec![1.0, 2.0], Duration::from_secs(10));
        no_consumers.instances.retain(|instance| instance.role == RoleName::Producer);
        assert!(refused(no_consumers), "nothing to measure");
    }

    fn step(roles: Vec<RoleStep>) -> StepReport {
        StepReport {
            multiplier: 1.0,
            target_rate_per_second: 1.0,
            offered: 1,
            succeeded: 1,
            failed: 0,
            error_percent: 0.0,
            achieved_rate_per_second: 1.0,
            consumer_window_seconds: 1.0,
            roles,
        }
    }

    fn role_step(role: RoleName, rate: f64, cores: f64, used: bool) -> RoleStep {
        RoleStep { role, processes: 1, rate_per_process: rate, cores_per_process: cores, used }
    }

    #[test]
    fn roles_are_fitted_on_their_usable_points_only() {
        let profile = options(vec![1.0, 2.0], Duration::from_secs(10)).profile;
        let steps = vec![
            step(vec![
                role_step(RoleName::Producer, 100.0, 0.1, true),
                role_step(RoleName::SmsConsumer, 1_000.0, 0.05, true),
            ]),
            step(vec![
                role_step(RoleName::Producer, 200.0, 0.2, true),
                // The group did not drain: the point is not a steady state.
                role_step(RoleName::SmsConsumer, 2_000.0, 0.06, false),
            ]),
        ];
        let (capacities, unmeasured) = fit_roles(&profile, &steps);
        let producer = capacities.iter().find(|capacity| capacity.role == RoleName::Producer);
        // 0.001 cores per upload/s through the origin: 500 uploads/s at half a core.
        let producer = producer.unwrap_or_else(|| panic!("{capacities:?}"));
        assert!((producer.per_process_at_half_core - 500.0).abs() < 1e-6, "{producer:?}");
        let missing: Vec<RoleName> = unmeasured.iter().map(|unmeasured| unmeasured.role).collect();
        assert_eq!(missing, vec![RoleName::SmsConsumer, RoleName::EventsConsumer, RoleName::CommonConsumer]);
    }
}
