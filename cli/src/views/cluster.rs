//! Tables for `plan`, `provision`, `status` and `destroy`. The JSON form is
//! each report's serde form and carries the same information.

use comfy_table::Cell;

use crate::cluster::{Action, Plan};
use crate::console::Console;
use crate::ops::cluster::destroy::DestroyReport;
use crate::ops::cluster::plan::PlanReport;
use crate::ops::cluster::provision::ProvisionReport;
use crate::ops::cluster::status::StatusReport;
use crate::ops::deploy::aws::status::ServicesStatus;

const NONE: &str = "-";

pub fn print_plan(console: &Console, plan: &Plan) {
    console.out(format!(
        "environment {} · tier {} · region {}",
        plan.env,
        plan.tier,
        plan.region.as_deref().unwrap_or("(from the AWS chain)")
    ));
    console.out(format!("network: {}", plan.network.note));
    let mut table = console.table(&["RESOURCE", "NAME", "ID", "ACTION", "DETAILS"]);
    for resource in &plan.resources {
        let details = match &resource.action {
            Action::Update { changes } => changes
                .iter()
                .map(|change| format!("{}: {} → {}", change.field, change.before, change.after))
                .collect::<Vec<_>>()
                .join("\n"),
            Action::Refused { reason } => reason.clone(),
            Action::Create | Action::NoOp => resource.reason.clone(),
        };
        table.add_row(vec![
            Cell::new(resource.resource.as_str()),
            Cell::new(&resource.name),
            Cell::new(resource.id.as_deref().unwrap_or(NONE)),
            console.action_cell(resource.action.as_str()),
            Cell::new(details),
        ]);
    }
    console.out(table);
    console.out(summary(plan));
}

pub fn summary(plan: &Plan) -> String {
    let count = |label: &str| plan.resources.iter().filter(|r| r.action.as_str() == label).count();
    let line = format!(
        "Plan: {} to create, {} to update, {} unchanged, {} refused.",
        count("create"),
        count("update"),
        count("no-op"),
        count("refused")
    );
    if plan.refused {
        format!("{line} Nothing can be applied until the refusals are resolved.")
    } else if !plan.pending {
        format!("{line} The environment matches tier {}.", plan.tier)
    } else {
        line
    }
}

pub fn print_plan_report(console: &Console, report: &PlanReport) {
    print_plan(console, &report.plan);
    if let Some(cost) = &report.cost {
        console.out(super::cost::change_line(cost));
    }
    console.out(report.retention.outage_line());
    console.info(format!("read with {} AWS calls in {} ms", report.aws_calls, report.elapsed_ms));
}

pub fn print_provision(console: &Console, report: &ProvisionReport) {
    if report.dry_run {
        console.out("dry run: nothing was changed");
        return;
    }
    let mut table = console.table(&["RESOURCE", "NAME", "ID", "DONE"]);
    for done in &report.applied {
        table.add_row(vec![
            done.resource.as_str().to_string(),
            done.name.clone(),
            done.id.clone(),
            done.what.join("\n"),
        ]);
    }
    if !report.applied.is_empty() {
        console.out(table);
    }
    console.out(format!(
        "cluster {} is {} · {} × {} · {} GiB each · Kafka {}",
        report.cluster.name,
        report.cluster.state,
        report.cluster.broker_count,
        report.cluster.broker_type.as_deref().unwrap_or(NONE),
        report.cluster.ebs_volume_gib.map(|g| g.to_string()).unwrap_or_else(|| NONE.into()),
        report.cluster.kafka_version.as_deref().unwrap_or(NONE),
    ));
    match &report.bootstrap_brokers {
        Some(brokers) => console.out(format!("bootstrap brokers ({}): {brokers}", report.client_auth)),
        None => console.out(format!("bootstrap brokers: the cluster offers none for {}", report.client_auth)),
    }
    match &report.topics {
        Some(topics) => console.out(format!("topics: {topics}")),
        None => console.out("topics: not synced (--skip-topics)"),
    }
}

