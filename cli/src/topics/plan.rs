//! Desired versus actual, as a pure function. No I/O: both backends read
//! the cluster into a [`ClusterState`], and this decides what to do per
//! topic and field. Everything `plan`, `sync` and `check` print comes from here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::kafka::is_internal_topic;
use crate::profile::TopicSpec;

/// What the cluster has, as far as topics go.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClusterState {
    pub topics: Vec<ActualTopic>,
    /// Brokers currently registered; new replicas can only go on these.
    pub live_brokers: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActualTopic {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u16,
    /// Topic-level overrides only (DYNAMIC_TOPIC_CONFIG). Broker defaults are
    /// left out on purpose: comparing them would report drift that is not there.
    pub overrides: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// The topic is missing and will be created.
    Create,
    /// Partitions will be raised to the desired count.
    IncreasePartitions,
    /// A declared config key differs and will be set (incrementally).
    SetConfigs,
    /// Already as desired.
    NoOp,
    /// A change forgectl will not make; the plan cannot be applied.
    Refused { reason: String },
    /// In the cluster but not in the profile; left alone.
    Unmanaged,
    /// Unmanaged and `--prune` was given: will be deleted.
    Delete,
}

impl Action {
    pub fn label(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::IncreasePartitions => "increase-partitions",
            Action::SetConfigs => "set-config",
            Action::NoOp => "no-op",
            Action::Refused { .. } => "refused",
            Action::Unmanaged => "unmanaged",
            Action::Delete => "delete",
        }
    }

    /// Whether applying the plan would send a write for this row.
    pub fn is_change(&self) -> bool {
        matches!(self, Action::Create | Action::IncreasePartitions | Action::SetConfigs | Action::Delete)
    }
}

/// One row: a topic, the field concerned, and what happens to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub topic: String,
    /// `topic`, `partitions`, `replication_factor` or `config:<key>`.
    pub field: String,
    pub current: Option<String>,
    pub desired: Option<String>,
    pub action: Action,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Things to know before applying (partition increases, RF limits).
    pub warnings: Vec<String>,
    pub live_brokers: u32,
}

#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Turn unmanaged topics into deletions.
    pub prune: bool,
    /// Only topics whose names start with this are considered at all (for
    /// clusters shared between deployments or tests).
    pub scope: Option<String>,
    /// Topics the India switch removed; reported as unmanaged with that reason.
    pub india_excluded: Vec<String>,
}

pub const FIELD_TOPIC: &str = "topic";
pub const FIELD_PARTITIONS: &str = "partitions";
pub const FIELD_REPLICATION_FACTOR: &str = "replication_factor";
pub const CONFIG_FIELD_PREFIX: &str = "config:";

const ORDERING_WARNING: &str = "keyed ordering is not preserved across a partition increase: a key may map to a \
     different partition afterwards, so drain consumers first if per-key order matters";

const REASSIGNMENT_OUT_OF_SCOPE: &str = "changing the replication factor needs a partition reassignment, which \
     forgectl does not do (out of scope); use kafka-reassign-partitions.sh or recreate the topic";

/// Compares `desired` with `actual`. Rows come out in the profile's topic
/// order, then unmanaged topics by name.
pub fn plan(desired: &[TopicSpec], actual: &ClusterState, options: &PlanOptions) -> Plan {
    let in_scope = |name: &str| options.scope.as_deref().is_none_or(|prefix| name.starts_with(prefix));
    let by_name: BTreeMap<&str, &ActualTopic> = actual.topics.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut out = Plan { live_brokers: actual.live_brokers, ..Plan::default() };

    for spec in desired.iter().filter(|spec| in_scope(&spec.name)) {
        match by_name.get(spec.name.as_str()) {
            None => plan_create(spec, actual.live_brokers, &mut out),
            Some(current) => plan_existing(spec, current, actual.live_brokers, &mut out),
        }
    }

    let mut unmanaged: Vec<&ActualTopic> = actual
        .topics
        .iter()
        .filter(|t| !is_internal_topic(&t.name) && in_scope(&t.name))
        .filter(|t| !desired.iter().any(|spec| spec.name == t.name))
        .collect();
    unmanaged.sort_by(|a, b| a.name.cmp(&b.name));
    for topic in unmanaged {
        if options.india_excluded.contains(&topic.name) && !options.prune {
            out.warnings.push(format!("{} exists but the India switch excludes it; left alone", topic.name));
        }
        out.changes.push(Change {
            topic: topic.name.clone(),
            field: FIELD_TOPIC.into(),
            current: Some(describe_actual(topic)),
            desired: None,
            action: if options.prune { Action::Delete } else { Action::Unmanaged },
        });
    }
    out
}

fn rf_exceeds_brokers(rf: u16, live_brokers: u32) -> Option<String> {
    (u32::from(rf) > live_brokers).then(|| {
        format!("replication factor {rf} is larger than the {live_brokers} live broker(s); new replicas would have nowhere to go")
    })
}

