//! The planner without AWS: targets from the built-in tiers, actual states
//! written by hand.

use super::actual::{configured_network, default_network, Actual, Network, NetworkSource};
use super::plan::{plan, Action, Plan, ResourceKind, Step};
use super::target::Target;
use crate::aws::ec2::{IngressRule, RuleSource, SecurityGroup, Subnet};
use crate::aws::msk::{ClientAuthState, MskCluster, StateInfo};
use crate::aws::msk_config::MskConfiguration;
use crate::config::test_support::load_environment;
use crate::config::{ClientAuth, ConfigError, Environment, Provider};
use crate::naming::{TAG_ENV, TAG_MANAGED_BY, TAG_TIER};
use crate::profile::{load_tier, ProfileSource, ResolveOptions};

pub(super) const VPC: &str = "vpc-1";
const CLIENT_SG: &str = "sg-client";
const BROKER_SG: &str = "sg-broker";
const CONFIG_ARN: &str = "arn:aws:kafka:us-east-1:1:configuration/forgectl-t/1";

/// Through the config loader, like the binary, so the test keeps compiling
/// when environments gain fields.
pub(super) fn environment() -> Environment {
    load_environment("environments:\n  t:\n    provider: aws\n    region: us-east-1\n    tags: {team: platform}\n")
}

pub(super) fn target(tier: &str) -> Target {
    target_for(&environment(), tier).unwrap_or_else(|err| panic!("{err}"))
}

fn target_for(env: &Environment, tier: &str) -> Result<Target, ConfigError> {
    let profile =
        load_tier(&ProfileSource::Builtin, tier, ResolveOptions::default()).unwrap_or_else(|err| panic!("{err}"));
    Target::new(env, &profile)
}

fn subnet(id: &str, az: &str) -> Subnet {
    Subnet { id: id.into(), vpc_id: VPC.into(), availability_zone: az.into(), default_for_az: true }
}

pub(super) fn network() -> Network {
    Network {
        vpc_id: VPC.into(),
        subnets: vec![
            subnet("subnet-a", "us-east-1a"),
            subnet("subnet-b", "us-east-1b"),
            subnet("subnet-c", "us-east-1c"),
        ],
        source: NetworkSource::DefaultVpc,
    }
}

pub(super) fn empty() -> Actual {
    Actual {
        network: network(),
        client_sg: None,
        broker_sg: None,
        configuration: None,
        cluster: None,
        scram: Default::default(),
    }
}

/// What a completed `provision --tier <tier>` leaves behind.
pub(super) fn converged(target: &Target) -> Actual {
    let tcp = |port: u16| IngressRule {
        protocol: "tcp".into(),
        from_port: Some(i32::from(port)),
        to_port: Some(i32::from(port)),
        source: RuleSource::Group(CLIENT_SG.into()),
    };
    let spec = &target.cluster;
    Actual {
        network: network(),
        client_sg: Some(SecurityGroup {
            id: CLIENT_SG.into(),
            name: target.client_sg.name.clone(),
            vpc_id: VPC.into(),
            tags: target.client_sg.tags.clone(),
            ingress: vec![],
        }),
        broker_sg: Some(SecurityGroup {
            id: BROKER_SG.into(),
            name: target.broker_sg.name.clone(),
            vpc_id: VPC.into(),
            tags: target.broker_sg.tags.clone(),
            ingress: target.broker_ports.iter().map(|p| tcp(*p)).collect(),
        }),
        configuration: Some(MskConfiguration {
            arn: CONFIG_ARN.into(),
            name: target.configuration.name.clone(),
            description: target.configuration.description.clone(),
            state: "ACTIVE".into(),
            kafka_versions: target.configuration.kafka_versions.clone(),
            latest_revision: 1,
            properties: target.configuration.properties.clone(),
        }),
        cluster: Some(MskCluster {
            arn: "arn:aws:kafka:us-east-1:1:cluster/forgectl-t/x".into(),
            name: spec.name.clone(),
            state: "ACTIVE".into(),
            state_info: None,
            current_version: "K1".into(),
            active_operation_arn: None,
            kafka_version: Some(spec.kafka_version.clone()),
            broker_count: spec.broker_count,
            broker_type: Some(spec.broker_type.clone()),
            ebs_volume_gib: Some(spec.ebs_volume_gib),
            client_subnets: network().subnet_ids(),
            security_groups: vec![BROKER_SG.into()],
            client_broker: Some(spec.client_broker.clone()),
            in_cluster: Some(spec.in_cluster),
            kms_key_id: Some("arn:aws:kms:us-east-1:1:key/aws-managed".into()),
            enhanced_monitoring: Some(spec.enhanced_monitoring.clone()),
            client_auth: ClientAuthState { unauthenticated: true, ..Default::default() },
            configuration_arn: Some(CONFIG_ARN.into()),
            configuration_revision: Some(1),
            tags: spec.tags.clone(),
        }),
        scram: Default::default(),
    }
}

