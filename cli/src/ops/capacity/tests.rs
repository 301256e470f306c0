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
