//! In-place changes to an MSK cluster and the operations that carry them
//! out. Every change sends the cluster's CurrentVersion (MSK's optimistic
//! lock) and returns the cluster operation's ARN, which the caller follows.

use std::collections::BTreeMap;

use aws_sdk_kafka::types::{BrokerEbsVolumeInfo, ConfigurationInfo, EnhancedMonitoring};
use aws_sdk_kafka::Client;

use super::error::AwsError;
use super::msk::{resource, to_i32, MskCluster, OperationStatus};

/// UpdateBrokerCount; returns the cluster operation's ARN.
pub async fn update_broker_count(client: &Client, cluster: &MskCluster, target: u32) -> Result<String, AwsError> {
    let action = "kafka:UpdateBrokerCount";
    let output = client
        .update_broker_count()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .target_number_of_broker_nodes(to_i32(target))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource(&cluster.name), err))?;
    operation_arn(output.cluster_operation_arn(), action, &cluster.name)
}

/// UpdateBrokerStorage for every broker at once (`All`).
pub async fn update_broker_storage(client: &Client, cluster: &MskCluster, gib: u32) -> Result<String, AwsError> {
    let action = "kafka:UpdateBrokerStorage";
    let volume = BrokerEbsVolumeInfo::builder().kafka_broker_node_id("All").volume_size_gb(to_i32(gib)).build();
    let output = client
        .update_broker_storage()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .target_broker_ebs_volume_info(volume)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource(&cluster.name), err))?;
    operation_arn(output.cluster_operation_arn(), action, &cluster.name)
}

pub async fn update_broker_type(client: &Client, cluster: &MskCluster, broker_type: &str) -> Result<String, AwsError> {
    let action = "kafka:UpdateBrokerType";
    let output = client
        .update_broker_type()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .target_instance_type(broker_type)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource(&cluster.name), err))?;
    operation_arn(output.cluster_operation_arn(), action, &cluster.name)
}

pub async fn update_monitoring(client: &Client, cluster: &MskCluster, level: &str) -> Result<String, AwsError> {
    let action = "kafka:UpdateMonitoring";
    let output = client
        .update_monitoring()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .enhanced_monitoring(EnhancedMonitoring::from(level))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource(&cluster.name), err))?;
    operation_arn(output.cluster_operation_arn(), action, &cluster.name)
}

pub async fn update_cluster_configuration(
    client: &Client,
    cluster: &MskCluster,
    configuration_arn: &str,
    revision: i64,
) -> Result<String, AwsError> {
    let action = "kafka:UpdateClusterConfiguration";
    let output = client
        .update_cluster_configuration()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .configuration_info(ConfigurationInfo::builder().arn(configuration_arn).revision(revision).build())
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource(&cluster.name), err))?;
    operation_arn(output.cluster_operation_arn(), action, &cluster.name)
}

/// TagResource: sets the given tags, leaves any others alone.
pub async fn tag_cluster(
    client: &Client,
    cluster: &MskCluster,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    client
        .tag_resource()
        .resource_arn(&cluster.arn)
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk("kafka:TagResource", resource(&cluster.name), err))?;
    Ok(())
}

fn operation_arn(arn: Option<&str>, action: &str, name: &str) -> Result<String, AwsError> {
    arn.map(str::to_string).ok_or_else(|| AwsError::malformed(action, resource(name), "ClusterOperationArn"))
}

pub async fn describe_operation(client: &Client, arn: &str) -> Result<OperationStatus, AwsError> {
    let action = "kafka:DescribeClusterOperation";
    let output = client
        .describe_cluster_operation()
        .cluster_operation_arn(arn)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, format!("cluster operation {arn}"), err))?;
    let info = output
        .cluster_operation_info()
        .ok_or_else(|| AwsError::malformed(action, format!("cluster operation {arn}"), "ClusterOperationInfo"))?;
    Ok(OperationStatus {
        arn: arn.to_string(),
        operation_type: info.operation_type().map(str::to_string),
        state: info.operation_state().unwrap_or_default().to_string(),
        error_code: info.error_info().and_then(|e| e.error_code()).map(str::to_string),
        error_message: info.error_info().and_then(|e| e.error_string()).map(str::to_string),
    })
}

/// DeleteCluster, guarded by the version just read so that a cluster
/// somebody changed meanwhile is not deleted blind.
pub async fn delete_cluster(client: &Client, cluster: &MskCluster) -> Result<(), AwsError> {
    client
        .delete_cluster()
        .cluster_arn(&cluster.arn)
        .current_version(&cluster.current_version)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk("kafka:DeleteCluster", resource(&cluster.name), err))?;
    Ok(())
}
