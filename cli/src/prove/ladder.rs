//! From measured per-process capacity to a ladder: how many nodes each role
//! needs at every tier's peak, beside the profile's and the runbooks' counts.
//! Pure arithmetic, so every figure can be checked by hand in the tests.

use serde::Serialize;

use crate::profile::{Profile, RoleName};
use crate::prove::workload::Workload;

/// The autoscaling target the runbooks give (seed 001: "eg: 50%"), which the
/// Auto Scaling groups also use: a node is "full" at half its CPU.
pub const CPU_TARGET: f64 = forgectl_contract::scaling::CPU_TARGET_FRACTION;

/// One measured point of a role: its processes' mean throughput and the CPU
/// each of them used meanwhile, in cores (CPU seconds per second).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CpuPoint {
    pub rate_per_process: f64,
    pub cores_per_process: f64,
}

/// CPU as a straight line of throughput: `cores = idle_cores + cores_per_unit * rate`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CpuFit {
    pub idle_cores: f64,
    pub cores_per_unit: f64,
}

impl CpuFit {
    /// Least squares through the points. `None` with fewer than two distinct
    /// rates or a slope that is not positive (CPU that does not grow with
    /// load cannot be extrapolated).
    pub fn through(points: &[CpuPoint]) -> Option<CpuFit> {
        let count = points.len() as f64;
        if points.len() < 2 {
            return None;
        }
        let mean_rate = points.iter().map(|point| point.rate_per_process).sum::<f64>() / count;
        let mean_cores = points.iter().map(|point| point.cores_per_process).sum::<f64>() / count;
        let spread: f64 = points.iter().map(|point| (point.rate_per_process - mean_rate).powi(2)).sum();
        if spread <= f64::EPSILON {
            return None;
        }
        let covariance: f64 = points
            .iter()
            .map(|point| (point.rate_per_process - mean_rate) * (point.cores_per_process - mean_cores))
            .sum();
        let cores_per_unit = covariance / spread;
        if !(cores_per_unit.is_finite() && cores_per_unit > 0.0) {
            return None;
        }
        // An idle process uses no negative CPU, whatever the noise says.
        let idle_cores = (mean_cores - cores_per_unit * mean_rate).max(0.0);
        Some(CpuFit { idle_cores, cores_per_unit })
    }

    /// The throughput at which the process uses `cores`.
    pub fn rate_at(&self, cores: f64) -> f64 {
        ((cores - self.idle_cores) / self.cores_per_unit).max(0.0)
    }
}

/// What one process of a role can do, as measured.
#[derive(Debug, Clone, Serialize)]
pub struct RoleCapacity {
    pub role: RoleName,
    /// `uploads/s` for the producer, `rows/s` for consumers.
    pub unit: &'static str,
    pub fit: CpuFit,
    /// At half of one core: the figure to compare across machines.
    pub per_process_at_half_core: f64,
}

impl RoleCapacity {
    pub fn from_fit(role: RoleName, fit: CpuFit) -> RoleCapacity {
        RoleCapacity { role, unit: unit_of(role), fit, per_process_at_half_core: fit.rate_at(CPU_TARGET) }
    }

    /// What one node of `vcpus` cores does at the CPU target, assuming the
    /// process scales across the node's cores as it does on one.
    pub fn per_node(&self, vcpus: u32) -> f64 {
        self.fit.rate_at(CPU_TARGET * f64::from(vcpus))
    }
}

pub fn unit_of(role: RoleName) -> &'static str {
    if role.is_consumer() {
        "rows/s"
    } else {
        "uploads/s"
    }
}

/// A role's peak load at a tier: uploads/s for the producer, rows/s of the
/// role's topics for a consumer.
pub fn peak_rate(workload: &Workload, profile: &Profile, role: RoleName) -> f64 {
    let Some(spec) = profile.role(role) else { return 0.0 };
    let per_dau_second = workload.peak_uploads_per_second(1_000_000) / 1_000_000.0;
    let uploads_per_day: f64 = workload.kinds.iter().map(|(_, model)| model.uploads_per_day).sum();
    if uploads_per_day <= 0.0 {
        return 0.0;
    }
    let peak_uploads = per_dau_second * profile.dau as f64;
    if !role.is_consumer() {
        return workload
            .kinds
            .iter()
            .filter(|(_, model)| profile.topic(&model.topic).is_some())
            .map(|(_, model)| peak_uploads * model.uploads_per_day / uploads_per_day)
            .sum();
    }
    workload
        .kinds
        .iter()
        .filter(|(_, model)| spec.topics.contains(&model.topic))
        .map(|(_, model)| peak_uploads * model.uploads_per_day / uploads_per_day * model.records_per_upload as f64)
        .sum()
}

