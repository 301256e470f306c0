//! Cross-field rules. Each rule reports an `Issue` that names the key to
//! edit and what would fix it; all issues are collected, not just the first.

use std::collections::{BTreeMap, HashMap};

use super::error::Issue;
use super::locate::Locator;
use super::model::{Profile, RoleName};

/// Kafka's own limit on topic name length.
const KAFKA_TOPIC_NAME_MAX: usize = 249;

pub fn validate(profile: &Profile, locator: &Locator) -> Vec<Issue> {
    let mut issues = Vec::new();
    super::msk::check_kafka(profile, locator, &mut issues);
    check_topics(profile, locator, &mut issues);
    check_roles(profile, locator, &mut issues);
    check_consumption(profile, locator, &mut issues);
    check_india(profile, locator, &mut issues);
    check_dead_letter(profile, locator, &mut issues);
    check_slo(profile, locator, &mut issues);
    check_alerts(profile, locator, &mut issues);
    issues
}

fn check_slo(profile: &Profile, locator: &Locator, issues: &mut Vec<Issue>) {
    let Some(slo) = &profile.slo else {
        return;
    };
    if slo.upload_p99_ms == 0 {
        issues.push(locator.issue("slo.upload_p99_ms", "must be above 0", "set a latency in milliseconds, e.g. 50"));
    }
    if slo.upload_p999_ms < slo.upload_p99_ms {
        issues.push(locator.issue(
            "slo.upload_p999_ms",
            format!("is {} ms, below slo.upload_p99_ms ({} ms)", slo.upload_p999_ms, slo.upload_p99_ms),
            "a higher percentile cannot have a lower bound; raise it",
        ));
    }
    if !(0.0..=100.0).contains(&slo.max_error_percent) {
        issues.push(locator.issue(
            "slo.max_error_percent",
            format!("is {}, not a percentage", slo.max_error_percent),
            "use a value from 0 to 100, e.g. 0.1",
        ));
    }
    if slo.lag_drain_seconds == 0 {
        issues.push(locator.issue(
            "slo.lag_drain_seconds",
            "must be above 0",
            "set how many seconds the consumers may take to catch up, e.g. 60",
        ));
    }
}

fn check_alerts(profile: &Profile, locator: &Locator, issues: &mut Vec<Issue>) {
    let Some(alerts) = &profile.alerts else {
        return;
    };
    if alerts.consumer_lag_warning == 0 || alerts.consumer_lag_critical < alerts.consumer_lag_warning {
        issues.push(locator.issue(
            "alerts.consumer_lag_critical",
            format!(
                "is {}, below alerts.consumer_lag_warning ({}) or the warning is 0",
                alerts.consumer_lag_critical, alerts.consumer_lag_warning
            ),
            "warn above 0 and page at or above the warning, e.g. 500 and 1000",
        ));
    }
    for (key, percent) in [
        ("alerts.upload_throttled_percent", alerts.upload_throttled_percent),
        ("alerts.upload_error_percent", alerts.upload_error_percent),
        ("alerts.broker_disk_used_percent", alerts.broker_disk_used_percent),
        ("alerts.broker_cpu_percent", alerts.broker_cpu_percent),
    ] {
        if !(0.0..=100.0).contains(&percent) {
            issues.push(locator.issue(
                key,
                format!("is {percent}, not a percentage"),
                "use a value from 0 to 100, e.g. 5",
            ));
        }
    }
    if alerts.upload_p99_ms == 0 {
        issues.push(locator.issue(
            "alerts.upload_p99_ms",
            "must be above 0",
            "set a latency in milliseconds, e.g. 250",
        ));
    }
}