pub fn print_status(console: &Console, report: &StatusReport) {
    console.out(format!(
        "environment {} · region {}",
        report.env,
        report.region.as_deref().unwrap_or("(from the AWS chain)")
    ));
    match &report.cluster {
        Some(cluster) => {
            let mut table = console.table(&["CLUSTER", "STATE", "KAFKA", "BROKERS", "TYPE", "EBS GiB", "TIER", "ARN"]);
            table.add_row(vec![
                cluster.name.clone(),
                match &cluster.state_info {
                    Some(info) if cluster.state == "FAILED" => format!(
                        "FAILED ({}: {})",
                        info.code.as_deref().unwrap_or("?"),
                        info.message.as_deref().unwrap_or("?")
                    ),
                    _ => cluster.state.clone(),
                },
                cluster.kafka_version.clone().unwrap_or_else(|| NONE.into()),
                cluster.broker_count.to_string(),
                cluster.broker_type.clone().unwrap_or_else(|| NONE.into()),
                cluster.ebs_volume_gib.map(|g| g.to_string()).unwrap_or_else(|| NONE.into()),
                cluster.tags.get(crate::naming::TAG_TIER).cloned().unwrap_or_else(|| NONE.into()),
                cluster.arn.clone(),
            ]);
            console.out(table);
        }
        None => console.out("cluster: none (run `forgectl provision`)"),
    }
    if let Some(brokers) = &report.bootstrap_brokers {
        let mut table = console.table(&["LISTENER", "BOOTSTRAP BROKERS"]);
        for (listener, value) in [
            ("plaintext", &brokers.plaintext),
            ("tls", &brokers.tls),
            ("sasl-scram", &brokers.sasl_scram),
            ("sasl-iam", &brokers.sasl_iam),
        ] {
            if let Some(value) = value {
                table.add_row(vec![listener.to_string(), value.clone()]);
            }
        }
        console.out(table);
    }
    let mut groups = console.table(&["SECURITY GROUP", "ID", "VPC", "INBOUND RULES"]);
    for group in report.security_groups.iter() {
        let rules = if group.ingress.is_empty() {
            "(none)".to_string()
        } else {
            group.ingress.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        };
        groups.add_row(vec![group.name.clone(), group.id.clone(), group.vpc_id.clone(), rules]);
    }
    if report.security_groups.is_empty() {
        console.out("security groups: none");
    } else {
        console.out(groups);
    }
    if let Some(configuration) = &report.configuration {
        console.out(format!(
            "configuration {} revision {}: {}",
            configuration.name,
            configuration.latest_revision,
            configuration.properties.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
        ));
    }
    console.out(format!("topics: {}", report.topics));
    if let Some(retention) = &report.retention {
        console.out(format!("retention: {}", retention.outage_line()));
    }
    print_services(console, &report.services);
    match &report.drift {
        Some(plan) if plan.pending || plan.refused => {
            console.out(format!("drift from tier {}:", plan.tier));
            print_plan_changes_only(console, plan);
        }
        Some(plan) => console.out(format!("no drift from tier {}", plan.tier)),
        None => console.out(format!("drift: {}", report.drift_note.as_deref().unwrap_or("not checked"))),
    }
}

fn print_services(console: &Console, services: &ServicesStatus) {
    if services.groups.is_empty() {
        console.out("services: not deployed (run `forgectl deploy --version TAG`)");
        return;
    }
    super::monitoring::print_alarm_states(console, &services.alarms);
    let mut table = console.table(&["SERVICE GROUP", "LADDER", "DESIRED", "IN SERVICE", "UNHEALTHY", "VERSIONS"]);
    for group in &services.groups {
        let versions =
            group.versions.iter().map(|(version, count)| format!("{count} × {version}")).collect::<Vec<_>>().join(", ");
        table.add_row(vec![
            group.group.clone(),
            format!("{}-{}", group.min, group.max),
            group.desired.to_string(),
            group.in_service.to_string(),
            group.unhealthy.to_string(),
            versions,
        ]);
    }
    console.out(table);
    if let Some(url) = &services.producer_url {
        console.out(format!("producer API: {url}"));
    }
}

fn print_plan_changes_only(console: &Console, plan: &Plan) {
    let mut table = console.table(&["RESOURCE", "ACTION", "DETAILS"]);
    for resource in plan.resources.iter().filter(|r| r.action != Action::NoOp) {
        let details = match &resource.action {
            Action::Update { changes } => changes
                .iter()
                .map(|c| format!("{}: {} → {}", c.field, c.before, c.after))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => resource.reason.clone(),
        };
        table.add_row(vec![
            Cell::new(resource.resource.as_str()),
            console.action_cell(resource.action.as_str()),
            Cell::new(details),
        ]);
    }
    console.out(table);
}

pub fn print_destroy(console: &Console, report: &DestroyReport) {
    if report.deleted.is_empty() && report.services.is_empty() {
        console.out(format!("environment {}: nothing to delete; no resource is tagged for it", report.env));
        return;
    }
    let mut table = console.table(&["DELETED", "NAME", "ID"]);
    for deleted in &report.deleted {
        table.add_row(vec![deleted.resource.as_str().to_string(), deleted.name.clone(), deleted.id.clone()]);
    }
    console.out(table);
    console.out(format!(
        "environment {}: {} resources deleted ({} of them the services')",
        report.env,
        report.deleted.len() + report.services.len(),
        report.services.len()
    ));
}
