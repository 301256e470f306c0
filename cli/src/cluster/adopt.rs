//! Adopting a cluster forgectl did not create (a runbook's): the tags that
//! make it and its security group the environment's, why adoption is
//! refused when it is, and what `provision` would change afterwards. Pure:
//! the plan after adoption is [`plan`] of the environment as it will look
//! once tagged, so `adopt` shows exactly what the next `forgectl plan` shows.

use std::collections::BTreeMap;

use serde::Serialize;

use super::actual::Actual;
use super::compare::tag_changes;
use super::plan::{plan, FieldChange, Plan, ResourceKind, Step};
use super::target::{Target, PORT_PLAINTEXT};
use crate::aws::ec2::{IngressRule, RuleSource, SecurityGroup};
use crate::aws::msk::MskCluster;
use crate::naming::{is_managed, TAG_ENV, TAG_MANAGED_BY};
use crate::topics;

/// ZooKeeper's client port, which the runbook opens (Apache ZooKeeper's default).
pub const PORT_ZOOKEEPER: i32 = 2181;

/// The cluster to adopt and the security groups MSK reports it uses.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub cluster: MskCluster,
    /// As EC2 describes them; a group the cluster names but EC2 does not
    /// know is missing here, and adoption is refused.
    pub groups: Vec<SecurityGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Adoption {
    pub env: String,
    pub tier: String,
    pub cluster_name: String,
    pub cluster_arn: String,
    /// The cluster is already the environment's: nothing to adopt.
    pub already_adopted: bool,
    /// What `adopt --yes` does: set these tags, nothing else.
    pub tags: Vec<TagStep>,
    /// Why adoption would not be safe; with any, nothing is tagged.
    pub refusals: Vec<String>,
    /// What differs from the tier, in words: rules, topics.
    pub findings: Vec<Finding>,
    /// What `provision` would do once the cluster is adopted.
    pub after: Plan,
}

impl Adoption {
    pub fn refused(&self) -> bool {
        !self.refusals.is_empty()
    }

    /// Something to tag: `--yes` would change AWS.
    pub fn pending(&self) -> bool {
        !self.refused() && !self.tags.is_empty()
    }
}

/// One resource to tag: which, the tags that change, and the tags to set.
#[derive(Debug, Clone, Serialize)]
pub struct TagStep {
    pub resource: ResourceKind,
    pub name: String,
    pub id: String,
    pub changes: Vec<FieldChange>,
    #[serde(skip)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub subject: String,
    pub detail: String,
}

/// Adopting `candidate` into the environment that `actual` describes (as
/// `plan` observes it: its network, its own groups, its configuration, and
/// its cluster if it has one).
pub fn adoption(target: &Target, actual: &Actual, candidate: &Candidate) -> Adoption {
    let cluster = &candidate.cluster;
    let mut refusals = ownership_refusals(target, actual, candidate);
    let group = candidate.groups.first();
    let tagged_group = group.map(|group| with_tags(group.clone(), &target.broker_sg.tags));
    let after_actual = Actual {
        cluster: Some(MskCluster { tags: merged(&cluster.tags, &target.cluster.tags), ..cluster.clone() }),
        broker_sg: tagged_group.or_else(|| actual.broker_sg.clone()),
        ..actual.clone()
    };
    let after = plan(target, &after_actual);
    refusals
        .extend(after.refusals().into_iter().map(|reason| format!("once adopted, provision would refuse: {reason}")));

    let mut tags = Vec::new();
    let (changes, set) = tag_changes(&target.cluster.tags, &cluster.tags);
    if !set.is_empty() {
        tags.push(TagStep {
            resource: ResourceKind::Cluster,
            name: cluster.name.clone(),
            id: cluster.arn.clone(),
            changes,
            tags: set,
        });
    }
    if let Some(group) = group {
        let (changes, set) = tag_changes(&target.broker_sg.tags, &group.tags);
        if !set.is_empty() {
            tags.push(TagStep {
                resource: ResourceKind::BrokerSecurityGroup,
                name: group.name.clone(),
                id: group.id.clone(),
                changes,
                tags: set,
            });
        }
    }
    let findings = rule_findings(&after);
    Adoption {
        env: target.env.clone(),
        tier: target.tier.clone(),
        cluster_name: cluster.name.clone(),
        cluster_arn: cluster.arn.clone(),
        already_adopted: is_managed(&cluster.tags, &target.env),
        tags,
        refusals,
        findings,
        after,
    }
}