fn plan_create(spec: &TopicSpec, live_brokers: u32, out: &mut Plan) {
    let action = match rf_exceeds_brokers(spec.replication_factor, live_brokers) {
        Some(reason) => Action::Refused { reason },
        None => Action::Create,
    };
    out.changes.push(Change {
        topic: spec.name.clone(),
        field: FIELD_TOPIC.into(),
        current: None,
        desired: Some(describe_desired(spec)),
        action,
    });
}

fn plan_existing(spec: &TopicSpec, current: &ActualTopic, live_brokers: u32, out: &mut Plan) {
    let partitions_action = if spec.partitions == current.partitions {
        Action::NoOp
    } else if spec.partitions < current.partitions {
        Action::Refused {
            reason: format!(
                "Kafka cannot remove partitions ({} → {}); keep {} or recreate the topic (losing its data)",
                current.partitions, spec.partitions, current.partitions
            ),
        }
    } else if let Some(reason) = rf_exceeds_brokers(current.replication_factor, live_brokers) {
        Action::Refused { reason }
    } else {
        out.warnings.push(format!("{}: {ORDERING_WARNING}", spec.name));
        Action::IncreasePartitions
    };
    out.changes.push(Change {
        topic: spec.name.clone(),
        field: FIELD_PARTITIONS.into(),
        current: Some(current.partitions.to_string()),
        desired: Some(spec.partitions.to_string()),
        action: partitions_action,
    });

    let rf_action = if spec.replication_factor == current.replication_factor {
        Action::NoOp
    } else {
        Action::Refused { reason: REASSIGNMENT_OUT_OF_SCOPE.into() }
    };
    out.changes.push(Change {
        topic: spec.name.clone(),
        field: FIELD_REPLICATION_FACTOR.into(),
        current: Some(current.replication_factor.to_string()),
        desired: Some(spec.replication_factor.to_string()),
        action: rf_action,
    });

    // Only declared keys: an override someone else set on a key the profile
    // does not mention is theirs to keep.
    for (key, value) in &spec.configs {
        let actual = current.overrides.get(key);
        out.changes.push(Change {
            topic: spec.name.clone(),
            field: format!("{CONFIG_FIELD_PREFIX}{key}"),
            current: actual.cloned(),
            desired: Some(value.clone()),
            action: if actual == Some(value) { Action::NoOp } else { Action::SetConfigs },
        });
    }
}

fn describe_desired(spec: &TopicSpec) -> String {
    let mut text = format!("partitions={} rf={}", spec.partitions, spec.replication_factor);
    for (key, value) in &spec.configs {
        text.push_str(&format!(" {key}={value}"));
    }
    text
}

fn describe_actual(topic: &ActualTopic) -> String {
    format!("partitions={} rf={}", topic.partitions, topic.replication_factor)
}

impl Plan {
    pub fn refusals(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| matches!(c.action, Action::Refused { .. }))
    }

    pub fn has_refusals(&self) -> bool {
        self.refusals().next().is_some()
    }

    /// Drift: anything that is not as declared. Unmanaged topics are not
    /// drift (they are not ours); refusals are (the cluster differs).
    pub fn has_drift(&self) -> bool {
        self.changes.iter().any(|c| match c.action {
            Action::Create | Action::IncreasePartitions | Action::SetConfigs | Action::Refused { .. } => true,
            Action::NoOp | Action::Unmanaged | Action::Delete => false,
        })
    }

    pub fn count(&self, label: &str) -> usize {
        self.changes.iter().filter(|c| c.action.label() == label).count()
    }

    /// Topics to create, in profile order.
    pub fn creates<'a>(&self, desired: &'a [TopicSpec]) -> Vec<&'a TopicSpec> {
        desired
            .iter()
            .filter(|spec| self.changes.iter().any(|c| c.topic == spec.name && c.action == Action::Create))
            .collect()
    }

    /// (topic, new partition count) for every increase.
    pub fn partition_increases(&self) -> Vec<(String, u32)> {
        self.changes
            .iter()
            .filter(|c| c.action == Action::IncreasePartitions)
            .filter_map(|c| Some((c.topic.clone(), c.desired.as_deref()?.parse().ok()?)))
            .collect()
    }

    /// Per topic, only the declared keys that differ.
    pub fn config_changes(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for change in self.changes.iter().filter(|c| c.action == Action::SetConfigs) {
            if let (Some(key), Some(value)) = (change.field.strip_prefix(CONFIG_FIELD_PREFIX), &change.desired) {
                out.entry(change.topic.clone()).or_default().insert(key.to_string(), value.clone());
            }
        }
        out
    }

    pub fn deletions(&self) -> Vec<String> {
        self.changes.iter().filter(|c| c.action == Action::Delete).map(|c| c.topic.clone()).collect()
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
