//! The emulated MSK cluster the MSK-backend tests share.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_kafka::types::{BrokerNodeGroupInfo, ProvisionedRequest};

/// The environment whose cluster the MSK tests use: the cluster is named
/// `forgectl-<env>` and tagged so forgectl's `find_cluster` finds it.
pub const MSK_TEST_ENV: &str = "topicstest";

pub fn aws_endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("AWS_ENDPOINT_URL is not set: run dev/stack up && eval \"$(dev/stack env)\""),
    }
}

/// One emulated MSK cluster for the whole test binary (clusters are only
/// metadata in the emulator; every one is backed by the same local Kafka).
pub fn msk_cluster_arn() -> String {
    static ARN: OnceLock<String> = OnceLock::new();
    ARN.get_or_init(|| {
        aws_endpoint();
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|err| panic!("{err}"));
        runtime.block_on(create_cluster())
    })
    .clone()
}

async fn create_cluster() -> String {
    let config =
        aws_config::defaults(BehaviorVersion::latest()).region(aws_config::Region::new("us-east-1")).load().await;
    let client = aws_sdk_kafka::Client::new(&config);
    let name = format!("forgectl-{MSK_TEST_ENV}");
    // Reuse one left by an earlier run (names are unique per region).
    let existing =
        client.list_clusters_v2().cluster_name_filter(&name).send().await.unwrap_or_else(|err| panic!("{err:?}"));
    let arn = match existing
        .cluster_info_list()
        .iter()
        .find(|c| c.cluster_name() == Some(name.as_str()))
        .and_then(|c| c.cluster_arn())
    {
        Some(arn) => arn.to_string(),
        None => {
            let nodes = BrokerNodeGroupInfo::builder()
                .set_client_subnets(Some(vec!["subnet-0a".into(), "subnet-0b".into(), "subnet-0c".into()]))
                .instance_type("kafka.m7g.large")
                .build();
            let provisioned = ProvisionedRequest::builder()
                .broker_node_group_info(nodes)
                .kafka_version("3.9.x")
                .number_of_broker_nodes(3)
                .build();
            let created = client
                .create_cluster_v2()
                .cluster_name(&name)
                .provisioned(provisioned)
                .tags("forgectl:env", MSK_TEST_ENV)
                .tags("forgectl:managed-by", "forgectl")
                .send()
                .await
                .unwrap_or_else(|err| panic!("create cluster: {err:?}"));
            created.cluster_arn().unwrap_or_else(|| panic!("no ARN")).to_string()
        }
    };
    for _ in 0..120 {
        let described =
            client.describe_cluster_v2().cluster_arn(&arn).send().await.unwrap_or_else(|err| panic!("{err:?}"));
        let state = described.cluster_info().and_then(|c| c.state()).map(|s| s.as_str().to_string());
        if state.as_deref() == Some("ACTIVE") {
            return arn;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("emulated cluster {arn} never became ACTIVE");
}
