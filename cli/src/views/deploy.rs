use crate::console::Console;
use crate::ops::deploy_local::DeployReport;
use crate::ops::deploy_plan::RolePlan;

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
            serde_json::to_value(plan.action)
                .ok()
                .and_then(|value| value.as_str().map(str::to_string))
                .unwrap_or_default(),
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
