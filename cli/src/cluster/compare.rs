//! Desired against actual, one resource at a time. Each function returns
//! the resource's plan: create, update (field by field), no-op or refused.

use std::collections::BTreeMap;

use super::actual::Actual;
use super::plan::{Action, FieldChange, ResourceKind, ResourcePlan, Step};
use super::target::{SecurityGroupSpec, Target};
use crate::aws::ec2::{IngressRule, RuleSource, SecurityGroup};
use crate::aws::msk::MskCluster;
use crate::naming::{is_managed, TAG_ENV};

/// Cluster states that end on their own in ACTIVE; provision waits them out.
const TRANSIENT_STATES: [&str; 5] = ["CREATING", "UPDATING", "REBOOTING_BROKER", "MAINTENANCE", "HEALING"];

fn resource(kind: ResourceKind, name: &str, id: Option<String>) -> ResourcePlan {
    ResourcePlan {
        resource: kind,
        name: name.to_string(),
        id,
        action: Action::NoOp,
        reason: String::new(),
        steps: vec![],
    }
}

fn refused(mut plan: ResourcePlan, reason: String) -> ResourcePlan {
    plan.reason = reason.clone();
    plan.action = Action::Refused { reason };
    plan.steps.clear();
    plan
}

fn finish(mut plan: ResourcePlan, changes: Vec<FieldChange>, steps: Vec<Step>, in_sync: &str) -> ResourcePlan {
    if changes.is_empty() {
        plan.reason = in_sync.to_string();
    } else {
        plan.reason = changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>().join(", ") + " differ";
        plan.action = Action::Update { changes };
        plan.steps = steps;
    }
    plan
}

