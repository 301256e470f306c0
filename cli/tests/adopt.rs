//! `adopt` and `profiles from-cluster` against the stack's emulator: a
//! cluster and security group made with plain SDK calls the way runbook
//! 000's CLI commands make them (9092 and 2181 open to a CIDR, no forgectl
//! tags), topics with fewer partitions than the ladder; then adoption,
//! the plan and provision that converge it, and destroy.
//! Needs `dev/stack up` and `eval "$(dev/stack env)"`.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use aws_sdk_kafka::types::{
    BrokerNodeGroupInfo, ClientBroker, EbsStorageInfo, EncryptionInTransit, EncryptionInfo, EnhancedMonitoring,
    StorageInfo,
};
use common::{assert_success, mutating, text, Aws, CpEnv};
use serde_json::Value;

const RUNBOOK_CIDR: &str = "10.0.0.0/16";

/// What the runbook created; deleted when dropped unless forgectl did
/// (a failed assertion must not leave it behind).
struct Runbook<'a> {
    aws: &'a Aws,
    arn: String,
    group_id: String,
}

impl Drop for Runbook<'_> {
    fn drop(&mut self) {
        let _ = self.aws.runtime.block_on(self.aws.kafka.delete_cluster().cluster_arn(&self.arn).send());
        let _ = self.aws.runtime.block_on(self.aws.ec2.delete_security_group().group_id(&self.group_id).send());
    }
}

/// The default VPC's subnets the way forgectl picks them: one per AZ, the
/// first three AZs by name (the tier spreads its brokers over three).
fn default_subnets(aws: &Aws) -> (String, Vec<String>) {
    let filter = Filter::builder().name("default-for-az").values("true").build();
    let output = aws.runtime.block_on(aws.ec2.describe_subnets().filters(filter).send());
    let output = output.unwrap_or_else(|err| panic!("DescribeSubnets: {err:?}"));
    let mut subnets: Vec<(String, String, String)> = output
        .subnets()
        .iter()
        .map(|s| {
            let field = |value: Option<&str>| value.unwrap_or_default().to_string();
            (field(s.availability_zone()), field(s.subnet_id()), field(s.vpc_id()))
        })
        .collect();
    subnets.sort();
    subnets.dedup_by(|a, b| a.0 == b.0);
    subnets.truncate(3);
    let vpc = subnets.first().map(|s| s.2.clone()).unwrap_or_else(|| panic!("no default VPC"));
    (vpc, subnets.into_iter().map(|s| s.1).collect())
}

/// `aws ec2 create-security-group`, two `authorize-security-group-ingress`,
/// `aws kafka create-cluster` (the tier's Kafka and encryption, half the
/// disk), and two `aws kafka create-topic` with 2 partitions and 30 minutes.
fn create_runbook_deployment<'a>(aws: &'a Aws, env: &CpEnv) -> Runbook<'a> {
    let (vpc, subnets) = default_subnets(aws);
    let group = aws.runtime.block_on(
        aws.ec2
            .create_security_group()
            .group_name(format!("msk-security-group-{}", env.name))
            .description("Security group for MSK cluster")
            .vpc_id(&vpc)
            .send(),
    );
    let group_id = group.unwrap_or_else(|err| panic!("{err:?}")).group_id().unwrap_or_default().to_string();
    for port in [9092, 2181] {
        let permission = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .ip_ranges(IpRange::builder().cidr_ip(RUNBOOK_CIDR).build())
            .build();
        let request = aws.ec2.authorize_security_group_ingress().group_id(&group_id).ip_permissions(permission);
        aws.runtime.block_on(request.send()).unwrap_or_else(|err| panic!("authorize {port}: {err:?}"));
    }
    let nodes = BrokerNodeGroupInfo::builder()
        .set_client_subnets(Some(subnets))
        .security_groups(&group_id)
        .instance_type("kafka.m7g.large")
        .storage_info(
            StorageInfo::builder().ebs_storage_info(EbsStorageInfo::builder().volume_size(50).build()).build(),
        )
        .build();
    let encryption = EncryptionInfo::builder()
        .encryption_in_transit(EncryptionInTransit::builder().client_broker(ClientBroker::Tls).in_cluster(true).build())
        .build();
    let created = aws.runtime.block_on(
        aws.kafka
            .create_cluster()
            .cluster_name(format!("mobileforge-sync-{}", env.name))
            // The runbook's `--kafka-version "3.8.0"`: MSK takes the line as 3.8.x.
            .kafka_version("3.8.x")
            .number_of_broker_nodes(3)
            .enhanced_monitoring(EnhancedMonitoring::PerBroker)
            .broker_node_group_info(nodes)
            .encryption_info(encryption)
            .send(),
    );
    let arn =
        created.unwrap_or_else(|err| panic!("CreateCluster: {err:?}")).cluster_arn().unwrap_or_default().to_string();
    let runbook = Runbook { aws, arn, group_id };
    wait_active(aws, &runbook.arn);
    let retention = BTreeMap::from([("retention.ms".to_string(), "1800000".to_string())]);
    for base in ["sms_batched", "events_log"] {
        let request = aws
            .kafka
            .create_topic()
            .cluster_arn(&runbook.arn)
            .topic_name(format!("{}{base}", env.topic_prefix))
            .partition_count(2)
            .replication_factor(3)
            .configs(forgectl::topics::encode_configs(&retention));
        aws.runtime.block_on(request.send()).unwrap_or_else(|err| panic!("CreateTopic {base}: {err:?}"));
    }
    runbook
}