fn check_topics(profile: &Profile, locator: &Locator, issues: &mut Vec<Issue>) {
    // Kafka treats `.` and `_` as the same character in metric names, so it
    // refuses topics whose names differ only there.
    let mut by_metric_name: HashMap<String, &str> = HashMap::new();
    for topic in &profile.topics {
        let key = format!("topics.{}", topic.name);
        if let Some(problem) = topic_name_problem(&topic.name) {
            issues.push(locator.issue(
                key.clone(),
                format!("`{}` is not a legal Kafka topic name: {problem}", topic.name),
                "use up to 249 characters from a-z, A-Z, 0-9, `.`, `_` and `-`",
            ));
        }
        if let Some(other) = by_metric_name.insert(topic.name.replace('.', "_"), &topic.name) {
            issues.push(locator.issue(
                key.clone(),
                format!("`{}` collides with `{other}`: Kafka treats `.` and `_` alike in topic names", topic.name),
                "rename one of the two topics",
            ));
        }
        if topic.partitions == 0 {
            issues.push(locator.issue(
                format!("{key}.partitions"),
                "a topic needs at least one partition",
                "set partitions to 1 or more",
            ));
        }
        if topic.replication_factor == 0 {
            issues.push(locator.issue(
                format!("{key}.replication_factor"),
                "a replication factor of 0 is not possible",
                "set replication_factor to 3 (or at least 1)",
            ));
        } else if u32::from(topic.replication_factor) > profile.kafka.brokers {
            issues.push(locator.issue(
                format!("{key}.replication_factor"),
                format!(
                    "replication factor {} is larger than the {} brokers in kafka.brokers",
                    topic.replication_factor, profile.kafka.brokers
                ),
                format!("lower replication_factor to {} or raise kafka.brokers", profile.kafka.brokers),
            ));
        }
        for config_key in topic.configs.keys() {
            if config_key.trim().is_empty() {
                issues.push(locator.issue(format!("{key}.configs"), "has an empty config key", "remove the empty key"));
            }
        }
    }
}

pub fn topic_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name == "." || name == ".." {
        return Some("`.` and `..` are reserved");
    }
    if name.len() > KAFKA_TOPIC_NAME_MAX {
        return Some("it is longer than 249 characters");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Some("it has characters other than a-z, A-Z, 0-9, `.`, `_` and `-`");
    }
    None
}

fn check_roles(profile: &Profile, locator: &Locator, issues: &mut Vec<Issue>) {
    let mut groups: BTreeMap<&str, RoleName> = BTreeMap::new();
    for role in &profile.roles {
        let key = format!("roles.{}", role.name);
        if role.min > role.max {
            issues.push(locator.issue(
                format!("{key}.min"),
                format!("min {} is greater than max {}", role.min, role.max),
                format!("set {key}.min to at most {}", role.max),
            ));
        }
        if role.max == 0 {
            issues.push(locator.issue(
                format!("{key}.max"),
                "max is 0, so the role could never run",
                "set max to 1 or more",
            ));
        }
        match (role.name.is_consumer(), &role.group) {
            (true, None) => issues.push(locator.issue(
                format!("{key}.group"),
                "a consumer role needs a Kafka consumer group",
                format!("set {key}.group, e.g. `{}-group`", role.name),
            )),
            (false, Some(_)) => issues.push(locator.issue(
                format!("{key}.group"),
                "the producer does not consume, so it has no consumer group",
                "remove the group from the producer",
            )),
            _ => {}
        }
        match (role.name.is_consumer(), role.lag_per_instance) {
            (false, Some(_)) => issues.push(locator.issue(
                format!("{key}.lag_per_instance"),
                "the producer consumes nothing, so it has no lag to scale on",
                "remove lag_per_instance from the producer",
            )),
            (true, Some(0)) => issues.push(locator.issue(
                format!("{key}.lag_per_instance"),
                "a lag target of 0 would keep adding instances up to max",
                format!("set {key}.lag_per_instance to 1 or more (the runbooks scale at 100)"),
            )),
            _ => {}
        }
        if !role.name.is_consumer() && !role.topics.is_empty() {
            issues.push(locator.issue(
                format!("{key}.topics"),
                "the producer publishes to every topic; it lists none",
                "remove topics from the producer",
            ));
        }
        if role.name.is_consumer() && role.topics.is_empty() {
            issues.push(locator.issue(
                format!("{key}.topics"),
                "a consumer role must consume at least one topic",
                "list the topics this group reads",
            ));
        }
        if let Some(group) = &role.group {
            if let Some(other) = groups.insert(group.as_str(), role.name) {
                issues.push(locator.issue(
                    format!("{key}.group"),
                    format!("group `{group}` is also used by {other}"),
                    "give every consumer role its own group",
                ));
            }
        }
    }
}

