//! `verify` and `loadtest` for people: per-kind canary results, and the load
//! test's numbers and verdict.

use crate::console::Console;
use crate::ops::loadtest::LoadtestReport;
use crate::ops::verify::VerifyReport;

pub fn print_verify(console: &Console, report: &VerifyReport) {
    console.out(format!(
        "Canary {} through {} ({}):",
        report.device_id, report.front_door.url, report.front_door.served_by
    ));
    let mut table =
        console.table(&["KIND", "STORE", "UPLOADS", "RECORDS", "ARRIVED", "LOST", "DUPLICATED", "P50", "P99"]);
    for kind in &report.kinds {
        table.add_row(vec![
            kind.kind.to_string(),
            kind.store.to_string(),
            format!("{}/{}", kind.uploads_accepted, kind.uploads_sent),
            kind.expected.to_string(),
            kind.arrived.to_string(),
            kind.lost.to_string(),
            kind.duplicated.to_string(),
            format!("{:.0} ms", kind.p50_ms),
            format!("{:.0} ms", kind.p99_ms),
        ]);
    }
    console.out(table);
    for rejection in &report.rejected {
        console.out(format!("rejected: {} upload {}: {}", rejection.kind, rejection.batch_id, rejection.answer));
    }
    if let Some(deleted) = report.cleaned_up {
        console.out(format!("Deleted {deleted} canary rows."));
    }
    console.out(if report.passed {
        "PASS: every canary record arrived exactly once."
    } else {
        "FAIL: canary uploads were rejected, or records were lost or duplicated."
    });
}

pub fn print_loadtest(console: &Console, report: &LoadtestReport) {
    let plan = &report.plan;
    let load = &report.load;
    console.out(format!(
        "Tier {} ({} DAU) on {}: {:.1} uploads/s ({}x peak) for {:.0} s, open loop, through {}",
        report.tier,
        report.dau,
        report.environment,
        plan.target_rate_per_second,
        plan.rate_multiplier,
        plan.duration_seconds,
        report.front_door.url
    ));
    let mut latency = console.table(&["OFFERED", "OK", "FAILED", "P50", "P90", "P99", "P99.9", "MAX"]);
    latency.add_row(vec![
        load.offered.to_string(),
        load.succeeded.to_string(),
        load.failed.to_string(),
        format!("{:.2} ms", load.latency.p50_ms),
        format!("{:.2} ms", load.latency.p90_ms),
        format!("{:.2} ms", load.latency.p99_ms),
        format!("{:.2} ms", load.latency.p999_ms),
        format!("{:.2} ms", load.latency.max_ms),
    ]);
    console.out(latency);
    if !load.errors.is_empty() {
        let mut errors = console.table(&["ERROR", "COUNT"]);
        for (status, count) in &load.errors {
            errors.add_row(vec![status.clone(), count.to_string()]);
        }
        console.out(errors);
    }
    if load.max_send_delay_ms > 100.0 {
        console.warn(format!(
            "the sender fell up to {:.0} ms behind its schedule: this machine limited the run",
            load.max_send_delay_ms
        ));
    }
    let mut checks = console.table(&["OBJECTIVE", "LIMIT", "MEASURED", "RESULT"]);
    for check in &report.verdict.checks {
        let status = serde_json::to_value(check.status).ok().and_then(|v| v.as_str().map(str::to_string));
        checks.add_row(vec![
            check.objective.clone(),
            check.limit.clone(),
            check.measured.clone(),
            status.unwrap_or_default(),
        ]);
    }
    console.out(checks);
    console.out(format!("Report: {} (JSON: {})", report.files.html.display(), report.files.json.display()));
    console.out(if report.verdict.passed { "PASS" } else { "FAIL" });
}
