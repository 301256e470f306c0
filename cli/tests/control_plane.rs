//! `plan`, `provision`, `status` and `destroy` against the local stack's AWS
//! emulator (dev/stack up; eval "$(dev/stack env)"). Each test has its own
//! environment, so they run in parallel; what AWS holds is checked with the
//! SDK directly, not through forgectl.

mod common;

use std::collections::BTreeMap;

use common::{mutating, text, Aws, CpEnv};
use serde_json::Value;

fn sg_ingress(group: &aws_sdk_ec2::types::SecurityGroup) -> Vec<(String, i32, i32, String)> {
    let mut rules = Vec::new();
    for permission in group.ip_permissions() {
        let protocol = permission.ip_protocol().unwrap_or_default().to_string();
        let (from, to) = (permission.from_port().unwrap_or(-1), permission.to_port().unwrap_or(-1));
        for pair in permission.user_id_group_pairs() {
            rules.push((protocol.clone(), from, to, pair.group_id().unwrap_or_default().to_string()));
        }
        for range in permission.ip_ranges() {
            rules.push((protocol.clone(), from, to, range.cidr_ip().unwrap_or_default().to_string()));
        }
        for range in permission.ipv6_ranges() {
            rules.push((protocol.clone(), from, to, range.cidr_ipv6().unwrap_or_default().to_string()));
        }
    }
    rules
}

/// Every security group tagged for the environment, by name.
fn tagged_groups(aws: &Aws, env: &str) -> BTreeMap<String, aws_sdk_ec2::types::SecurityGroup> {
    let filter = aws_sdk_ec2::types::Filter::builder().name("tag:forgectl:env").values(env).build();
    let output = aws
        .runtime
        .block_on(aws.ec2.describe_security_groups().filters(filter).send())
        .unwrap_or_else(|err| panic!("DescribeSecurityGroups: {err:?}"));
    output.security_groups().iter().map(|g| (g.group_name().unwrap_or_default().to_string(), g.clone())).collect()
}

fn cluster_named(aws: &Aws, name: &str) -> Option<aws_sdk_kafka::types::Cluster> {
    let output = aws
        .runtime
        .block_on(aws.kafka.list_clusters_v2().cluster_name_filter(name).send())
        .unwrap_or_else(|err| panic!("ListClustersV2: {err:?}"));
    output.cluster_info_list().iter().find(|c| c.cluster_name() == Some(name)).cloned()
}

fn configuration_named(aws: &Aws, name: &str) -> Option<aws_sdk_kafka::types::Configuration> {
    let output = aws
        .runtime
        .block_on(aws.kafka.list_configurations().max_results(100).send())
        .unwrap_or_else(|err| panic!("ListConfigurations: {err:?}"));
    output.configurations().iter().find(|c| c.name() == Some(name)).cloned()
}

