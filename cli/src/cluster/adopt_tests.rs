//! Adoption without AWS: the runbook's cluster and security group written
//! by hand, as `aws kafka create-cluster` and `authorize-security-group-ingress` leave them.

use std::collections::BTreeMap;

use super::actual::pick_groups;
use super::adopt::{adoption, topic_findings, Candidate};
use super::plan::{Action, ResourceKind, Step};
use super::target::Target;
use super::tests::{converged, empty, network, target, VPC};
use crate::aws::ec2::{IngressRule, RuleSource, SecurityGroup};
use crate::aws::msk::MskCluster;
use crate::naming::{MANAGED_BY, TAG_ENV, TAG_MANAGED_BY, TAG_NAME};
use crate::topics;

const RUNBOOK_SG: &str = "sg-runbook";

fn open(port: i32) -> IngressRule {
    IngressRule {
        protocol: "tcp".into(),
        from_port: Some(port),
        to_port: Some(port),
        source: RuleSource::Cidr("10.0.0.0/16".into()),
    }
}

/// The runbook's cluster: the tier's Kafka and encryption, another broker
/// size and disk, no configuration, no tags; its group opens 9092 and 2181.
fn runbook(target: &Target) -> Candidate {
    let template = converged(target).cluster.unwrap_or_else(|| panic!("converged has a cluster"));
    let cluster = MskCluster {
        arn: "arn:aws:kafka:us-east-1:1:cluster/mobileforge-sync-cluster/r".into(),
        name: "mobileforge-sync-cluster".into(),
        broker_type: Some("kafka.m5.large".into()),
        ebs_volume_gib: Some(50),
        security_groups: vec![RUNBOOK_SG.into()],
        configuration_arn: None,
        configuration_revision: None,
        tags: BTreeMap::new(),
        ..template
    };
    let group = SecurityGroup {
        id: RUNBOOK_SG.into(),
        name: "msk-security-group".into(),
        vpc_id: VPC.into(),
        tags: BTreeMap::new(),
        ingress: vec![open(2181), open(9092)],
    };
    Candidate { cluster, groups: vec![group] }
}

fn owned_by(env: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(TAG_ENV.into(), env.into()), (TAG_MANAGED_BY.into(), MANAGED_BY.into())])
}

#[test]
fn the_runbook_cluster_is_tagged_and_provision_would_revoke_9092_and_2181() {
    let target = target("50k");
    let adoption = adoption(&target, &empty(), &runbook(&target));
    assert!(adoption.refusals.is_empty(), "{:?}", adoption.refusals);
    assert!(adoption.pending() && !adoption.already_adopted);
    let tagged: Vec<(ResourceKind, &str)> = adoption.tags.iter().map(|t| (t.resource, t.id.as_str())).collect();
    assert_eq!(
        tagged,
        vec![(ResourceKind::Cluster, adoption.cluster_arn.as_str()), (ResourceKind::BrokerSecurityGroup, RUNBOOK_SG)]
    );
    // Exactly the tags provision sets, so the next plan has no tag changes.
    assert_eq!(adoption.tags[0].tags, target.cluster.tags);
    assert_eq!(adoption.tags[1].tags.get(TAG_NAME), Some(&target.broker_sg.name));

    let broker_sg = adoption.after.resource(ResourceKind::BrokerSecurityGroup).unwrap_or_else(|| panic!("no group"));
    assert_eq!(broker_sg.id.as_deref(), Some(RUNBOOK_SG));
    assert!(broker_sg.steps.contains(&Step::Revoke(vec![open(2181), open(9092)])), "{:?}", broker_sg.steps);
    let cluster = adoption.after.resource(ResourceKind::Cluster).unwrap_or_else(|| panic!("no cluster"));
    assert_eq!(cluster.name, "mobileforge-sync-cluster");
    assert!(cluster.steps.contains(&Step::BrokerType(target.cluster.broker_type.clone())));
    assert!(cluster.steps.contains(&Step::BrokerStorage(target.cluster.ebs_volume_gib)));
    assert!(cluster.steps.contains(&Step::Configuration));
    assert_eq!(
        adoption.after.resource(ResourceKind::ClientSecurityGroup).map(|r| r.action.clone()),
        Some(Action::Create)
    );

    let subjects: Vec<&str> = adoption.findings.iter().map(|f| f.subject.as_str()).collect();
    assert_eq!(subjects, vec!["ingress tcp/2181 from 10.0.0.0/16", "ingress tcp/9092 from 10.0.0.0/16"]);
    assert!(adoption.findings[0].detail.contains("ZooKeeper"));
    assert!(adoption.findings[1].detail.contains("plaintext"));
    assert!(adoption.findings.iter().all(|f| f.detail.contains("address range")));
}