/// The runbooks' scaling ladder (seed 001, "Scaling Ladder"): node counts per
/// role by DAU. It stops at 100K; higher tiers have no runbook row.
pub fn runbook_range(dau: u64, role: RoleName) -> Option<(u32, u32)> {
    let row = match dau {
        25_000 => [(1, 3), (1, 4), (1, 2), (1, 2)],
        50_000 => [(2, 5), (2, 8), (1, 5), (1, 5)],
        75_000 => [(3, 7), (3, 12), (2, 7), (2, 7)],
        100_000 => [(4, 10), (4, 16), (3, 10), (3, 10)],
        _ => return None,
    };
    let column = match role {
        RoleName::Producer => 0,
        RoleName::SmsConsumer => 1,
        RoleName::EventsConsumer => 2,
        RoleName::CommonConsumer => 3,
    };
    Some(row[column])
}

/// One role at one tier.
#[derive(Debug, Clone, Serialize)]
pub struct LadderRow {
    pub tier: String,
    pub dau: u64,
    pub role: RoleName,
    pub unit: &'static str,
    pub peak_rate: f64,
    pub per_node: f64,
    /// Nodes the measured capacity needs at the peak (at least one).
    pub needed: u32,
    pub profile_min: u32,
    pub profile_max: u32,
    pub runbook: Option<(u32, u32)>,
    /// The profile's max against the peak: 2.0 means twice the peak fits.
    pub headroom_at_max: f64,
    /// The fewest partitions among the role's topics, which caps a consumer
    /// group's useful size; `None` for the producer.
    pub partition_cap: Option<u32>,
    /// The profile's max covers the peak at the CPU target.
    pub max_covers_peak: bool,
}

