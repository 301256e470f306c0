//! Turns a fully merged layer into a `Profile`, reporting every required key
//! that no layer set.

use std::collections::BTreeMap;

use super::error::Issue;
use super::locate::Locator;
use super::model::{
    AlertsSpec, DeadLetterSpec, EncryptionInTransit, InstanceTypes, KafkaSpec, Profile, RoleName, RoleSpec, SloSpec,
    TopicSpec, DEFAULT_DEAD_LETTER_SUFFIX, DEFAULT_LAG_PER_INSTANCE, PROFILE_JSON_SCHEMA_VERSION,
};
use super::schema::ProfileLayer;

struct Required<'a> {
    locator: &'a Locator,
    issues: Vec<Issue>,
}

impl Required<'_> {
    fn take<T>(&mut self, value: Option<T>, key: &str) -> Option<T> {
        if value.is_none() {
            self.issues.push(self.locator.issue(
                key,
                "is not set in this file or in any file it extends",
                format!("add `{}` to the tier file or to its base layer", key.rsplit('.').next().unwrap_or(key)),
            ));
        }
        value
    }
}

pub fn resolve(tier: &str, source: &str, layer: ProfileLayer, locator: &Locator) -> Result<Profile, Vec<Issue>> {
    let mut required = Required { locator, issues: Vec::new() };

    let dau = required.take(layer.dau, "dau");
    let kafka_layer = layer.kafka.unwrap_or_default();
    let encryption = kafka_layer.encryption_in_transit.unwrap_or_default();
    let kafka = (
        required.take(kafka_layer.version, "kafka.version"),
        required.take(kafka_layer.brokers, "kafka.brokers"),
        required.take(kafka_layer.zones, "kafka.zones"),
        required.take(kafka_layer.broker_type, "kafka.broker_type"),
        required.take(kafka_layer.ebs_volume_gib, "kafka.ebs_volume_gib"),
        required.take(encryption.client_broker, "kafka.encryption_in_transit.client_broker"),
        required.take(encryption.in_cluster, "kafka.encryption_in_transit.in_cluster"),
        required.take(kafka_layer.enhanced_monitoring, "kafka.enhanced_monitoring"),
    );

    let defaults = layer.topic_defaults.unwrap_or_default();
    let default_configs = defaults.configs.unwrap_or_default();
    let mut topics = Vec::new();
    for (name, topic) in layer.topics.unwrap_or_default() {
        let partitions = required.take(topic.partitions, &format!("topics.{name}.partitions"));
        let replication_factor = required.take(
            topic.replication_factor.or(defaults.replication_factor),
            &format!("topics.{name}.replication_factor"),
        );
        let mut configs: BTreeMap<String, String> =
            default_configs.iter().map(|(key, value)| (key.clone(), value.0.clone())).collect();
        for (key, value) in topic.configs.unwrap_or_default() {
            configs.insert(key, value.0);
        }
        if let (Some(partitions), Some(replication_factor)) = (partitions, replication_factor) {
            topics.push(TopicSpec { name, partitions, replication_factor, configs });
        }
    }

    let mut roles = Vec::new();
    let declared_roles = layer.roles.unwrap_or_default();
    for name in RoleName::ALL {
        let Some(role) = declared_roles.get(&name).cloned() else {
            required.issues.push(locator.issue(
                format!("roles.{name}"),
                "is missing; every tier runs all four roles",
                format!("add `{name}: {{min: N, max: M}}` under `roles`"),
            ));
            continue;
        };
        let prefix = format!("roles.{name}");
        let min = required.take(role.min, &format!("{prefix}.min"));
        let max = required.take(role.max, &format!("{prefix}.max"));
        let sizes = role.instance_types.unwrap_or_default();
        let dev = required.take(sizes.dev, &format!("{prefix}.instance_types.dev"));
        let production = required.take(sizes.production, &format!("{prefix}.instance_types.production"));
        if let (Some(min), Some(max), Some(dev), Some(production)) = (min, max, dev, production) {
            roles.push(RoleSpec {
                name,
                min,
                max,
                group: role.group,
                topics: role.topics.unwrap_or_default(),
                lag_per_instance: role.lag_per_instance.or(name.is_consumer().then_some(DEFAULT_LAG_PER_INSTANCE)),
                instance_types: InstanceTypes { dev, production },
            });
        }
    }

    let india_excluded_topics = layer.india.and_then(|india| india.excluded_topics).unwrap_or_default();
    let dead_letter = layer.dead_letter.map(|dlq| DeadLetterSpec {
        suffix: dlq.suffix.unwrap_or_else(|| DEFAULT_DEAD_LETTER_SUFFIX.to_string()),
        partitions: dlq.partitions.unwrap_or(1),
        configs: dlq.configs.unwrap_or_default().into_iter().map(|(key, value)| (key, value.0)).collect(),
    });

    let slo = match layer.slo {
        None => None,
        Some(slo) => {
            let fields = (
                required.take(slo.upload_p99_ms, "slo.upload_p99_ms"),
                required.take(slo.upload_p999_ms, "slo.upload_p999_ms"),
                required.take(slo.max_error_percent, "slo.max_error_percent"),
                required.take(slo.lag_drain_seconds, "slo.lag_drain_seconds"),
            );
            match fields {
                (Some(upload_p99_ms), Some(upload_p999_ms), Some(max_error_percent), Some(lag_drain_seconds)) => {
                    Some(SloSpec { upload_p99_ms, upload_p999_ms, max_error_percent, lag_drain_seconds })
                }
                _ => None,
            }
        }
    };

    let alerts = match layer.alerts {
        None => None,
        Some(alerts) => {
            let fields = (
                required.take(alerts.consumer_lag_warning, "alerts.consumer_lag_warning"),
                required.take(alerts.consumer_lag_critical, "alerts.consumer_lag_critical"),
                required.take(alerts.consumer_lag_for_seconds, "alerts.consumer_lag_for_seconds"),
                required.take(alerts.upload_throttled_percent, "alerts.upload_throttled_percent"),
                required.take(alerts.upload_error_percent, "alerts.upload_error_percent"),
                required.take(alerts.upload_p99_ms, "alerts.upload_p99_ms"),
                required.take(alerts.upload_for_seconds, "alerts.upload_for_seconds"),
                required.take(alerts.dead_letters_per_5m, "alerts.dead_letters_per_5m"),
                required.take(alerts.instance_down_for_seconds, "alerts.instance_down_for_seconds"),
                required.take(alerts.consumer_lag_max_seconds, "alerts.consumer_lag_max_seconds"),
                required.take(alerts.broker_disk_used_percent, "alerts.broker_disk_used_percent"),
                required.take(alerts.broker_cpu_percent, "alerts.broker_cpu_percent"),
            );
            match fields {
                (
                    Some(consumer_lag_warning),
                    Some(consumer_lag_critical),
                    Some(consumer_lag_for_seconds),
                    Some(upload_throttled_percent),
                    Some(upload_error_percent),
                    Some(upload_p99_ms),
                    Some(upload_for_seconds),
                    Some(dead_letters_per_5m),
                    Some(instance_down_for_seconds),
                    Some(consumer_lag_max_seconds),
                    Some(broker_disk_used_percent),
                    Some(broker_cpu_percent),
                ) => Some(AlertsSpec {
                    consumer_lag_warning,
                    consumer_lag_critical,
                    consumer_lag_for_seconds,
                    upload_throttled_percent,
                    upload_error_percent,
                    upload_p99_ms,
                    upload_for_seconds,
                    dead_letters_per_5m,
                    instance_down_for_seconds,
                    consumer_lag_max_seconds,
                    broker_disk_used_percent,
                    broker_cpu_percent,
                }),
                _ => None,
            }
        }
    };

    let (
        Some(dau),
        (
            Some(version),
            Some(brokers),
            Some(zones),
            Some(broker_type),
            Some(ebs_volume_gib),
            Some(client_broker),
            Some(in_cluster),
            Some(enhanced_monitoring),
        ),
    ) = (dau, kafka)
    else {
        return Err(required.issues);
    };
    if !required.issues.is_empty() {
        return Err(required.issues);
    }

    Ok(Profile {
        schema_version: PROFILE_JSON_SCHEMA_VERSION,
        tier: tier.to_string(),
        dau,
        description: layer.description,
        india: false,
        kafka: KafkaSpec {
            version,
            brokers,
            zones,
            broker_type,
            ebs_volume_gib,
            encryption_in_transit: EncryptionInTransit { client_broker, in_cluster },
            enhanced_monitoring,
        },
        dead_letter,
        slo,
        alerts,
        topics,
        roles,
        india_excluded_topics,
        source: source.to_string(),
    })
}

/// The India switch: drops the excluded topics from the tier and from the
/// roles that consume them. Applied after validation, so the full layout is
/// always checked.
pub fn apply_india(mut profile: Profile) -> Profile {
    let excluded = profile.india_excluded_topics.clone();
    profile.topics.retain(|topic| !excluded.contains(&topic.name));

    for role in &mut profile.roles {
        role.topics.retain(|topic| !excluded.contains(topic));
    }
    profile.india = true;
    profile
}
