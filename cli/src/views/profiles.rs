use comfy_table::Cell;

use crate::console::Console;
use crate::ops::profiles::ValidationReport;
use crate::profile::{Profile, RoleName};

pub fn print_list(console: &Console, profiles: &[Profile]) {
    let mut table = console.table(&[
        "TIER",
        "DAU",
        "BROKERS",
        "BROKER TYPE",
        "PRODUCER",
        "SMS CONSUMER",
        "EVENTS CONSUMER",
        "COMMON CONSUMER",
    ]);
    for profile in profiles {
        let mut row = vec![
            Cell::new(&profile.tier),
            Cell::new(profile.dau),
            Cell::new(profile.kafka.brokers),
            Cell::new(&profile.kafka.broker_type),
        ];
        row.extend(RoleName::ALL.iter().map(|role| Cell::new(range(profile, *role))));
        table.add_row(row);
    }
    console.out(table);
}

pub fn print_show(console: &Console, profile: &Profile) {
    let kafka = &profile.kafka;
    let mut summary = console.table(&["TIER", &profile.tier]);
    summary.add_row(vec!["DAU".to_string(), profile.dau.to_string()]);
    summary.add_row(vec!["India switch".to_string(), on_off(profile.india).to_string()]);
    summary.add_row(vec!["Kafka version".to_string(), kafka.version.clone()]);
    summary.add_row(vec![
        "Brokers".to_string(),
        format!("{} × {} over {} AZs", kafka.brokers, kafka.broker_type, kafka.zones),
    ]);
    summary.add_row(vec!["EBS per broker".to_string(), format!("{} GiB", kafka.ebs_volume_gib)]);
    summary.add_row(vec![
        "Encryption in transit".to_string(),
        format!(
            "client-broker {}, in-cluster {}",
            kafka.encryption_in_transit.client_broker.as_str(),
            on_off(kafka.encryption_in_transit.in_cluster)
        ),
    ]);
    summary.add_row(vec!["Enhanced monitoring".to_string(), kafka.enhanced_monitoring.as_str().to_string()]);
    summary.add_row(vec!["Source".to_string(), profile.source.clone()]);
    console.out(summary);

    let mut topics = console.table(&["TOPIC", "PARTITIONS", "RF", "CONFIGS", "CONSUMED BY"]);
    for topic in &profile.topics {
        let configs = topic.configs.iter().map(|(key, value)| format!("{key}={value}")).collect::<Vec<_>>().join("\n");
        let consumer =
            profile.consumer_of(&topic.name).and_then(|role| role.group.clone()).unwrap_or_else(|| "-".to_string());
        topics.add_row(vec![
            Cell::new(&topic.name),
            Cell::new(topic.partitions),
            Cell::new(topic.replication_factor),
            Cell::new(configs),
            Cell::new(consumer),
        ]);
    }
    console.out(topics);
    if let Some(dead_letter) = &profile.dead_letter {
        let configs: Vec<String> = dead_letter.configs.iter().map(|(key, value)| format!("{key}={value}")).collect();
        console.out(format!(
            "Dead-letter topics: <topic>{} for each topic, {} partition(s), {}",
            dead_letter.suffix,
            dead_letter.partitions,
            configs.join(", ")
        ));
    }
    if profile.india && !profile.india_excluded_topics.is_empty() {
        console.out(format!("Left out by the India switch: {}", profile.india_excluded_topics.join(", ")));
    }

    let mut roles = console.table(&["ROLE", "NODES", "GROUP", "TOPICS", "DEV/UAT", "PRODUCTION"]);
    for role in &profile.roles {
        roles.add_row(vec![
            role.name.to_string(),
            format!("{}-{}", role.min, role.max),
            role.group.clone().unwrap_or_else(|| "-".to_string()),
            if role.topics.is_empty() { "(publishes to all)".to_string() } else { role.topics.join(", ") },
            role.instance_types.dev.clone(),
            role.instance_types.production.clone(),
        ]);
    }
    console.out(roles);
}

pub fn print_validation(console: &Console, report: &ValidationReport) {
    for file in &report.files {
        if file.valid {
            let tier = file.tier.as_deref().unwrap_or("?");
            let dau = file.dau.map(|dau| dau.to_string()).unwrap_or_default();
            console.out(format!("ok       {} (tier {tier}, {dau} DAU)", file.file));
            if let Some(sizing) = &file.retention {
                console.out(format!("         {}", sizing.outage_line()));
            }
        } else {
            console.out(format!("invalid  {}", file.file));
            for issue in &file.issues {
                console.info(format!("error: {issue}"));
            }
        }
    }
    let invalid = report.files.iter().filter(|file| !file.valid).count();
    if invalid > 0 {
        console.info(format!("{invalid} of {} profile files are invalid", report.files.len()));
    }
}

/// The README's ladder table, generated so a test can keep the two in sync.
pub fn ladder_markdown(profiles: &[Profile]) -> String {
    let mut lines = vec![
        "| Tier | DAU | Brokers | Broker type | EBS/broker | Producer | SMS consumer | Events consumer | Common consumer | Partitions (sms / events / apps / contacts / call logs) |".to_string(),
        "|---|---:|---:|---|---:|:---:|:---:|:---:|:---:|:---:|".to_string(),
    ];
    for profile in profiles {
        let partitions =
            profile.topics.iter().map(|topic| topic.partitions.to_string()).collect::<Vec<_>>().join(" / ");
        lines.push(format!(
            "| {} | {} | {} | {} | {} GiB | {} | {} | {} | {} | {} |",
            profile.tier,
            profile.dau,
            profile.kafka.brokers,
            profile.kafka.broker_type,
            profile.kafka.ebs_volume_gib,
            range(profile, RoleName::Producer),
            range(profile, RoleName::SmsConsumer),
            range(profile, RoleName::EventsConsumer),
            range(profile, RoleName::CommonConsumer),
            partitions
        ));
    }
    lines.join("\n")
}

fn range(profile: &Profile, role: RoleName) -> String {
    profile.role(role).map(|spec| format!("{}-{}", spec.min, spec.max)).unwrap_or_else(|| "-".to_string())
}

fn on_off(flag: bool) -> &'static str {
    if flag {
        "on"
    } else {
        "off"
    }
}

pub fn print_captured(console: &Console, report: &crate::ops::cluster::capture::CaptureReport) {
    console.out(format!(
        "wrote {} from cluster {} (topics read via {}; ladder, dead letters, SLOs and alerts from tier {})",
        report.out, report.cluster_name, report.topics_read_from, report.tier
    ));
    for note in &report.notes {
        console.out(format!("  {note}"));
    }
    console.out(format!("check it with `forgectl profiles validate {}`", report.out));
}
