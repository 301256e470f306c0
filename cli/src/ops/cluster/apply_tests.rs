//! The control plane's applier against the in-memory AWS: a plan from the
//! real planner, and the calls it turns into.

use std::time::Duration;

use super::Applier;
use crate::aws::ec2::Subnet;
use crate::aws::fake::FakeAws;
use crate::aws::msk::{ClientAuthState, MskCluster};
use crate::cluster::{plan, Actual, ControlPlaneError, Network, NetworkSource, Target};
use crate::config::test_support::load_environment;
use crate::ops::cluster::wait::Deadline;
use crate::profile::{load_tier, ProfileSource, ResolveOptions};
use crate::progress::Silent;

fn target() -> Target {
    let env = load_environment("environments:\n  t:\n    provider: aws\n    region: us-east-1\n");
    let profile =
        load_tier(&ProfileSource::Builtin, "25k", ResolveOptions::default()).unwrap_or_else(|err| panic!("{err}"));
    Target::new(&env, &profile).unwrap_or_else(|err| panic!("{err}"))
}

fn nothing_yet() -> Actual {
    let subnet = |id: &str, az: &str| Subnet {
        id: id.into(),
        vpc_id: "vpc-1".into(),
        availability_zone: az.into(),
        default_for_az: true,
    };
    Actual {
        network: Network {
            vpc_id: "vpc-1".into(),
            subnets: vec![subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1b")],
            source: NetworkSource::DefaultVpc,
        },
        client_sg: None,
        broker_sg: None,
        configuration: None,
        cluster: None,
        scram: Default::default(),
    }
}

/// What MSK reports once the new cluster is ACTIVE.
fn active(target: &Target) -> MskCluster {
    let spec = &target.cluster;
    MskCluster {
        arn: format!("arn:cluster/{}", spec.name),
        name: spec.name.clone(),
        state: "ACTIVE".into(),
        state_info: None,
        current_version: "K1".into(),
        active_operation_arn: None,
        kafka_version: Some(spec.kafka_version.clone()),
        broker_count: spec.broker_count,
        broker_type: Some(spec.broker_type.clone()),
        ebs_volume_gib: Some(spec.ebs_volume_gib),
        client_subnets: vec!["subnet-a".into(), "subnet-b".into()],
        security_groups: vec![format!("sg-{}", target.broker_sg.name)],
        client_broker: Some(spec.client_broker.clone()),
        in_cluster: Some(spec.in_cluster),
        kms_key_id: None,
        enhanced_monitoring: Some(spec.enhanced_monitoring.clone()),
        client_auth: ClientAuthState::default(),
        configuration_arn: None,
        configuration_revision: None,
        tags: spec.tags.clone(),
    }
}

async fn apply(aws: &FakeAws, target: &Target) -> Result<MskCluster, ControlPlaneError> {
    let actual = nothing_yet();
    let plan = plan(target, &actual);
    let applier = Applier { aws, progress: &Silent, target, deadline: Deadline::after(Duration::from_secs(5)) };
    applier.apply(&plan, &actual).await.map(|(_, cluster)| cluster)
}

#[tokio::test]
async fn a_new_environment_gets_groups_rules_configuration_then_the_cluster() {
    let target = target();
    let aws = FakeAws::default().with_cluster(active(&target));
    let cluster = apply(&aws, &target).await;
    assert!(cluster.is_ok(), "{cluster:?}");
    let client_sg = format!("sg-{}", target.client_sg.name);
    let broker_sg = format!("sg-{}", target.broker_sg.name);
    let name = &target.cluster.name;
    assert_eq!(
        aws.calls(),
        [
            format!("ec2:CreateSecurityGroup {}", target.client_sg.name),
            format!("ec2:CreateSecurityGroup {}", target.broker_sg.name),
            format!("ec2:AuthorizeSecurityGroupIngress {broker_sg} {:?} from {client_sg}", target.broker_ports),
            format!("kafka:CreateConfiguration {}", target.configuration.name),
            format!("kafka:CreateClusterV2 {name} {broker_sg}"),
            format!("kafka:DescribeClusterV2 arn:cluster/{name}"),
        ]
    );
}

#[tokio::test]
async fn a_failed_rule_stops_before_the_configuration_and_the_cluster() {
    let target = target();
    let aws = FakeAws::failing_on("ec2:AuthorizeSecurityGroupIngress").with_cluster(active(&target));
    let result = apply(&aws, &target).await;
    let error = result.err().map(|err| err.to_string()).unwrap_or_default();
    assert!(error.contains("ec2:AuthorizeSecurityGroupIngress"), "{error}");
    assert_eq!(
        aws.actions(),
        ["ec2:CreateSecurityGroup", "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress"]
    );
}
