use comfy_table::Cell;

use crate::console::Console;
use crate::fleet::plan::{Change, FleetPlan};
use crate::fleet::roles::RolePlan;
use crate::ops::deploy::aws::apply::AwsDeployReport;
use crate::ops::deploy::aws::rollout::RolloutOutcome;
use crate::ops::deploy::local::DeployReport;

fn kebab<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value).ok().and_then(|value| value.as_str().map(str::to_string)).unwrap_or_default()
}

/// The aws plan: shared resources that change, then one row per role.
pub fn print_fleet_plan(console: &Console, plan: &FleetPlan) {
    let changing: Vec<_> = plan.shared.iter().filter(|shared| shared.change != Change::Keep).collect();
    if !changing.is_empty() {
        let mut table = console.table(&["RESOURCE", "NAME", "CHANGE"]);
        for shared in changing {
            let change = match &shared.detail {
                Some(detail) => format!("{} ({detail})", kebab(shared.change)),
                None => kebab(shared.change),
            };
            table.add_row(vec![Cell::new(shared.kind.as_str()), Cell::new(&shared.name), console.action_cell(&change)]);
        }
        console.out(table);
    }
    let mut table = console.table(&["ROLE", "CURRENT", "NEW", "LADDER", "LAUNCH TEMPLATE", "ACTION"]);
    for role in &plan.roles {
        let summary = &role.summary;
        let current = if summary.current_count == 0 {
            "-".to_string()
        } else {
            format!("{} × {}", summary.current_count, summary.current_versions.join("+"))
        };
        let ladder = match role.current_bounds {
            Some((min, max)) if (min, max) != (summary.min, summary.max) => {
                format!("{min}-{max} → {}-{}", summary.min, summary.max)
            }
            _ => format!("{}-{}", summary.min, summary.max),
        };
        let template = match role.launch_template {
            Change::Keep => "keep".to_string(),
            change => format!("{} ({})", kebab(change), role.template_changes.join(", ")),
        };
        let action = match &role.refused {
            Some(refusal) => format!("refused ({})", refusal.describe()),
            None => kebab(summary.action),
        };
        table.add_row(vec![
            Cell::new(summary.role),
            Cell::new(current),
            Cell::new(format!("{} × {}", summary.new_count, summary.new_version)),
            Cell::new(ladder),
            Cell::new(template),
            console.action_cell(&action),
        ]);
    }
    console.out(table);
    for refusal in &plan.refusals {
        console.out(format!("refused: {}", refusal.describe()));
    }
}

pub fn print_fleet_report(console: &Console, report: &AwsDeployReport) {
    let mut table = console.table(&["ROLE", "GROUP", "TEMPLATE", "INSTANCES", "ROLLOUT"]);
    for role in &report.roles {
        let rollout = match &role.rollout {
            None => "-".to_string(),
            Some(RolloutOutcome::Replaced { .. }) => "replaced".to_string(),
            Some(RolloutOutcome::RolledBack { .. }) => "rolled back".to_string(),
            Some(RolloutOutcome::Failed { status, .. }) => status.clone(),
        };
        table.add_row(vec![
            role.role.to_string(),
            role.group.clone(),
            format!("v{}", role.launch_template_version),
            format!("{} ({}-{})", role.desired, role.min, role.max),
            rollout,
        ]);
    }
    console.out(table);
    console.out(format!("Deployed {} to {}.", report.version, report.environment));
    if let Some(url) = &report.producer_url {
        console.out(format!("Producer API: {url}/v1/uploads/{{kind}}"));
    }
}

pub fn print_plan(console: &Console, plans: &[RolePlan]) {
    let mut table = console.table(&["ROLE", "CURRENT", "NEW", "LADDER", "ACTION"]);
    for plan in plans {
        let current = if plan.current_count == 0 {
            "-".to_string()
        } else {
            format!("{} × {}", plan.current_count, plan.current_versions.join("+"))
        };
        table.add_row(vec![
            plan.role.to_string(),
            current,
            format!("{} × {}", plan.new_count, plan.new_version),
            format!("{}-{}", plan.min, plan.max),
            kebab(plan.action),
        ]);
    }
    console.out(table);
}

pub fn print_report(console: &Console, report: &DeployReport) {
    console.out(format!(
        "Deployed {} to {} (tier {}): {} started, {} stopped.",
        report.version,
        report.environment,
        report.tier,
        report.started.len(),
        report.stopped.len()
    ));
    if let Some(endpoint) = &report.producer_endpoint {
        console.out(format!("Producer API: {endpoint}/v1/uploads/{{kind}}"));
    }
}