/// The tags forgectl sets that are missing or different. Other tags are left.
pub(super) fn tag_changes(
    wanted: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> (Vec<FieldChange>, BTreeMap<String, String>) {
    let mut changes = Vec::new();
    let mut set = BTreeMap::new();
    for (key, value) in wanted {
        if have.get(key) != Some(value) {
            let before = have.get(key).map(String::as_str).unwrap_or("(unset)");
            changes.push(FieldChange::new(format!("tag {key}"), before, value));
            set.insert(key.clone(), value.clone());
        }
    }
    (changes, set)
}

/// A security group's plan so far: settled (create, refused), or to be
/// compared further with the changes found up to here.
enum GroupPlan {
    Settled(ResourcePlan),
    Compare(ResourcePlan, Vec<FieldChange>, Vec<Step>),
}

fn group_common(
    kind: ResourceKind,
    spec: &SecurityGroupSpec,
    actual: &Actual,
    group: Option<&SecurityGroup>,
) -> GroupPlan {
    let Some(group) = group else {
        let mut plan = resource(kind, &spec.name, None);
        plan.action = Action::Create;
        plan.reason = format!(
            "no security group {} tagged {TAG_ENV}={}",
            spec.name,
            spec.tags.get(TAG_ENV).map(String::as_str).unwrap_or("")
        );
        return GroupPlan::Settled(plan);
    };
    let plan = resource(kind, &spec.name, Some(group.id.clone()));
    if group.vpc_id != actual.network.vpc_id {
        return GroupPlan::Settled(refused(
            plan,
            format!(
                "{} is in {}, but the brokers' subnets are in {}; security groups cannot move between VPCs \
                 (destroy the environment, or point it back at {})",
                group.id, group.vpc_id, actual.network.vpc_id, group.vpc_id
            ),
        ));
    }
    let (changes, set) = tag_changes(&spec.tags, &group.tags);
    let steps = if set.is_empty() { vec![] } else { vec![Step::Tags(set)] };
    GroupPlan::Compare(plan, changes, steps)
}

pub fn client_sg(target: &Target, actual: &Actual) -> ResourcePlan {
    match group_common(ResourceKind::ClientSecurityGroup, &target.client_sg, actual, actual.client_sg.as_ref()) {
        GroupPlan::Settled(plan) => plan,
        GroupPlan::Compare(plan, changes, steps) => {
            finish(plan, changes, steps, "exists with forgectl's tags; clients need no inbound rules")
        }
    }
}

pub fn broker_sg(target: &Target, actual: &Actual) -> ResourcePlan {
    let client_id = actual.client_sg.as_ref().map(|group| group.id.as_str());
    let source = client_id.unwrap_or(target.client_sg.name.as_str()).to_string();
    let ports = target.broker_ports.iter().map(|p| format!("tcp/{p}")).collect::<Vec<_>>().join(", ");
    let (plan, mut changes, mut steps) =
        match group_common(ResourceKind::BrokerSecurityGroup, &target.broker_sg, actual, actual.broker_sg.as_ref()) {
            GroupPlan::Settled(mut plan) => {
                if plan.action == Action::Create {
                    plan.reason = format!("{}; will allow {ports} from {source} only", plan.reason);
                }
                return plan;
            }
            GroupPlan::Compare(plan, changes, steps) => (plan, changes, steps),
        };
    let Some(group) = actual.broker_sg.as_ref() else {
        return plan;
    };
    let wanted: Vec<IngressRule> = match client_id {
        Some(id) => target
            .broker_ports
            .iter()
            .map(|port| IngressRule {
                protocol: "tcp".into(),
                from_port: Some(i32::from(*port)),
                to_port: Some(i32::from(*port)),
                source: RuleSource::Group(id.to_string()),
            })
            .collect(),
        // The client group is about to be created: every current rule is stale.
        None => Vec::new(),
    };
    let missing: Vec<u16> = target
        .broker_ports
        .iter()
        .copied()
        .filter(|port| {
            let port = Some(i32::from(*port));
            !wanted.iter().any(|rule| rule.from_port == port && group.ingress.contains(rule))
        })
        .collect();
    let extra: Vec<IngressRule> = group.ingress.iter().filter(|rule| !wanted.contains(rule)).cloned().collect();
    for port in &missing {
        changes.push(FieldChange::new("ingress", "(none)", format!("tcp/{port} from {source}")));
    }
    for rule in &extra {
        changes.push(FieldChange::new("ingress", rule, "(removed)"));
    }
    // Open the new ports before closing old ones, so clients are never cut off.
    if !missing.is_empty() {
        steps.push(Step::Authorize(missing));
    }
    if !extra.is_empty() {
        steps.push(Step::Revoke(extra));
    }
    finish(plan, changes, steps, &format!("allows {ports} from {source} only"))
}

pub fn configuration(target: &Target, actual: &Actual) -> ResourcePlan {
    let spec = &target.configuration;
    let Some(found) = actual.configuration.as_ref() else {
        let mut plan = resource(ResourceKind::Configuration, &spec.name, None);
        plan.action = Action::Create;
        plan.reason = format!("no MSK configuration named {}", spec.name);
        return plan;
    };
    let plan = resource(ResourceKind::Configuration, &spec.name, Some(found.arn.clone()));
    if !found.description.contains(&spec.description) {
        return refused(
            plan,
            format!("a configuration named {} exists but forgectl did not create it for `{}`", spec.name, target.env),
        );
    }
    if found.state != "ACTIVE" {
        return refused(plan, format!("is {}; wait for it to finish, or destroy the environment", found.state));
    }
    if let Some(version) = spec.kafka_versions.iter().find(|v| !found.kafka_versions.contains(v)) {
        return refused(
            plan,
            format!(
                "supports Kafka {} but the tier runs {version}; MSK cannot change that",
                found.kafka_versions.join(", ")
            ),
        );
    }
    let mut changes = Vec::new();
    for (key, value) in &spec.properties {
        if found.properties.get(key) != Some(value) {
            let before = found.properties.get(key).map(String::as_str).unwrap_or("(unset)");
            changes.push(FieldChange::new(format!("server.properties {key}"), before, value));
        }
    }
    for (key, value) in found.properties.iter().filter(|(key, _)| !spec.properties.contains_key(*key)) {
        changes.push(FieldChange::new(format!("server.properties {key}"), value, "(unset)"));
    }
    let steps = if changes.is_empty() { vec![] } else { vec![Step::NewRevision] };
    let in_sync = format!("revision {} holds the tier's server properties", found.latest_revision);
    finish(plan, changes, steps, &in_sync)
}

/// Which configuration revision the cluster should run once the
/// configuration's own plan is applied; `None` while it is to be created.
fn wanted_revision(actual: &Actual, configuration: &ResourcePlan) -> Option<(String, i64)> {
    let found = actual.configuration.as_ref()?;
    match configuration.action {
        Action::Update { .. } => Some((found.arn.clone(), found.latest_revision + 1)),
        _ => Some((found.arn.clone(), found.latest_revision)),
    }
}

pub fn cluster(target: &Target, actual: &Actual, configuration: &ResourcePlan) -> ResourcePlan {
    let spec = &target.cluster;
    let Some(found) = actual.cluster.as_ref() else {
        let mut plan = resource(ResourceKind::Cluster, &spec.name, None);
        plan.action = Action::Create;
        plan.reason = format!(
            "no MSK cluster named {}: {} × {}, {} GiB each, Kafka {}, {} clients, {}",
            spec.name,
            spec.broker_count,
            spec.broker_type,
            spec.ebs_volume_gib,
            spec.kafka_version,
            spec.client_broker,
            spec.client_auth.as_str()
        );
        return plan;
    };
    // Its own name: an adopted cluster keeps the one it was created with.
    let plan = resource(ResourceKind::Cluster, &found.name, Some(found.arn.clone()));
    if !is_managed(&found.tags, &target.env) {
        return refused(
            plan,
            format!("a cluster named {} exists but is not tagged as forgectl's for `{}`", spec.name, target.env),
        );
    }
    match found.state.as_str() {
        "FAILED" => {
            let info = found.state_info.as_ref();
            let why = match (info.and_then(|i| i.code.as_deref()), info.and_then(|i| i.message.as_deref())) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (code, message) => code.or(message).unwrap_or("MSK gave no reason").to_string(),
            };
            return refused(plan, format!("is FAILED ({why}); recover with `forgectl destroy`, then provision again"));
        }
        "DELETING" => return refused(plan, "is being deleted; wait for that to finish, then re-run".into()),
        _ => {}
    }
    let immutable = immutable_differences(target, actual, found);
    if !immutable.is_empty() {
        return refused(plan, immutable.join("; "));
    }
    let mut changes = Vec::new();
    let mut steps = Vec::new();
    if TRANSIENT_STATES.contains(&found.state.as_str()) {
        changes.push(FieldChange::new("state", &found.state, "ACTIVE"));
        steps.push(Step::WaitActive);
    }
    // MSK applies one change at a time; this order grows capacity (brokers,
    // then disk) before moving to the new broker size.
    if spec.broker_count > found.broker_count {
        changes.push(FieldChange::new("brokers", found.broker_count, spec.broker_count));
        steps.push(Step::BrokerCount(spec.broker_count));
    }
    let storage = found.ebs_volume_gib.unwrap_or(0);
    if spec.ebs_volume_gib > storage {
        changes.push(FieldChange::new("ebs_volume_gib", storage, spec.ebs_volume_gib));
        steps.push(Step::BrokerStorage(spec.ebs_volume_gib));
    }
    let broker_type = found.broker_type.as_deref().unwrap_or("(unknown)");
    if spec.broker_type != broker_type {
        changes.push(FieldChange::new("broker_type", broker_type, &spec.broker_type));
        steps.push(Step::BrokerType(spec.broker_type.clone()));
    }
    match wanted_revision(actual, configuration) {
        Some((arn, revision))
            if found.configuration_arn.as_deref() != Some(arn.as_str())
                || found.configuration_revision != Some(revision) =>
        {
            let before = match (&found.configuration_arn, found.configuration_revision) {
                (Some(arn), Some(rev))
                    if Some(arn.as_str()) == actual.configuration.as_ref().map(|c| c.arn.as_str()) =>
                {
                    format!("revision {rev}")
                }
                (Some(_), Some(rev)) => format!("another configuration, revision {rev}"),
                _ => "MSK defaults".to_string(),
            };
            changes.push(FieldChange::new("configuration", before, format!("revision {revision}")));
            steps.push(Step::Configuration);
        }
        None => {
            changes.push(FieldChange::new("configuration", "(none)", "the new configuration"));
            steps.push(Step::Configuration);
        }
        _ => {}
    }
    let monitoring = found.enhanced_monitoring.as_deref().unwrap_or("DEFAULT");
    if spec.enhanced_monitoring != monitoring {
        changes.push(FieldChange::new("enhanced_monitoring", monitoring, &spec.enhanced_monitoring));
        steps.push(Step::Monitoring(spec.enhanced_monitoring.clone()));
    }
    let (tag_changes, set) = tag_changes(&spec.tags, &found.tags);
    if !set.is_empty() {
        changes.extend(tag_changes);
        steps.push(Step::Tags(set));
    }
    let in_sync = format!("{} and matches tier {}", found.state, target.tier);
    finish(plan, changes, steps, &in_sync)
}