pub fn ladder(
    capacities: &[RoleCapacity],
    profiles: &[Profile],
    workload: &Workload,
    node_vcpus: u32,
) -> Vec<LadderRow> {
    let mut rows = Vec::new();
    for profile in profiles {
        for capacity in capacities {
            let Some(spec) = profile.role(capacity.role) else { continue };
            let peak = peak_rate(workload, profile, capacity.role);
            let per_node = capacity.per_node(node_vcpus);
            let needed = if per_node > 0.0 { (peak / per_node).ceil().max(1.0) as u32 } else { u32::MAX };
            let headroom_at_max = if peak > 0.0 { f64::from(spec.max) * per_node / peak } else { f64::INFINITY };
            let partition_cap = capacity.role.is_consumer().then(|| {
                spec.topics.iter().filter_map(|topic| profile.topic(topic)).map(|topic| topic.partitions).min()
            });
            rows.push(LadderRow {
                tier: profile.tier.clone(),
                dau: profile.dau,
                role: capacity.role,
                unit: capacity.unit,
                peak_rate: peak,
                per_node,
                needed,
                profile_min: spec.min,
                profile_max: spec.max,
                runbook: runbook_range(profile.dau, capacity.role),
                headroom_at_max,
                partition_cap: partition_cap.flatten(),
                max_covers_peak: needed <= spec.max,
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::profile::{load_all, ProfileSource, ResolveOptions};

    fn point(rate: f64, cores: f64) -> CpuPoint {
        CpuPoint { rate_per_process: rate, cores_per_process: cores }
    }

    fn profiles() -> Vec<Profile> {
        let source = ProfileSource::resolve(Some(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../profiles"))))
            .unwrap_or_else(|err| panic!("{err}"));
        load_all(&source, ResolveOptions { india: false }).unwrap_or_else(|err| panic!("{err}"))
    }

    #[test]
    fn the_fit_recovers_a_straight_line_and_its_half_core_rate() {
        // cores = 0.02 + 0.001 * rate: half a core at 480 uploads/s.
        let fit = CpuFit::through(&[point(50.0, 0.07), point(100.0, 0.12), point(200.0, 0.22)])
            .unwrap_or_else(|| panic!("a line fits"));
        assert!((fit.idle_cores - 0.02).abs() < 1e-9, "{fit:?}");
        assert!((fit.cores_per_unit - 0.001).abs() < 1e-12, "{fit:?}");
        assert!((fit.rate_at(0.5) - 480.0).abs() < 1e-6);
        // A 4-vCPU node at 50 % is two cores: (2 - 0.02) / 0.001.
        let capacity = RoleCapacity::from_fit(RoleName::Producer, fit);
        assert!((capacity.per_node(4) - 1_980.0).abs() < 1e-6);
    }

    #[test]
    fn flat_or_single_points_do_not_fit() {
        assert_eq!(CpuFit::through(&[point(10.0, 0.1)]), None);
        assert_eq!(CpuFit::through(&[point(10.0, 0.1), point(10.0, 0.2)]), None);
        assert_eq!(CpuFit::through(&[point(10.0, 0.2), point(20.0, 0.1)]), None);
    }

    #[test]
    fn peak_rates_follow_the_workload_model_by_hand() {
        let workload = Workload::builtin().unwrap_or_else(|err| panic!("{err}"));
        let all = profiles();
        let tier = all.iter().find(|profile| profile.tier == "100k").unwrap_or_else(|| panic!("100k"));
        // 49 uploads per DAU per day, 3x peak: 100,000 * 49 * 3 / 86,400.
        let uploads = 100_000.0 * 49.0 * 3.0 / 86_400.0;
        assert!((peak_rate(&workload, tier, RoleName::Producer) - uploads).abs() < 1e-6);
        // sms: 4 of 49 uploads, 100 records each.
        let sms = uploads * 4.0 / 49.0 * 100.0;
        assert!((peak_rate(&workload, tier, RoleName::SmsConsumer) - sms).abs() < 1e-6);
        // common: apps 2 x 1 + contacts 1 x 200 + call logs 2 x 50 records.
        let common = uploads / 49.0 * (2.0 + 200.0 + 100.0);
        assert!((peak_rate(&workload, tier, RoleName::CommonConsumer) - common).abs() < 1e-6);
    }

    #[test]
    fn the_ladder_divides_the_peak_by_a_node_and_compares_with_the_profile() {
        let workload = Workload::builtin().unwrap_or_else(|err| panic!("{err}"));
        // 100 uploads/s per core and no idle CPU: a 4-vCPU node at 50 % does 200/s.
        let producer = RoleCapacity::from_fit(RoleName::Producer, CpuFit { idle_cores: 0.0, cores_per_unit: 0.01 });
        let rows = ladder(&[producer], &profiles(), &workload, 4);
        assert_eq!(rows.len(), 5, "one producer row per tier");
        let row = rows.iter().find(|row| row.tier == "100k").unwrap_or_else(|| panic!("100k row"));
        // 170.14 uploads/s at the peak needs one 200/s node; the profile's max of 10 holds 2,000/s.
        assert_eq!(row.needed, 1);
        assert!((row.per_node - 200.0).abs() < 1e-9);
        assert!((row.headroom_at_max - 2_000.0 / (100_000.0 * 49.0 * 3.0 / 86_400.0)).abs() < 1e-9);
        assert_eq!((row.profile_min, row.profile_max), (4, 10));
        assert_eq!(row.runbook, Some((4, 10)));
        assert!(row.max_covers_peak);
        let top = rows.iter().find(|row| row.tier == "200k").unwrap_or_else(|| panic!("200k row"));
        assert_eq!(top.runbook, None, "the runbooks stop at 100K");
        assert_eq!(top.needed, 2, "340.3 uploads/s over 200/s nodes");
    }

    #[test]
    fn a_consumer_that_is_too_slow_is_short_of_the_peak_and_capped_by_partitions() {
        let workload = Workload::builtin().unwrap_or_else(|err| panic!("{err}"));
        // 100 rows/s per core: a 4-vCPU node at 50 % does 200 rows/s.
        let sms = RoleCapacity::from_fit(RoleName::SmsConsumer, CpuFit { idle_cores: 0.0, cores_per_unit: 0.01 });
        let rows = ladder(&[sms], &profiles(), &workload, 4);
        let row = rows.iter().find(|row| row.tier == "100k").unwrap_or_else(|| panic!("100k row"));
        // 1,388.9 sms rows/s at the peak: 7 nodes of 200.
        assert_eq!(row.needed, 7);
        assert_eq!(row.partition_cap, Some(16));
        assert!(row.max_covers_peak);
        let top = rows.iter().find(|row| row.tier == "200k").unwrap_or_else(|| panic!("200k row"));
        // 2,777.8 rows/s: 14 nodes, within the max of 16.
        assert_eq!(top.needed, 14);
        let slower = RoleCapacity::from_fit(RoleName::SmsConsumer, CpuFit { idle_cores: 0.0, cores_per_unit: 0.02 });
        let rows = ladder(&[slower], &profiles(), &workload, 4);
        let top = rows.iter().find(|row| row.tier == "200k").unwrap_or_else(|| panic!("200k row"));
        assert_eq!(top.needed, 28);
        assert!(!top.max_covers_peak);
    }
}