fn action(plan: &Plan, kind: ResourceKind) -> Action {
    plan.resource(kind).map(|r| r.action.clone()).unwrap_or_else(|| panic!("no {kind:?} in plan"))
}

fn steps(plan: &Plan, kind: ResourceKind) -> Vec<Step> {
    plan.resource(kind).map(|r| r.steps.clone()).unwrap_or_default()
}

#[test]
fn empty_account_creates_everything_in_dependency_order() {
    let plan = plan(&target("50k"), &empty());
    let kinds: Vec<_> = plan.resources.iter().map(|r| (r.resource, r.action.as_str())).collect();
    assert_eq!(
        kinds,
        vec![
            (ResourceKind::Network, "no-op"),
            (ResourceKind::ClientSecurityGroup, "create"),
            (ResourceKind::BrokerSecurityGroup, "create"),
            (ResourceKind::Configuration, "create"),
            (ResourceKind::Cluster, "create"),
        ]
    );
    assert!(plan.pending && !plan.refused);
    assert!(plan.network.note.contains("default VPC vpc-1"), "{}", plan.network.note);
}

#[test]
fn converged_environment_plans_no_changes() {
    let target = target("50k");
    let plan = plan(&target, &converged(&target));
    assert!(!plan.pending, "{:#?}", plan.resources);
    assert!(plan.resources.iter().all(|r| r.action == Action::NoOp && r.steps.is_empty()));
}

#[test]
fn tls_by_default_opens_only_9094_from_the_client_group() {
    let target = target("50k");
    assert_eq!(target.broker_ports, vec![9094]);
    assert_eq!(target.cluster.client_broker, "TLS");
    assert_eq!(target.configuration.properties.get("auto.create.topics.enable").map(String::as_str), Some("false"));
    assert_eq!(target.configuration.properties.get("default.replication.factor").map(String::as_str), Some("3"));
    assert_eq!(target.configuration.properties.get("min.insync.replicas").map(String::as_str), Some("2"));
    assert_eq!(target.cluster.tags.get(TAG_TIER).map(String::as_str), Some("50k"));
    assert_eq!(target.cluster.tags.get(TAG_MANAGED_BY).map(String::as_str), Some("forgectl"));
    assert_eq!(target.cluster.tags.get("team").map(String::as_str), Some("platform"));
}

#[test]
fn open_world_rule_is_revoked_and_missing_port_added() {
    let target = target("50k");
    let mut actual = converged(&target);
    if let Some(group) = actual.broker_sg.as_mut() {
        group.ingress = vec![IngressRule {
            protocol: "tcp".into(),
            from_port: Some(9092),
            to_port: Some(9092),
            source: RuleSource::Cidr("0.0.0.0/0".into()),
        }];
    }
    let plan = plan(&target, &actual);
    let Action::Update { changes } = action(&plan, ResourceKind::BrokerSecurityGroup) else {
        panic!("expected update")
    };
    assert_eq!(changes.len(), 2);
    assert_eq!(
        steps(&plan, ResourceKind::BrokerSecurityGroup),
        vec![
            Step::Authorize(vec![9094]),
            Step::Revoke(vec![IngressRule {
                protocol: "tcp".into(),
                from_port: Some(9092),
                to_port: Some(9092),
                source: RuleSource::Cidr("0.0.0.0/0".into()),
            }])
        ]
    );
}

