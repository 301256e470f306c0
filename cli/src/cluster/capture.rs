//! A tier profile written from a live cluster (`profiles from-cluster`):
//! the brokers, their type, disk, Kafka version and encryption as MSK
//! reports them, and the tier's topics as the brokers hold them; the rest
//! (ladder, dead letters, SLOs, alerts) from the tier it is compared with.
//! Self-contained (no `extends`), so it validates wherever it is written.
//! Pure: the caller reads the cluster and its topics.

use serde_norway::{Mapping, Value};

use super::error::ControlPlaneError;
use crate::aws::msk::MskCluster;
use crate::profile::{ClientBroker, EnhancedMonitoring, Profile, RoleSpec, TopicSpec};
use crate::topics::ClusterState;

#[derive(Debug, Clone)]
pub struct Captured {
    pub yaml: String,
    /// Where the file departs from what was read, and why.
    pub notes: Vec<String>,
}

fn map<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Mapping(pairs.into_iter().map(|(key, value)| (Value::from(key), value)).collect::<Mapping>())
}

fn text(value: &str) -> Value {
    Value::from(value)
}

/// `tier` is the environment's tier profile, resolved without the India switch.
pub fn capture(cluster: &MskCluster, state: &ClusterState, tier: &Profile) -> Result<Captured, ControlPlaneError> {
    let unreadable = |field: &str, why: &str| ControlPlaneError::Unreadable {
        cluster: cluster.arn.clone(),
        field: field.to_string(),
        why: why.to_string(),
    };
    let missing = |field: &str| unreadable(field, "is not reported (is the cluster still CREATING?)");
    let version = cluster.kafka_version.clone().ok_or_else(|| missing("CurrentBrokerSoftwareInfo.KafkaVersion"))?;
    let broker_type = cluster.broker_type.clone().ok_or_else(|| missing("BrokerNodeGroupInfo.InstanceType"))?;
    let ebs = cluster.ebs_volume_gib.ok_or_else(|| missing("BrokerNodeGroupInfo.StorageInfo"))?;
    let client_broker = match cluster.client_broker.as_deref() {
        Some("TLS") => ClientBroker::Tls,
        Some("TLS_PLAINTEXT") => ClientBroker::TlsPlaintext,
        Some("PLAINTEXT") => ClientBroker::Plaintext,
        Some(other) => return Err(unreadable("EncryptionInTransit.ClientBroker", &format!("is `{other}`"))),
        None => return Err(missing("EncryptionInTransit.ClientBroker")),
    };
    let monitoring = match cluster.enhanced_monitoring.as_deref().unwrap_or("DEFAULT") {
        "DEFAULT" => EnhancedMonitoring::Default,
        "PER_BROKER" => EnhancedMonitoring::PerBroker,
        "PER_TOPIC_PER_BROKER" => EnhancedMonitoring::PerTopicPerBroker,
        "PER_TOPIC_PER_PARTITION" => EnhancedMonitoring::PerTopicPerPartition,
        other => return Err(unreadable("EnhancedMonitoring", &format!("is `{other}`"))),
    };
    let zones = u32::try_from(cluster.client_subnets.len()).unwrap_or(u32::MAX);
    let kafka = map([
        ("version", text(&version)),
        ("brokers", Value::from(cluster.broker_count)),
        ("zones", Value::from(zones)),
        ("broker_type", text(&broker_type)),
        ("ebs_volume_gib", Value::from(ebs)),
        (
            "encryption_in_transit",
            map([
                ("client_broker", text(client_broker.as_str())),
                ("in_cluster", Value::from(cluster.in_cluster.unwrap_or(true))),
            ]),
        ),
        ("enhanced_monitoring", text(monitoring.as_str())),
    ]);

    let mut notes = Vec::new();
    let topics: Vec<TopicSpec> = tier.topics.iter().map(|spec| live_topic(spec, state, &mut notes)).collect();
    let mut topic_map = Mapping::new();
    for topic in &topics {
        let configs: Mapping = topic.configs.iter().map(|(k, v)| (text(k), text(v))).collect();
        topic_map.insert(
            text(&topic.name),
            map([
                ("partitions", Value::from(topic.partitions)),
                ("replication_factor", Value::from(topic.replication_factor)),
                ("configs", Value::Mapping(configs)),
            ]),
        );
    }
    let mut roles = Mapping::new();
    for role in &tier.roles {
        roles.insert(text(role.name.as_str()), role_value(role, &topics, &mut notes));
    }
    let mut profile = Mapping::new();
    profile.insert(text("dau"), Value::from(tier.dau));
    profile.insert(text("description"), text(&format!("read from MSK cluster {} by forgectl", cluster.name)));
    profile.insert(text("kafka"), kafka);
    profile.insert(text("topics"), Value::Mapping(topic_map));
    profile.insert(text("roles"), Value::Mapping(roles));
    if !tier.india_excluded_topics.is_empty() {
        let excluded = tier.india_excluded_topics.iter().map(|t| text(t)).collect();
        profile.insert(text("india"), map([("excluded_topics", Value::Sequence(excluded))]));
    }
    if let Some(dead_letter) = &tier.dead_letter {
        profile.insert(text("dead_letter"), serialized(dead_letter, &cluster.arn)?);
    }
    if let Some(slo) = &tier.slo {
        profile.insert(text("slo"), serialized(slo, &cluster.arn)?);
    }
    if let Some(alerts) = &tier.alerts {
        profile.insert(text("alerts"), serialized(alerts, &cluster.arn)?);
    }
    let body = serde_norway::to_string(&Value::Mapping(profile)).map_err(|err| ControlPlaneError::Unreadable {
        cluster: cluster.arn.clone(),
        field: "profile".into(),
        why: format!("cannot be written as YAML: {err}"),
    })?;
    let mut yaml = format!(
        "# Written by `forgectl profiles from-cluster` from MSK cluster {} ({}).\n\
         # kafka: and the topics' partitions, replication and configs are the cluster's;\n\
         # the ladder, dead letters, SLOs and alerts are tier {}'s.\n",
        cluster.name, cluster.arn, tier.tier
    );
    yaml.extend(notes.iter().map(|note| format!("# - {note}\n")));
    yaml.push_str(&body);
    Ok(Captured { yaml, notes })
}