#[test]
fn fresh_50k_provision_creates_every_resource_as_aws_reports_it() {
    let env = CpEnv::new("fresh");
    let aws = Aws::new();
    let report = env.provision("50k");
    let prefix = format!("forgectl-{}", env.name);

    // Security groups: clients take no inbound traffic; brokers take TLS
    // (9094) from the client group only, and nothing else.
    let groups = tagged_groups(&aws, &env.name);
    let client = groups.get(&format!("{prefix}-clients")).unwrap_or_else(|| panic!("no client SG in {groups:?}"));
    let broker = groups.get(&format!("{prefix}-brokers")).unwrap_or_else(|| panic!("no broker SG in {groups:?}"));
    assert!(sg_ingress(client).is_empty(), "client SG ingress: {:?}", sg_ingress(client));
    let client_id = client.group_id().unwrap_or_default().to_string();
    assert_eq!(sg_ingress(broker), vec![("tcp".to_string(), 9094, 9094, client_id.clone())]);
    for group in [client, broker] {
        let tags: BTreeMap<_, _> =
            group.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())).collect();
        assert_eq!(tags.get("forgectl:env"), Some(&env.name.as_str()));
        assert_eq!(tags.get("forgectl:managed-by"), Some(&"forgectl"));
        assert_eq!(tags.get("forgectl:tier"), Some(&"50k"));
    }

    // The cluster, as MSK describes it.
    let cluster = cluster_named(&aws, &prefix).unwrap_or_else(|| panic!("no cluster {prefix}"));
    assert_eq!(cluster.state().map(|s| s.as_str()), Some("ACTIVE"));
    let provisioned = cluster.provisioned().unwrap_or_else(|| panic!("not provisioned"));
    assert_eq!(provisioned.number_of_broker_nodes(), Some(3));
    let nodes = provisioned.broker_node_group_info().unwrap_or_else(|| panic!("no broker info"));
    assert_eq!(nodes.instance_type(), Some("kafka.m7g.large"));
    assert_eq!(nodes.storage_info().and_then(|s| s.ebs_storage_info()).and_then(|e| e.volume_size()), Some(100));
    assert_eq!(nodes.client_subnets().len(), 3);
    assert_eq!(nodes.security_groups(), [broker.group_id().unwrap_or_default().to_string()]);
    let encryption = provisioned.encryption_info().and_then(|e| e.encryption_in_transit());
    assert_eq!(encryption.and_then(|e| e.client_broker()).map(|c| c.as_str()), Some("TLS"));
    assert_eq!(encryption.and_then(|e| e.in_cluster()), Some(true));
    assert!(provisioned.encryption_info().and_then(|e| e.encryption_at_rest()).is_some(), "encryption at rest");
    assert_eq!(provisioned.enhanced_monitoring().map(|m| m.as_str()), Some("PER_BROKER"));
    assert_eq!(provisioned.current_broker_software_info().and_then(|s| s.kafka_version()), Some("4.1.x.kraft"));
    let tags = cluster.tags().cloned().unwrap_or_default();
    assert_eq!(tags.get("forgectl:env"), Some(&env.name));
    assert_eq!(tags.get("forgectl:managed-by").map(String::as_str), Some("forgectl"));
    assert_eq!(tags.get("forgectl:tier").map(String::as_str), Some("50k"));
    assert_eq!(tags.get("team").map(String::as_str), Some("platform"));

    // The configuration the cluster runs, and its properties.
    let configuration = configuration_named(&aws, &prefix).unwrap_or_else(|| panic!("no configuration {prefix}"));
    let software = provisioned.current_broker_software_info();
    assert_eq!(software.and_then(|s| s.configuration_arn()), configuration.arn());
    let revision = aws
        .runtime
        .block_on(
            aws.kafka
                .describe_configuration_revision()
                .arn(configuration.arn().unwrap_or_default())
                .revision(software.and_then(|s| s.configuration_revision()).unwrap_or(1))
                .send(),
        )
        .unwrap_or_else(|err| panic!("DescribeConfigurationRevision: {err:?}"));
    let properties =
        String::from_utf8_lossy(revision.server_properties().map(|b| b.as_ref()).unwrap_or_default()).into_owned();
    for line in ["auto.create.topics.enable=false", "default.replication.factor=3", "min.insync.replicas=2"] {
        assert!(properties.lines().any(|l| l.trim() == line), "{line} missing from {properties}");
    }

    // The report names the bootstrap brokers for the auth mode (TLS).
    assert_eq!(report["client_auth"], "unauthenticated");
    let tls = report["bootstrap_brokers"].as_str().unwrap_or_default();
    assert!(tls.contains(":2919"), "TLS bootstrap brokers expected, got {tls}");
}