/// What the user does after that refusal: the tier keeps the cluster's version.
fn pin_kafka_version(env: &CpEnv, version: &str) {
    let base = env.profiles.join("_base.yaml");
    let text = std::fs::read_to_string(&base).unwrap_or_else(|err| panic!("{}: {err}", base.display()));
    let default = format!("version: \"{}\"", forgectl::profile::MSK_KAFKA_VERSIONS.last().copied().unwrap_or_default());
    assert!(text.contains(&default), "{} has no `{default}`", base.display());
    let pinned = text.replace(&default, &format!("version: \"{version}\""));
    std::fs::write(&base, pinned).unwrap_or_else(|err| panic!("{}: {err}", base.display()));
}

fn wait_active(aws: &Aws, arn: &str) {
    for _ in 0..120 {
        let described = aws.runtime.block_on(aws.kafka.describe_cluster_v2().cluster_arn(arn).send());
        let described = described.unwrap_or_else(|err| panic!("{err:?}"));
        if described.cluster_info().and_then(|c| c.state()).map(|s| s.as_str()) == Some("ACTIVE") {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    panic!("cluster {arn} never became ACTIVE");
}

fn cluster_tags(aws: &Aws, arn: &str) -> BTreeMap<String, String> {
    let output = aws.runtime.block_on(aws.kafka.list_tags_for_resource().resource_arn(arn).send());
    output.unwrap_or_else(|err| panic!("{err:?}")).tags().cloned().unwrap_or_default().into_iter().collect()
}

fn group(aws: &Aws, id: &str) -> Option<aws_sdk_ec2::types::SecurityGroup> {
    let filter = Filter::builder().name("group-id").values(id).build();
    let output = aws.runtime.block_on(aws.ec2.describe_security_groups().filters(filter).send());
    output.unwrap_or_else(|err| panic!("{err:?}")).security_groups().first().cloned()
}

/// (port, source) of each inbound rule.
fn ingress(aws: &Aws, id: &str) -> Vec<(i32, String)> {
    let group = group(aws, id).unwrap_or_else(|| panic!("no group {id}"));
    let mut rules: Vec<(i32, String)> = group
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            let port = p.from_port().unwrap_or(-1);
            let groups =
                p.user_id_group_pairs().iter().filter_map(|g| g.group_id()).map(move |g| (port, g.to_string()));
            let cidrs = p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).map(move |c| (port, c.to_string()));
            groups.chain(cidrs).collect::<Vec<_>>()
        })
        .collect();
    rules.sort();
    rules
}

fn broker_group_changes(plan: &Value) -> Vec<(String, String)> {
    let resources = plan["resources"].as_array().cloned().unwrap_or_default();
    let group = resources.iter().find(|r| r["resource"] == "broker-security-group").cloned().unwrap_or_default();
    let changes = group["action"]["changes"].as_array().cloned().unwrap_or_default();
    changes
        .iter()
        .map(|c| (c["before"].as_str().unwrap_or("").into(), c["after"].as_str().unwrap_or("").into()))
        .collect()
}