#[test]
fn adoption_is_refused_when_someone_else_owns_it_or_the_environment_is_taken() {
    let target = target("50k");
    let mut foreign = runbook(&target);
    foreign.cluster.tags = owned_by("prod");
    let refusals = adoption(&target, &empty(), &foreign).refusals;
    assert!(refusals.iter().any(|r| r.contains("forgectl's for environment `prod`")), "{refusals:?}");

    let mut taken = empty();
    taken.cluster = converged(&target).cluster;
    let refused = adoption(&target, &taken, &runbook(&target));
    assert!(refused.refusals.iter().any(|r| r.contains("already has the cluster")), "{:?}", refused.refusals);
    assert!(!refused.pending(), "a refused adoption tags nothing");

    let mut two_groups = runbook(&target);
    two_groups.cluster.security_groups.push("sg-other".into());
    let refusals = adoption(&target, &empty(), &two_groups).refusals;
    assert!(refusals.iter().any(|r| r.contains("uses 2 security groups")), "{refusals:?}");
    assert!(refusals.iter().any(|r| r.contains("sg-other of cluster mobileforge-sync-cluster does not exist")));
}

#[test]
fn what_provision_would_refuse_afterwards_refuses_the_adoption() {
    let target = target("50k");
    let mut old = runbook(&target);
    old.cluster.kafka_version = Some("3.8.0".into());
    old.cluster.client_subnets = vec!["subnet-x".into(), "subnet-y".into(), "subnet-z".into()];
    let refusals = adoption(&target, &empty(), &old).refusals;
    assert!(refusals.iter().any(|r| r.contains("once adopted") && r.contains("Kafka 3.8.0")), "{refusals:?}");
    assert!(refusals.iter().any(|r| r.contains("client subnets")), "{refusals:?}");
    assert_eq!(network().subnets.len(), 3);
}

#[test]
fn an_adopted_cluster_has_nothing_left_to_tag() {
    let target = target("50k");
    let mut adopted = runbook(&target);
    adopted.cluster.tags = target.cluster.tags.clone();
    adopted.groups[0].tags = target.broker_sg.tags.clone();
    let mut actual = empty();
    actual.cluster = Some(adopted.cluster.clone());
    let adoption = adoption(&target, &actual, &adopted);
    assert!(adoption.already_adopted && adoption.tags.is_empty() && !adoption.pending());
    assert!(adoption.refusals.is_empty(), "{:?}", adoption.refusals);
}

#[test]
fn topic_findings_name_short_partitions_missing_dead_letters_and_retention() {
    let change = |topic: &str, field: &str, current: Option<&str>, desired: &str, action| topics::Change {
        topic: topic.into(),
        field: field.into(),
        current: current.map(str::to_string),
        desired: Some(desired.into()),
        action,
    };
    let plan = topics::Plan {
        changes: vec![
            change("sms_batched", "partitions", Some("2"), "8", topics::Action::IncreasePartitions),
            change("sms_batched", "config:retention.ms", Some("1800000"), "86400000", topics::Action::SetConfigs),
            change("sms_batched.dlq", "topic", None, "partitions=1 rf=3", topics::Action::Create),
            change("events_log", "partitions", Some("5"), "5", topics::Action::NoOp),
        ],
        warnings: vec![],
        live_brokers: 3,
    };
    let findings = topic_findings(&plan, Some(".dlq"));
    let text: Vec<String> = findings.iter().map(|f| format!("{}: {}", f.subject, f.detail)).collect();
    assert_eq!(
        text,
        vec![
            "topic sms_batched: 2 partitions, below the ladder's 8; provision raises them",
            "topic sms_batched: retention.ms is 1800000, the tier says 86400000; provision sets it",
            "topic sms_batched.dlq: dead-letter topic missing; provision creates it (partitions=1 rf=3)",
        ]
    );
}

#[test]
fn an_adopted_group_is_known_by_its_name_tag_and_the_attached_one_wins() {
    let target = target("50k");
    let mut adopted = runbook(&target).groups.remove(0);
    adopted.tags = target.broker_sg.tags.clone();
    let leftover = SecurityGroup {
        id: "sg-leftover".into(),
        name: target.broker_sg.name.clone(),
        vpc_id: VPC.into(),
        tags: target.broker_sg.tags.clone(),
        ingress: vec![],
    };
    let groups = vec![leftover.clone(), adopted.clone()];
    let attached = [RUNBOOK_SG.to_string()];
    let (_, broker) = pick_groups(groups.clone(), &target.names, Some(VPC), &attached);
    assert_eq!(broker.map(|g| g.id).as_deref(), Some(RUNBOOK_SG), "the cluster's own group");
    let (_, broker) = pick_groups(groups, &target.names, Some(VPC), &[]);
    assert_eq!(broker.map(|g| g.id).as_deref(), Some("sg-leftover"), "no cluster: the GroupName match");
    let (_, broker) = pick_groups(vec![adopted], &target.names, Some(VPC), &[]);
    assert_eq!(broker.map(|g| g.id).as_deref(), Some(RUNBOOK_SG), "found by its Name tag alone");
}