/// The topic as the brokers hold it: partitions, replication, and the
/// values of the config keys the tier manages. A key the topic does not
/// override keeps the tier's value, said so in a note.
fn live_topic(spec: &TopicSpec, state: &ClusterState, notes: &mut Vec<String>) -> TopicSpec {
    let Some(live) = state.topics.iter().find(|topic| topic.name == spec.name) else {
        notes.push(format!("{} is not on the cluster: the tier's layout", spec.name));
        return spec.clone();
    };
    let mut configs = spec.configs.clone();
    for (key, value) in configs.iter_mut() {
        match live.overrides.get(key) {
            Some(live_value) => value.clone_from(live_value),
            None => notes.push(format!("{}: {key} is not set on the topic: the tier's {value}", spec.name)),
        }
    }
    TopicSpec {
        name: spec.name.clone(),
        partitions: live.partitions,
        replication_factor: live.replication_factor,
        configs,
    }
}

/// The tier's rung, except that a consumer group cannot use more instances
/// than its topics have partitions: `max` (and `min`) are capped there, so
/// the profile holds and says what the cluster can serve today.
fn role_value(role: &RoleSpec, topics: &[TopicSpec], notes: &mut Vec<String>) -> Value {
    let partitions = role
        .topics
        .iter()
        .filter_map(|name| topics.iter().find(|topic| &topic.name == name))
        .map(|topic| topic.partitions)
        .min();
    let max = match partitions {
        Some(partitions) if role.name.is_consumer() && partitions < role.max => {
            notes.push(format!(
                "{}: max {} capped at {partitions}, the partitions of its topics",
                role.name.as_str(),
                role.max
            ));
            partitions
        }
        _ => role.max,
    };
    let mut value = Mapping::new();
    value.insert(text("min"), Value::from(role.min.min(max)));
    value.insert(text("max"), Value::from(max));
    if let Some(group) = &role.group {
        value.insert(text("group"), text(group));
    }
    if role.name.is_consumer() {
        value.insert(text("topics"), Value::Sequence(role.topics.iter().map(|t| text(t)).collect()));
    }
    if let Some(lag) = role.lag_per_instance {
        value.insert(text("lag_per_instance"), Value::from(lag));
    }
    value.insert(
        text("instance_types"),
        map([("dev", text(&role.instance_types.dev)), ("production", text(&role.instance_types.production))]),
    );
    Value::Mapping(value)
}

fn serialized<T: serde::Serialize>(value: &T, arn: &str) -> Result<Value, ControlPlaneError> {
    serde_norway::to_value(value).map_err(|err| ControlPlaneError::Unreadable {
        cluster: arn.to_string(),
        field: "profile".into(),
        why: format!("cannot be written as YAML: {err}"),
    })
}
