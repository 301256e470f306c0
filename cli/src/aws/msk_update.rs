//! In-place changes to an MSK cluster and the operations that carry them
//! out. Every change sends the cluster's CurrentVersion (MSK's optimistic
//! lock) and returns the cluster operation's ARN, which the caller follows.

use std::collections::BTreeMap;

use aws_sdk_kafka::types::{BrokerEbsVolumeInfo, ConfigurationInfo, EnhancedMonitoring};
use aws_sdk_kafka::Client;

use super::call::Call;
use super::error::AwsError;
use super::msk::{resource, to_i32, MskCluster, OperationStatus};

/// UpdateBrokerCount; returns the cluster operation's ARN.
pub async fn update_broker_count(client: &Client, cluster: &MskCluster, target: u32) -> Result<String, AwsError> {
    let call = Call::new("kafka:UpdateBrokerCount", resource(&cluster.name));
    let request = client
        .update_broker_count()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .target_number_of_broker_nodes(to_i32(target))
        .send();
    let output = call.send(request).await?;
    call.required_str(output.cluster_operation_arn(), "ClusterOperationArn")
}

/// UpdateBrokerStorage for every broker at once (`All`).
pub async fn update_broker_storage(client: &Client, cluster: &MskCluster, gib: u32) -> Result<String, AwsError> {
    let call = Call::new("kafka:UpdateBrokerStorage", resource(&cluster.name));
    let volume = BrokerEbsVolumeInfo::builder().kafka_broker_node_id("All").volume_size_gb(to_i32(gib)).build();
    let request = client
        .update_broker_storage()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .target_broker_ebs_volume_info(volume)
        .send();
    let output = call.send(request).await?;
    call.required_str(output.cluster_operation_arn(), "ClusterOperationArn")
}

pub async fn update_broker_type(client: &Client, cluster: &MskCluster, broker_type: &str) -> Result<String, AwsError> {
    let call = Call::new("kafka:UpdateBrokerType", resource(&cluster.name));
    let request = client
        .update_broker_type()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .target_instance_type(broker_type)
        .send();
    let output = call.send(request).await?;
    call.required_str(output.cluster_operation_arn(), "ClusterOperationArn")
}

pub async fn update_monitoring(client: &Client, cluster: &MskCluster, level: &str) -> Result<String, AwsError> {
    let call = Call::new("kafka:UpdateMonitoring", resource(&cluster.name));
    let request = client
        .update_monitoring()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .enhanced_monitoring(EnhancedMonitoring::from(level))
        .send();
    let output = call.send(request).await?;
    call.required_str(output.cluster_operation_arn(), "ClusterOperationArn")
}

pub async fn update_cluster_configuration(
    client: &Client,
    cluster: &MskCluster,
    configuration_arn: &str,
    revision: i64,
) -> Result<String, AwsError> {
    let call = Call::new("kafka:UpdateClusterConfiguration", resource(&cluster.name));
    let request = client
        .update_cluster_configuration()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .configuration_info(ConfigurationInfo::builder().arn(configuration_arn).revision(revision).build())
        .send();
    let output = call.send(request).await?;
    call.required_str(output.cluster_operation_arn(), "ClusterOperationArn")
}

/// TagResource: sets the given tags, leaves any others alone.
pub async fn tag_cluster(
    client: &Client,
    cluster: &MskCluster,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let call = Call::new("kafka:TagResource", resource(&cluster.name));
    call.send(
        client.tag_resource().resource_arn(&cluster.arn).set_tags(Some(tags.clone().into_iter().collect())).send(),
    )
    .await?;
    Ok(())
}

pub async fn describe_operation(client: &Client, arn: &str) -> Result<OperationStatus, AwsError> {
    let call = Call::new("kafka:DescribeClusterOperation", format!("cluster operation {arn}"));
    let output = call.send(client.describe_cluster_operation().cluster_operation_arn(arn).send()).await?;
    let info = call.required(output.cluster_operation_info(), "ClusterOperationInfo")?;
    Ok(OperationStatus {
        arn: arn.to_string(),
        operation_type: info.operation_type().map(str::to_string),
        state: call.required_str(info.operation_state(), "ClusterOperationInfo.OperationState")?,
        error_code: info.error_info().and_then(|e| e.error_code()).map(str::to_string),
        error_message: info.error_info().and_then(|e| e.error_string()).map(str::to_string),
    })
}

/// DeleteCluster, guarded by the version just read so that a cluster
/// somebody changed meanwhile is not deleted blind.
pub async fn delete_cluster(client: &Client, cluster: &MskCluster) -> Result<(), AwsError> {
    let call = Call::new("kafka:DeleteCluster", resource(&cluster.name));
    call.send(client.delete_cluster().cluster_arn(&cluster.arn).current_version(&cluster.current_version).send())
        .await?;
    Ok(())
}