#[test]
fn converged_environment_plans_nothing_and_provision_makes_no_mutating_call() {
    let env = CpEnv::new("noop");
    env.provision("50k");
    env.take_calls();

    let plan = env.run(&["plan", "--tier", "50k", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "plan:\n{}\n{}", text(&plan.stdout), text(&plan.stderr));
    let calls = env.take_calls();
    assert!(mutating(&calls).is_empty(), "plan mutated: {calls:?}");
    // At most one call per resource (network, 2 SGs, configuration, cluster).
    assert!(calls.len() <= 5, "plan made {} calls: {calls:?}", calls.len());

    let report = env.provision("50k");
    let calls = env.take_calls();
    assert_eq!(mutating(&calls), Vec::<String>::new(), "second provision mutated: {calls:?}");
    assert_eq!(report["applied"], Value::Array(vec![]));
    assert_eq!(report["plan"]["pending"], false);
}

#[test]
fn growing_tiers_update_in_place_in_order_and_shrinking_is_refused() {
    let env = CpEnv::new("grow");
    let aws = Aws::new();
    let prefix = format!("forgectl-{}", env.name);
    env.provision("50k");
    let arn = cluster_named(&aws, &prefix).and_then(|c| c.cluster_arn().map(str::to_string));

    // 50k → 100k: three more brokers, one per AZ.
    let plan = env.json(&["plan", "--tier", "100k"]);
    let cluster = plan["resources"].as_array().and_then(|r| r.iter().find(|r| r["resource"] == "cluster")).cloned();
    let changes = cluster.as_ref().map(|c| c["action"]["changes"].clone()).unwrap_or_default();
    assert!(
        changes
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["field"] == "brokers" && c["before"] == "3" && c["after"] == "6")),
        "{changes}"
    );
    env.take_calls();
    env.provision("100k");
    let calls = env.take_calls();
    let updates: Vec<String> = mutating(&calls).into_iter().filter(|op| op.starts_with("Update")).collect();
    assert_eq!(updates, vec!["UpdateBrokerCount"]);
    assert!(calls.iter().any(|c| c.operation == "DescribeClusterOperation"), "operation not followed: {calls:?}");

    // 100k → mega (bigger disks, bigger brokers): storage first, then type,
    // each followed to completion before the next.
    env.provision("mega");
    let calls = env.take_calls();
    let sequence: Vec<&str> = calls
        .iter()
        .map(|c| c.operation.as_str())
        .filter(|op| op.starts_with("UpdateBroker") || *op == "DescribeClusterOperation")
        .collect();
    let storage = sequence.iter().position(|op| *op == "UpdateBrokerStorage");
    let broker_type = sequence.iter().position(|op| *op == "UpdateBrokerType");
    assert!(matches!((storage, broker_type), (Some(s), Some(t)) if s < t), "order: {sequence:?}");
    assert!(
        storage.is_some_and(|s| sequence.get(s + 1) == Some(&"DescribeClusterOperation")),
        "storage update not followed: {sequence:?}"
    );
    let cluster = cluster_named(&aws, &prefix).unwrap_or_else(|| panic!("cluster gone"));
    assert_eq!(cluster.cluster_arn().map(str::to_string), arn, "the cluster was replaced, not updated");
    let provisioned = cluster.provisioned().unwrap_or_else(|| panic!("not provisioned"));
    let nodes = provisioned.broker_node_group_info().unwrap_or_else(|| panic!("no broker info"));
    assert_eq!(provisioned.number_of_broker_nodes(), Some(6));
    assert_eq!(nodes.instance_type(), Some("kafka.m7g.xlarge"));
    assert_eq!(nodes.storage_info().and_then(|s| s.ebs_storage_info()).and_then(|e| e.volume_size()), Some(200));

    // Back to 50k: refused at plan time, and provision changes nothing.
    let plan = env.run(&["plan", "--tier", "50k", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan.stderr));
    let out = text(&plan.stdout);
    assert!(out.contains("refused") && out.contains("from 6 to 3 brokers") && out.contains("cannot shrink"), "{out}");
    env.take_calls();
    let provision = env.run(&["provision", "--tier", "50k", "--yes", "--skip-topics"]);
    assert_eq!(provision.status.code(), Some(2), "{}", text(&provision.stderr));
    assert!(text(&provision.stderr).contains("refuses"), "{}", text(&provision.stderr));
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new());
}

#[test]
fn destroy_leaves_nothing_tagged_and_running_it_twice_is_fine() {
    let mut env = CpEnv::new("gone");
    let aws = Aws::new();
    let prefix = format!("forgectl-{}", env.name);
    env.provision("50k");
    env.keep = true;

    let report = env.json(&["destroy", "--yes", "--confirm", &env.name]);
    let deleted: Vec<&str> = report["deleted"]
        .as_array()
        .map(|d| d.iter().filter_map(|r| r["resource"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(deleted, vec!["cluster", "configuration", "broker-security-group", "client-security-group"]);
    assert!(tagged_groups(&aws, &env.name).is_empty());
    assert!(cluster_named(&aws, &prefix).is_none());
    assert!(configuration_named(&aws, &prefix).is_none());

    let again = env.json(&["destroy", "--yes", "--confirm", &env.name]);
    assert_eq!(again["deleted"], Value::Array(vec![]));
}

#[test]
fn status_shows_the_cluster_brokers_groups_and_drift() {
    let env = CpEnv::new("stat");
    env.provision("50k");
    let status = env.json(&["status"]);
    assert_eq!(status["cluster"]["state"], "ACTIVE");
    assert_eq!(status["cluster"]["broker_count"], 3);
    assert!(status["bootstrap_brokers"]["tls"].as_str().is_some_and(|b| !b.is_empty()), "{status}");
    assert_eq!(status["security_groups"].as_array().map(Vec::len), Some(2));
    assert_eq!(status["drift"]["pending"], false);
    let drift = env.json(&["status", "--tier", "100k"]);
    assert_eq!(drift["drift"]["pending"], true);
    let table = env.run(&["status"]);
    let out = text(&table.stdout);
    assert!(out.contains("no drift from tier 50k") && out.contains("tcp/9094 from sg-"), "{out}");
}

#[test]
fn provision_syncs_the_topics_on_the_cluster_it_found_without_asking_for_it_again() {
    let env = CpEnv::new("topics");
    env.take_calls();
    let report = env.json(&["provision", "--tier", "50k", "--yes"]);
    assert!(report["topics"].as_str().is_some_and(|summary| summary.contains("via")), "{report}");
    let calls = env.take_calls();
    let brokers = calls.iter().filter(|call| call.operation == "GetBootstrapBrokers").count();
    assert_eq!(brokers, 1, "the brokers were asked for again: {calls:?}");
}
