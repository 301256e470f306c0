//! `capacity` for people: the ramp, each role's measured throughput at the
//! CPU target, and the ladder it implies beside the profiles' and runbooks'.

use crate::console::Console;
use crate::ops::capacity::CapacityReport;

pub fn print_capacity(console: &Console, report: &CapacityReport) {
    console.out(format!(
        "Ramp on {} (tier {} peak {:.1} uploads/s), {:.0} s per step:",
        report.environment, report.tier, report.plan.peak_rate_per_second, report.plan.step_seconds
    ));
    let mut steps =
        console.table(&["STEP", "TARGET", "ACCEPTED", "FAILED", "ROLE", "PROCS", "RATE/PROC", "CPU/PROC", "USED"]);
    for step in &report.steps {
        for (index, role) in step.roles.iter().enumerate() {
            let first = index == 0;
            steps.add_row(vec![
                if first { format!("{}x", step.multiplier) } else { String::new() },
                if first { format!("{:.1}/s", step.target_rate_per_second) } else { String::new() },
                if first { format!("{:.1}/s", step.achieved_rate_per_second) } else { String::new() },
                if first { format!("{} ({:.1} %)", step.failed, step.error_percent) } else { String::new() },
                role.role.to_string(),
                role.processes.to_string(),
                format!("{:.1} {}", role.rate_per_process, crate::prove::ladder::unit_of(role.role)),
                format!("{:.3} cores", role.cores_per_process),
                if role.used { "yes" } else { "no" }.to_string(),
            ]);
        }
    }
    console.out(steps);

    let target = report.cpu_target * 100.0;
    console.out("Per process, from a straight-line fit of CPU against throughput:");
    let mut capacities = console.table(&["ROLE", "IDLE CPU", "CPU PER 1k", "AT 50% OF 1 CORE", "PER NODE"]);
    for capacity in &report.capacities {
        capacities.add_row(vec![
            capacity.role.to_string(),
            format!("{:.3} cores", capacity.fit.idle_cores),
            format!("{:.3} cores", capacity.fit.cores_per_unit * 1_000.0),
            format!("{:.0} {}", capacity.per_process_at_half_core, capacity.unit),
            format!(
                "{:.0} {} ({} vCPU at {target:.0} %)",
                capacity.per_node(report.node_vcpus),
                capacity.unit,
                report.node_vcpus
            ),
        ]);
    }
    console.out(capacities);
    for unmeasured in &report.unmeasured {
        console.out(format!("not measured: {}: {}", unmeasured.role, unmeasured.reason));
    }

    let mut ladder = console.table(&[
        "TIER",
        "ROLE",
        "PEAK",
        "NEEDED",
        "PROFILE",
        "RUNBOOK",
        "HEADROOM AT MAX",
        "PARTITIONS",
        "FITS",
    ]);
    for row in &report.ladder {
        ladder.add_row(vec![
            row.tier.clone(),
            row.role.to_string(),
            format!("{:.0} {}", row.peak_rate, row.unit),
            row.needed.to_string(),
            format!("{}-{}", row.profile_min, row.profile_max),
            row.runbook.map(|(min, max)| format!("{min}-{max}")).unwrap_or_else(|| "-".into()),
            format!("{:.1}x", row.headroom_at_max),
            row.partition_cap.map(|cap| cap.to_string()).unwrap_or_else(|| "-".into()),
            if row.max_covers_peak { "yes" } else { "NO" }.to_string(),
        ]);
    }
    console.out(ladder);
    let short: Vec<String> = report
        .ladder
        .iter()
        .filter(|row| !row.max_covers_peak)
        .map(|row| format!("{} {}", row.tier, row.role))
        .collect();
    console.out(if short.is_empty() {
        "Every tier's max holds its peak at the CPU target with these figures; the minimums stay the runbooks' (availability, not load).".to_string()
    } else {
        format!("The profile's max does not hold the peak for: {}.", short.join(", "))
    });
}