fn check_consumption(profile: &Profile, locator: &Locator, issues: &mut Vec<Issue>) {
    for role in profile.roles.iter().filter(|role| role.name.is_consumer()) {
        for (index, topic_name) in role.topics.iter().enumerate() {
            let key = format!("roles.{}.topics.{index}", role.name);
            match profile.topic(topic_name) {
                None => issues.push(locator.issue(
                    key,
                    format!("{} consumes `{topic_name}`, which is not declared under topics", role.name),
                    format!("declare `{topic_name}` under topics, or remove it from the role"),
                )),
                Some(topic) if topic.partitions < role.max => issues.push(locator.issue(
                    format!("topics.{topic_name}.partitions"),
                    format!(
                        "{} partitions is fewer than the {} nodes {} may run (roles.{}.max); the extra consumers would sit idle",
                        topic.partitions, role.max, role.name, role.name
                    ),
                    format!(
                        "raise topics.{topic_name}.partitions to at least {}, or lower roles.{}.max",
                        role.max, role.name
                    ),
                )),
                Some(_) => {}
            }
        }
    }
    for topic in &profile.topics {
        let consumers: Vec<&str> = profile
            .roles
            .iter()
            .filter(|role| role.topics.contains(&topic.name))
            .map(|role| role.name.as_str())
            .collect();
        match consumers.as_slice() {
            [_] => {}
            [] => issues.push(locator.issue(
                format!("topics.{}", topic.name),
                "no consumer role reads this topic, so its records would never reach a database",
                "add the topic to one consumer role's topics, or remove it",
            )),
            many => issues.push(locator.issue(
                format!("topics.{}", topic.name),
                format!(
                    "is consumed by {} roles ({}); each topic belongs to exactly one group",
                    many.len(),
                    many.join(", ")
                ),
                "keep the topic in one role's topics",
            )),
        }
    }
}

fn check_dead_letter(profile: &Profile, locator: &Locator, issues: &mut Vec<Issue>) {
    let Some(dead_letter) = &profile.dead_letter else {
        return;
    };
    if dead_letter.suffix.is_empty() {
        issues.push(locator.issue(
            "dead_letter.suffix",
            "is empty, so a dead-letter topic would be the topic itself",
            "use a suffix such as `.dlq`",
        ));
        return;
    }
    if dead_letter.partitions == 0 {
        issues.push(locator.issue(
            "dead_letter.partitions",
            "a dead-letter topic needs at least one partition",
            "set dead_letter.partitions to 1",
        ));
    }
    for topic in profile.dead_letter_topics() {
        if let Some(problem) = topic_name_problem(&topic.name) {
            issues.push(locator.issue(
                "dead_letter.suffix",
                format!("makes `{}`, which is not a legal Kafka topic name: {problem}", topic.name),
                "use a suffix of a-z, A-Z, 0-9, `.`, `_` and `-` that keeps names within 249 characters",
            ));
        } else if profile.topic(&topic.name).is_some() {
            issues.push(locator.issue(
                "dead_letter.suffix",
                format!("makes `{}`, which is also a declared topic", topic.name),
                "pick a suffix that no declared topic ends with",
            ));
        }
    }
}

fn check_india(profile: &Profile, locator: &Locator, issues: &mut Vec<Issue>) {
    for (index, name) in profile.india_excluded_topics.iter().enumerate() {
        if profile.topic(name).is_none() {
            issues.push(locator.issue(
                format!("india.excluded_topics.{index}"),
                format!("`{name}` is not a declared topic"),
                "list only topics declared under topics",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_kafka_rules() {
        assert_eq!(topic_name_problem("sms_batched"), None);
        assert_eq!(topic_name_problem("a.b-c_D9"), None);
        assert!(topic_name_problem("").is_some());
        assert!(topic_name_problem("..").is_some());
        assert!(topic_name_problem("has space").is_some());
        assert!(topic_name_problem("ünïcode").is_some());
        assert!(topic_name_problem(&"x".repeat(250)).is_some());
        assert_eq!(topic_name_problem(&"x".repeat(249)), None);
    }
}