/// Whose the cluster and its groups are now, and whether the environment
/// has room for them: one cluster and one broker group per environment.
fn ownership_refusals(target: &Target, actual: &Actual, candidate: &Candidate) -> Vec<String> {
    let env = &target.env;
    let cluster = &candidate.cluster;
    let mut refusals = Vec::new();
    if let Some(other) = foreign_owner(&cluster.tags, env) {
        refusals.push(format!("cluster {} is forgectl's for environment `{other}`", cluster.name));
    }
    if let Some(own) = actual.cluster.as_ref().filter(|own| own.arn != cluster.arn && is_managed(&own.tags, env)) {
        refusals.push(format!(
            "environment `{env}` already has the cluster {} ({}); one environment holds one cluster",
            own.name, own.arn
        ));
    }
    match cluster.security_groups.as_slice() {
        [] => refusals.push(format!("cluster {} reports no security groups", cluster.name)),
        [_] => {}
        many => refusals.push(format!(
            "cluster {} uses {} security groups ({}); forgectl manages exactly one broker group",
            cluster.name,
            many.len(),
            many.join(", ")
        )),
    }
    for id in &cluster.security_groups {
        match candidate.groups.iter().find(|group| &group.id == id) {
            None => refusals.push(format!("security group {id} of cluster {} does not exist", cluster.name)),
            Some(group) => {
                if let Some(other) = foreign_owner(&group.tags, env) {
                    refusals
                        .push(format!("security group {} ({id}) is forgectl's for environment `{other}`", group.name));
                }
            }
        }
    }
    refusals
}

/// The other environment a resource is tagged as forgectl's for, if any.
fn foreign_owner(tags: &BTreeMap<String, String>, env: &str) -> Option<String> {
    let owner = tags.get(TAG_ENV)?;
    (tags.get(TAG_MANAGED_BY).is_some() && owner != env).then(|| owner.clone())
}

fn merged(have: &BTreeMap<String, String>, wanted: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tags = have.clone();
    tags.extend(wanted.iter().map(|(key, value)| (key.clone(), value.clone())));
    tags
}

fn with_tags(group: SecurityGroup, wanted: &BTreeMap<String, String>) -> SecurityGroup {
    SecurityGroup { tags: merged(&group.tags, wanted), ..group }
}

/// Why each inbound rule `provision` would revoke matters.
fn rule_findings(after: &Plan) -> Vec<Finding> {
    let revoked = after
        .resource(ResourceKind::BrokerSecurityGroup)
        .into_iter()
        .flat_map(|resource| resource.steps.iter())
        .filter_map(|step| match step {
            Step::Revoke(rules) => Some(rules.iter()),
            _ => None,
        })
        .flatten();
    revoked.map(|rule| Finding { subject: format!("ingress {rule}"), detail: rule_detail(rule) }).collect()
}

fn rule_detail(rule: &IngressRule) -> String {
    let port = match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) if from == to => Some(from),
        _ => None,
    };
    let what = match port {
        Some(port) if port == i32::from(PORT_PLAINTEXT) => {
            "Kafka's plaintext listener: unencrypted and unauthenticated; forgectl opens it only with \
             `allow_plaintext: true`"
        }
        Some(PORT_ZOOKEEPER) => {
            "ZooKeeper: clients never need it (they use bootstrap.servers), and it bypasses Kafka's \
             authentication and ACLs"
        }
        _ if rule.protocol == "-1" || port.is_none() => "a port range, where forgectl opens single listener ports",
        _ => "a port that is not the listener of the environment's encryption and client auth",
    };
    let source = match &rule.source {
        RuleSource::Cidr(cidr) if cidr == "0.0.0.0/0" => "; open to the whole internet",
        RuleSource::Ipv6Cidr(cidr) if cidr == "::/0" => "; open to the whole internet",
        RuleSource::Cidr(_) | RuleSource::Ipv6Cidr(_) | RuleSource::PrefixList(_) => {
            "; open to an address range, where forgectl allows only its client security group"
        }
        RuleSource::Group(_) => "",
    };
    format!("{what}{source}; provision revokes it")
}

/// What the topic plan says about the cluster's topics, in the words of
/// adoption: partitions below the ladder, missing (dead-letter) topics,
/// configs that differ, and what cannot be changed.
pub fn topic_findings(plan: &topics::Plan, dead_letter_suffix: Option<&str>) -> Vec<Finding> {
    let value = |text: &Option<String>| text.clone().unwrap_or_else(|| "(unset)".into());
    plan.changes
        .iter()
        .filter_map(|change| {
            let detail = match &change.action {
                topics::Action::IncreasePartitions => format!(
                    "{} partitions, below the ladder's {}; provision raises them",
                    value(&change.current),
                    value(&change.desired)
                ),
                topics::Action::Create => {
                    let dead_letter = dead_letter_suffix.is_some_and(|suffix| change.topic.ends_with(suffix));
                    let kind = if dead_letter { "dead-letter topic" } else { "topic" };
                    format!("{kind} missing; provision creates it ({})", value(&change.desired))
                }
                topics::Action::SetConfigs => format!(
                    "{} is {}, the tier says {}; provision sets it",
                    change.field.trim_start_matches("config:"),
                    value(&change.current),
                    value(&change.desired)
                ),
                topics::Action::Refused { reason } => format!("{}: {reason}", change.field),
                topics::Action::NoOp | topics::Action::Unmanaged | topics::Action::Delete => return None,
            };
            Some(Finding { subject: format!("topic {}", change.topic), detail })
        })
        .collect()
}