#[test]
fn growing_applies_count_then_storage_then_type() {
    let small = target("50k");
    let mut big = target("200k");
    big.cluster.broker_type = "kafka.m7g.xlarge".into();
    let plan = plan(&big, &converged(&small));
    assert!(!plan.refused, "{:?}", plan.refusals());
    let cluster_steps = steps(&plan, ResourceKind::Cluster);
    let order: Vec<_> = cluster_steps.iter().filter(|s| !matches!(s, Step::Tags(_))).cloned().collect();
    assert_eq!(
        order,
        vec![Step::BrokerCount(6), Step::BrokerStorage(200), Step::BrokerType("kafka.m7g.xlarge".into())]
    );
    let Action::Update { changes } = action(&plan, ResourceKind::Cluster) else { panic!("expected update") };
    assert!(changes.iter().any(|c| c.field == "brokers" && c.before == "3" && c.after == "6"));
    assert!(changes.iter().any(|c| c.field == format!("tag {TAG_TIER}") && c.after == "200k"));
}

#[test]
fn shrinking_is_refused_with_reasons() {
    let big = target("200k");
    let plan = plan(&target("50k"), &converged(&big));
    assert!(plan.refused);
    let Action::Refused { reason } = action(&plan, ResourceKind::Cluster) else { panic!("expected refusal") };
    assert!(reason.contains("from 6 to 3 brokers"), "{reason}");
    assert!(reason.contains("cannot shrink broker storage"), "{reason}");
    assert!(steps(&plan, ResourceKind::Cluster).is_empty());
}

#[test]
fn failed_cluster_is_refused_with_state_info() {
    let target = target("50k");
    let mut actual = converged(&target);
    if let Some(cluster) = actual.cluster.as_mut() {
        cluster.state = "FAILED".into();
        cluster.state_info =
            Some(StateInfo { code: Some("InsufficientCapacity".into()), message: Some("no m7g in use1-az3".into()) });
    }
    let Action::Refused { reason } = action(&plan(&target, &actual), ResourceKind::Cluster) else {
        panic!("expected refusal")
    };
    assert!(reason.contains("InsufficientCapacity: no m7g in use1-az3"), "{reason}");
    assert!(reason.contains("forgectl destroy"), "{reason}");
}

#[test]
fn creating_cluster_is_waited_for() {
    let target = target("50k");
    let mut actual = converged(&target);
    if let Some(cluster) = actual.cluster.as_mut() {
        cluster.state = "CREATING".into();
    }
    let plan = plan(&target, &actual);
    assert!(plan.pending);
    assert_eq!(steps(&plan, ResourceKind::Cluster), vec![Step::WaitActive]);
}

#[test]
fn foreign_cluster_with_our_name_is_refused() {
    let target = target("50k");
    let mut actual = converged(&target);
    if let Some(cluster) = actual.cluster.as_mut() {
        cluster.tags.remove(TAG_ENV);
    }
    assert!(matches!(action(&plan(&target, &actual), ResourceKind::Cluster), Action::Refused { .. }));
}

#[test]
fn changed_properties_make_a_new_revision_and_the_cluster_follows() {
    let target = target("50k");
    let mut actual = converged(&target);
    if let Some(configuration) = actual.configuration.as_mut() {
        configuration.properties.insert("min.insync.replicas".into(), "1".into());
    }
    let plan = plan(&target, &actual);
    assert_eq!(steps(&plan, ResourceKind::Configuration), vec![Step::NewRevision]);
    assert_eq!(steps(&plan, ResourceKind::Cluster), vec![Step::Configuration]);
}

