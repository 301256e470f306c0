//! Tables for `forgectl topics …`. The JSON form is each report's serde form.

use comfy_table::Cell;

use crate::console::Console;
use crate::ops::topics::inspect::{DescribeReport, LagReport};
use crate::ops::topics::reconcile::{PlanReport, SyncReport};
use crate::topics::{Action, Change, Plan};

const NONE: &str = "-";

fn plan_table(console: &Console, changes: &[Change]) {
    let mut table = console.table(&["TOPIC", "FIELD", "CURRENT", "DESIRED", "ACTION"]);
    for change in changes {
        let action = match &change.action {
            Action::Refused { reason } => format!("refused: {reason}"),
            other => other.label().to_string(),
        };
        table.add_row(vec![
            Cell::new(&change.topic),
            Cell::new(&change.field),
            Cell::new(change.current.as_deref().unwrap_or(NONE)),
            Cell::new(change.desired.as_deref().unwrap_or(NONE)),
            console.action_cell(&action),
        ]);
    }
    console.out(table);
}

fn summary(plan: &Plan) -> String {
    let parts: Vec<String> = ["create", "increase-partitions", "set-config", "delete", "refused", "unmanaged", "no-op"]
        .iter()
        .map(|label| (label, plan.count(label)))
        .filter(|(_, count)| *count > 0)
        .map(|(label, count)| format!("{count} {label}"))
        .collect();
    if parts.is_empty() {
        "nothing declared".into()
    } else {
        parts.join(", ")
    }
}

pub fn print_plan(console: &Console, report: &PlanReport) {
    plan_table(console, &report.plan.changes);
    for warning in &report.plan.warnings {
        console.warn(warning);
    }
    console.out(format!(
        "tier {} via {} ({}): {}; {}",
        report.tier,
        report.backend.as_str(),
        report.target,
        summary(&report.plan),
        if report.in_sync { "in sync" } else { "drift" }
    ));
}

pub fn print_sync(console: &Console, report: &SyncReport) {
    if report.applied.is_empty() && !report.dry_run {
        console.out(format!("tier {} via {}: in sync, nothing to change", report.tier, report.backend.as_str()));
        return;
    }
    if report.dry_run {
        let pending: Vec<Change> = report.plan.changes.iter().filter(|c| c.action.is_change()).cloned().collect();
        plan_table(console, &pending);
        console.out(format!("dry run: {} change(s) would be applied; nothing was changed", pending.len()));
        return;
    }
    plan_table(console, &report.applied);
    console.out(format!(
        "tier {} via {}: applied {} change(s) with {} write request(s) in {} ms",
        report.tier,
        report.backend.as_str(),
        report.applied.len(),
        report.requests.writes,
        report.elapsed_ms
    ));
}

fn ids(list: &[i32]) -> String {
    list.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

pub fn print_describe(console: &Console, report: &DescribeReport) {
    for topic in &report.topics {
        console.out(format!(
            "{}: {} partition(s), RF {}, under-replicated: {}",
            topic.name,
            topic.partitions.len(),
            topic.replication_factor,
            if topic.under_replicated.is_empty() { "none".to_string() } else { ids(&topic.under_replicated) }
        ));
        let mut partitions = console.table(&["PARTITION", "LEADER", "REPLICAS", "ISR"]);
        for p in &topic.partitions {
            partitions.add_row(vec![p.id.to_string(), p.leader.to_string(), ids(&p.replicas), ids(&p.isr)]);
        }
        console.out(partitions);
        let mut configs = console.table(&["CONFIG", "VALUE", "SOURCE"]);
        for c in &topic.configs {
            configs.add_row(vec![c.name.clone(), c.value.clone().unwrap_or_else(|| NONE.into()), c.source.to_string()]);
        }
        console.out(configs);
    }
    for missing in &report.missing {
        console.warn(format!("{missing}: no such topic"));
    }
}

pub fn print_lag(console: &Console, report: &LagReport) {
    let mut table = console.table(&["GROUP", "TOPIC", "PARTITION", "COMMITTED", "HIGH WATERMARK", "LAG"]);
    for group in &report.groups {
        for topic in &group.topics {
            for p in &topic.partitions {
                table.add_row(vec![
                    group.group.clone(),
                    topic.topic.clone(),
                    p.partition.to_string(),
                    p.committed.map(|c| c.to_string()).unwrap_or_else(|| NONE.into()),
                    p.high_watermark.to_string(),
                    p.lag.to_string(),
                ]);
            }
            table.add_row(vec![
                group.group.clone(),
                topic.topic.clone(),
                "total".into(),
                String::new(),
                String::new(),
                topic.lag.to_string(),
            ]);
        }
        table.add_row(vec![
            group.group.clone(),
            "total".into(),
            String::new(),
            String::new(),
            String::new(),
            group.total_lag.to_string(),
        ]);
    }
    console.out(table);
}