#[test]
fn a_runbook_deployment_is_adopted_converged_captured_and_destroyed() {
    let aws = Aws::new();
    let mut env = CpEnv::new("adopt");
    let runbook = create_runbook_deployment(&aws, &env);
    let _ = env.take_calls();

    // The runbook's cluster runs 3.8 with ZooKeeper; the tiers default to 4.1
    // in KRaft mode, which MSK cannot switch a cluster to: adoption refuses
    // and says how to keep the cluster's version.
    let unpinned = env.run(&["adopt", "--cluster-arn", &runbook.arn]);
    assert_eq!(unpinned.status.code(), Some(2));
    let said = format!("{}{}", text(&unpinned.stdout), text(&unpinned.stderr));
    assert!(said.contains("kafka.version: \"3.8.x\""), "{said}");
    pin_kafka_version(&env, "3.8.x");

    // Without --yes and without a terminal: the plan, and nothing changed.
    let shown = env.run(&["adopt", "--cluster-arn", &runbook.arn]);
    let stdout = text(&shown.stdout);
    assert_eq!(shown.status.code(), Some(2), "{stdout}\n{}", text(&shown.stderr));
    for expected in [
        "tcp/9092 from 10.0.0.0/16",
        "tcp/2181 from 10.0.0.0/16",
        "ZooKeeper",
        "plaintext",
        "2 partitions, below the ladder's 8",
        "dead-letter topic missing",
        "retention.ms is 1800000",
        "ebs_volume_gib: 50 → 100",
    ] {
        assert!(stdout.contains(expected), "`{expected}` not in:\n{stdout}");
    }
    assert!(text(&shown.stderr).contains("--yes"), "{}", text(&shown.stderr));
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new());
    assert!(!cluster_tags(&aws, &runbook.arn).contains_key("forgectl:env"));
    assert!(group(&aws, &runbook.group_id).is_some_and(|g| g.tags().is_empty()));

    // --yes tags the cluster and its group, and only that.
    let adopted = env.json(&["adopt", "--cluster-arn", &runbook.arn, "--yes"]);
    assert_eq!(adopted["tagged"].as_array().map(Vec::len), Some(2), "{adopted}");
    assert_eq!(mutating(&env.take_calls()), vec!["TagResource", "CreateTags"]);
    assert_eq!(cluster_tags(&aws, &runbook.arn).get("forgectl:env"), Some(&env.name));
    let tags: BTreeMap<String, String> = group(&aws, &runbook.group_id)
        .map(|g| g.tags().iter().map(|t| (t.key().unwrap_or("").into(), t.value().unwrap_or("").into())).collect())
        .unwrap_or_default();
    assert_eq!(tags.get("forgectl:env"), Some(&env.name));

    // The environment's cluster is now found by its tags: the profile it runs.
    let profile = env.dir.path().join("runbook.yaml");
    let profile_arg = profile.to_string_lossy().to_string();
    let captured = env.json(&["profiles", "from-cluster", "--out", &profile_arg]);
    assert_eq!(captured["cluster_arn"], runbook.arn.as_str());
    let written = std::fs::read_to_string(&profile).unwrap_or_else(|err| panic!("{err}"));
    assert!(written.contains("retention.ms: '1800000'") || written.contains("retention.ms: \"1800000\""), "{written}");
    assert!(written.contains("ebs_volume_gib: 50"), "{written}");
    let validated = env.run(&["profiles", "validate", &profile_arg]);
    assert_success(&validated, &["profiles", "validate", &profile_arg]);

    // The plan revokes the runbook's rules; provision converges; then no change.
    let plan = env.json(&["plan"]);
    let changes = broker_group_changes(&plan);
    for rule in ["tcp/9092 from 10.0.0.0/16", "tcp/2181 from 10.0.0.0/16"] {
        assert!(changes.contains(&(rule.to_string(), "(removed)".to_string())), "{changes:?}");
    }
    assert_eq!(plan["pending"], true);
    env.json(&["provision", "--yes"]);
    let rules = ingress(&aws, &runbook.group_id);
    assert_eq!(rules.iter().map(|r| r.0).collect::<Vec<_>>(), vec![9094], "{rules:?}");
    assert!(rules.iter().all(|r| r.1.starts_with("sg-")), "only the client group: {rules:?}");
    let again = env.json(&["plan"]);
    assert_eq!(again["pending"], false, "{again}");
    let status = env.json(&["status"]);
    assert_eq!(status["cluster"]["arn"], runbook.arn.as_str(), "status finds the adopted cluster");
    assert_eq!(status["drift"]["pending"], false, "{status}");

    // Destroy removes what was adopted, like anything else of the environment.
    env.keep = true;
    assert_success(&env.destroy(), &["destroy"]);
    assert!(group(&aws, &runbook.group_id).is_none(), "the adopted group is deleted");
}