#[test]
fn missing_client_group_recreates_it_and_rewires_broker_rules() {
    let target = target("50k");
    let mut actual = converged(&target);
    actual.client_sg = None;
    actual.cluster = None;
    let plan = plan(&target, &actual);
    assert_eq!(action(&plan, ResourceKind::ClientSecurityGroup), Action::Create);
    let broker = steps(&plan, ResourceKind::BrokerSecurityGroup);
    assert_eq!(broker.first(), Some(&Step::Authorize(vec![9094])));
    assert!(matches!(broker.get(1), Some(Step::Revoke(rules)) if rules.len() == 1));
}

#[test]
fn group_in_another_vpc_is_refused() {
    let target = target("50k");
    let mut actual = converged(&target);
    if let Some(group) = actual.client_sg.as_mut() {
        group.vpc_id = "vpc-old".into();
    }
    assert!(matches!(action(&plan(&target, &actual), ResourceKind::ClientSecurityGroup), Action::Refused { .. }));
}

#[test]
fn bad_environments_fail_before_any_aws_call() {
    let mut env = environment();
    env.subnets = vec!["subnet-a".into(), "subnet-b".into()];
    assert!(matches!(target_for(&env, "50k"), Err(ConfigError::Invalid { key, .. }) if key == "subnets"));
    let mut env = environment();
    env.vpc_id = Some("vpc-9".into());
    assert!(matches!(target_for(&env, "50k"), Err(ConfigError::Invalid { key, .. }) if key == "subnets"));
    let mut env = environment();
    env.provider = Provider::Local;
    assert!(matches!(target_for(&env, "50k"), Err(ConfigError::Invalid { key, .. }) if key == "provider"));
    let mut env = environment();
    env.tags.insert("forgectl:env".into(), "x".into());
    assert!(matches!(target_for(&env, "50k"), Err(ConfigError::Invalid { key, .. }) if key == "tags"));
    let mut env = environment();
    env.allow_plaintext = true;
    assert_eq!(target_for(&env, "50k").map(|t| t.broker_ports).ok(), Some(vec![9092, 9094]));
    env.client_auth = ClientAuth::Iam;
    assert!(target_for(&env, "50k").is_err());
}

#[test]
fn network_checks_say_which_subnet_is_wrong() {
    let requested = vec!["subnet-a".to_string(), "subnet-b".to_string(), "subnet-x".to_string()];
    let found = vec![subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1b")];
    let err = configured_network(&requested, None, found).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("subnet-x does not exist"), "{err}");

    let mut other = subnet("subnet-c", "us-east-1c");
    other.vpc_id = "vpc-2".into();
    let found = vec![subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1b"), other];
    let requested = vec!["subnet-a".to_string(), "subnet-b".to_string(), "subnet-c".to_string()];
    let err = configured_network(&requested, Some(VPC), found).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("subnet-c is in vpc-2, not in vpc-1"), "{err}");

    let found = vec![subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1a")];
    let requested = vec!["subnet-a".to_string(), "subnet-b".to_string()];
    let err = configured_network(&requested, None, found).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("both in us-east-1a"), "{err}");
}

#[test]
fn default_network_takes_one_subnet_per_az_in_az_order() {
    let found = vec![
        subnet("subnet-d", "us-east-1d"),
        subnet("subnet-b", "us-east-1b"),
        subnet("subnet-a", "us-east-1a"),
        subnet("subnet-c", "us-east-1c"),
    ];
    let network = default_network(found, 3).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(network.subnet_ids(), vec!["subnet-a", "subnet-b", "subnet-c"]);
    assert!(default_network(vec![subnet("subnet-a", "us-east-1a")], 3).is_err());
    assert!(default_network(vec![], 3).is_err());
}
