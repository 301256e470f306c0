use crate::console::Console;
use crate::ops::local::provision::LocalProvisionReport;
use crate::ops::local::runtime::LocalTeardown;
use crate::ops::local::status::LocalStatusReport;

pub fn print_provision(console: &Console, report: &LocalProvisionReport) {
    console.out(format!(
        "Kafka {} ({} brokers, {} needed) is ready for environment {}.",
        report.bootstrap_servers, report.brokers, report.required_brokers, report.environment
    ));
    if let Some(topics) = &report.topics {
        crate::views::topics::print_sync(console, topics);
    }
}

pub fn print_status(console: &Console, report: &LocalStatusReport) {
    let processes = &report.processes;
    match &processes.balancer {
        Some(endpoint) => console.out(format!("Producer endpoint (local load balancer): {endpoint}")),
        None => console.out("No local load balancer is running."),
    }
    if processes.instances.is_empty() {
        console.out(format!("No service processes run for environment {}.", processes.environment));
    } else {
        let mut table = console.table(&["ROLE", "INSTANCE", "VERSION", "PID", "PORT", "READY"]);
        for instance in &processes.instances {
            table.add_row(vec![
                instance.role.clone(),
                instance.id.clone(),
                instance.version.clone(),
                instance.pid.to_string(),
                instance.port.to_string(),
                if instance.ready { "yes".to_string() } else { "no".to_string() },
            ]);
        }
        console.out(table);
    }
    let mut lag = console.table(&["CONSUMER GROUP", "LAG"]);
    for group in &report.lag.groups {
        lag.add_row(vec![group.group.clone(), group.total_lag.to_string()]);
    }
    console.out(lag);
    console.out(format!("retention: {}", report.retention.outage_line()));
    let with_mongodb = report.rows.iter().any(|table| table.documents.is_some());
    let mut header = vec!["TOPIC", "TABLE (sync_db)", "ROWS"];
    if with_mongodb {
        header.extend(["COLLECTION (MongoDB)", "DOCUMENTS"]);
    }
    let mut rows = console.table(&header);
    for table in &report.rows {
        let mut row = vec![
            table.topic.clone(),
            table.table.clone(),
            table.rows.map(|rows| rows.to_string()).unwrap_or_else(|| "(no table yet)".to_string()),
        ];
        if let Some(documents) = &table.documents {
            row.extend([documents.collection.clone(), documents.documents.to_string()]);
        } else if with_mongodb {
            row.extend(["-".to_string(), "-".to_string()]);
        }
        rows.add_row(row);
    }
    console.out(rows);
}

pub fn print_teardown(console: &Console, teardown: &LocalTeardown) {
    if teardown.stopped.is_empty() {
        console.out(format!("Nothing was running for environment {}.", teardown.environment));
    }
    for stopped in &teardown.stopped {
        console.out(format!("stopped {stopped}"));
    }
}
