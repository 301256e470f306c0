//! `forgectl capacity`: a measured ladder. Ramps the workload model through
//! the local provider's front door in steps, reads each instance's CPU time
//! from /proc around every step, fits CPU as a line of throughput per role,
//! and turns the throughput at the autoscaling CPU target into node counts
//! for every tier beside the profiles' and the runbooks' ladders.

mod measure;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::kafka::KafkaConnection;
use crate::local::state::Instance;
use crate::ops::loadtest::{MAX_RATE, MAX_RATE_MULTIPLIER};
use crate::profile::{Profile, RoleName};
use crate::progress::Progress;
use crate::prove::endpoint::FrontDoor;
use crate::prove::ladder::{self, CpuFit, CpuPoint, LadderRow, RoleCapacity};
use crate::prove::lag::LagProbe;
use crate::prove::schedule::Schedule;
use crate::prove::uploader::Uploader;
use crate::prove::workload::Workload;
use crate::prove::ProveError;
use measure::{measure_idle, measure_step};

/// A capacity run is bounded whatever the flags say.
pub const MAX_TOTAL_LOAD: Duration = Duration::from_secs(10 * 60);
pub const MAX_STEPS: usize = 8;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_IN_FLIGHT: usize = 4_096;
/// A step whose error rate is above this has saturated the producers: its
/// point is left out of the producer's fit and the ramp stops.
const SATURATED_ERROR_PERCENT: f64 = 1.0;
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

pub async fn run(options: &CapacityOptions, progress: &dyn Progress) -> Result<CapacityReport, ProveError> {
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
    let mut steps = vec![measure_idle(options, progress).await?];
    for (index, planned) in plan.steps.iter().enumerate() {
        let step =
            measure_step(options, planned, &uploader, probe.as_ref(), &format!("{run_id}-{index}"), progress).await?;
        let saturated = step.error_percent > SATURATED_ERROR_PERCENT;
        steps.push(step);
        if saturated {
            progress.info(format!(
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

#[cfg(test)]
mod tests;