/// What MSK cannot change in place, or what forgectl will not shrink.
fn immutable_differences(target: &Target, actual: &Actual, found: &MskCluster) -> Vec<String> {
    let spec = &target.cluster;
    let mut reasons = Vec::new();
    if spec.broker_count < found.broker_count {
        reasons.push(format!(
            "shrinking from {} to {} brokers: forgectl never removes brokers in place (their partitions would have to move first)",
            found.broker_count, spec.broker_count
        ));
    }
    if let Some(storage) = found.ebs_volume_gib.filter(|gib| spec.ebs_volume_gib < *gib) {
        reasons.push(format!(
            "shrinking EBS from {storage} to {} GiB per broker: MSK cannot shrink broker storage",
            spec.ebs_volume_gib
        ));
    }
    if found.kafka_version.as_deref() != Some(spec.kafka_version.as_str()) {
        reasons.push(format!(
            "Kafka {found} → {}: provision never changes a cluster's version (MSK cannot switch ZooKeeper and KRaft, and an upgrade is a rolling restart); keep it with `kafka.version: \"{found}\"` in the tier, or upgrade with `aws kafka update-cluster-kafka-version`",
            spec.kafka_version,
            found = found.kafka_version.as_deref().unwrap_or("(unknown)"),
        ));
    }
    let mut have_subnets = found.client_subnets.clone();
    have_subnets.sort();
    let mut want_subnets = actual.network.subnet_ids();
    want_subnets.sort();
    if have_subnets != want_subnets {
        reasons.push(format!(
            "client subnets {} → {}: MSK cannot move brokers to other subnets",
            have_subnets.join(","),
            want_subnets.join(",")
        ));
    }
    if let Some(group) = &actual.broker_sg {
        if !found.security_groups.contains(&group.id) {
            reasons.push(format!(
                "uses security groups {} rather than {}: MSK cannot change them",
                found.security_groups.join(","),
                group.id
            ));
        }
    } else {
        reasons.push("its broker security group is gone, and MSK cannot attach a new one".into());
    }
    if found.client_broker.as_deref() != Some(spec.client_broker.as_str()) || found.in_cluster != Some(spec.in_cluster)
    {
        reasons.push(format!(
            "encryption in transit {}/in-cluster {} → {}/in-cluster {}: not changed in place by forgectl",
            found.client_broker.as_deref().unwrap_or("(unknown)"),
            found.in_cluster.map(|b| b.to_string()).unwrap_or_else(|| "(unknown)".into()),
            spec.client_broker,
            spec.in_cluster
        ));
    }
    if let Some(key) = &spec.kms_key_arn {
        if found.kms_key_id.as_deref() != Some(key.as_str()) {
            reasons.push(format!(
                "encryption at rest uses {}, not {key}: MSK cannot change the key of an existing cluster",
                found.kms_key_id.as_deref().unwrap_or("the AWS-managed key")
            ));
        }
    }
    if found.client_auth.mode() != Some(spec.client_auth) {
        reasons.push(format!(
            "client authentication {} → {}: not changed in place by forgectl",
            found.client_auth.describe(),
            spec.client_auth.as_str()
        ));
    }
    reasons
}
