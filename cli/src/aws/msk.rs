//! MSK clusters: a thin adapter over aws-sdk-kafka that speaks forgectl's
//! types. No decisions here: the planner decides, this module calls.

use std::collections::BTreeMap;

use aws_sdk_kafka::types::{
    BrokerNodeGroupInfo, ClientAuthentication, ClientBroker, ConfigurationInfo, EbsStorageInfo, EncryptionAtRest,
    EncryptionInTransit, EncryptionInfo, EnhancedMonitoring, Iam, ProvisionedRequest, Sasl, Scram, StorageInfo, Tls,
    Unauthenticated,
};
use aws_sdk_kafka::Client;
use serde::Serialize;

use super::call::Call;
use super::error::AwsError;
pub use super::msk_lookup::{find_cluster, find_environment_cluster, list_clusters_named};
use crate::config::ClientAuth;

/// A provisioned MSK cluster as AWS reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MskCluster {
    pub arn: String,
    pub name: String,
    /// MSK's `ClusterState`: CREATING, ACTIVE, UPDATING, FAILED, DELETING…
    pub state: String,
    /// Why the cluster is FAILED (MSK's StateInfo), when it is.
    pub state_info: Option<StateInfo>,
    /// The optimistic-lock token every update must send.
    pub current_version: String,
    pub active_operation_arn: Option<String>,
    pub kafka_version: Option<String>,
    pub broker_count: u32,
    pub broker_type: Option<String>,
    pub ebs_volume_gib: Option<u32>,
    pub client_subnets: Vec<String>,
    pub security_groups: Vec<String>,
    /// `TLS`, `TLS_PLAINTEXT` or `PLAINTEXT`.
    pub client_broker: Option<String>,
    pub in_cluster: Option<bool>,
    /// The KMS key of encryption at rest (AWS-managed unless one was given).
    pub kms_key_id: Option<String>,
    pub enhanced_monitoring: Option<String>,
    pub client_auth: ClientAuthState,
    pub configuration_arn: Option<String>,
    pub configuration_revision: Option<i64>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateInfo {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// Which client authentication methods the cluster has enabled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClientAuthState {
    pub unauthenticated: bool,
    pub tls: bool,
    pub sasl_scram: bool,
    pub sasl_iam: bool,
}

impl ClientAuthState {
    /// The forgectl auth mode this amounts to, when it is exactly one.
    pub fn mode(&self) -> Option<ClientAuth> {
        match (self.unauthenticated, self.tls, self.sasl_scram, self.sasl_iam) {
            // MSK enables unauthenticated access when nothing else is set.
            (_, false, false, false) => Some(ClientAuth::Unauthenticated),
            (false, true, false, false) => Some(ClientAuth::Mtls),
            (false, false, true, false) => Some(ClientAuth::SaslScram),
            (false, false, false, true) => Some(ClientAuth::Iam),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        let enabled: Vec<&str> = [
            (self.unauthenticated, "unauthenticated"),
            (self.tls, "mtls"),
            (self.sasl_scram, "sasl-scram"),
            (self.sasl_iam, "iam"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
        if enabled.is_empty() {
            "unauthenticated".into()
        } else {
            enabled.join("+")
        }
    }
}

/// GetBootstrapBrokers: one string per listener the cluster has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BootstrapBrokers {
    pub plaintext: Option<String>,
    pub tls: Option<String>,
    pub sasl_scram: Option<String>,
    pub sasl_iam: Option<String>,
}

impl BootstrapBrokers {
    /// The string clients of `auth` connect to; plaintext only when it is the
    /// only listener (no TLS).
    pub fn for_auth(&self, auth: ClientAuth) -> Option<&str> {
        match auth {
            ClientAuth::Unauthenticated => self.tls.as_deref().or(self.plaintext.as_deref()),
            ClientAuth::Mtls => self.tls.as_deref(),
            ClientAuth::SaslScram => self.sasl_scram.as_deref(),
            ClientAuth::Iam => self.sasl_iam.as_deref(),
        }
    }
}

/// An MSK cluster operation (DescribeClusterOperation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationStatus {
    pub arn: String,
    pub operation_type: Option<String>,
    /// PENDING, UPDATE_IN_PROGRESS, UPDATE_COMPLETE, UPDATE_FAILED…
    pub state: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

pub(super) fn resource(name: &str) -> String {
    format!("cluster {name}")
}

/// DescribeClusterV2; `None` once the cluster is gone.
pub async fn describe_cluster(client: &Client, arn: &str) -> Result<Option<MskCluster>, AwsError> {
    let call = Call::new("kafka:DescribeClusterV2", resource(arn));
    let Some(output) = call.send_or_absent(client.describe_cluster_v2().cluster_arn(arn).send()).await? else {
        return Ok(None);
    };
    convert(&call, call.required(output.cluster_info(), "ClusterInfo")?).map(Some)
}

pub async fn bootstrap_brokers(client: &Client, arn: &str) -> Result<BootstrapBrokers, AwsError> {
    let call = Call::new("kafka:GetBootstrapBrokers", resource(arn));
    let output = call.send(client.get_bootstrap_brokers().cluster_arn(arn).send()).await?;
    Ok(BootstrapBrokers {
        plaintext: output.bootstrap_broker_string().map(str::to_string),
        tls: output.bootstrap_broker_string_tls().map(str::to_string),
        sasl_scram: output.bootstrap_broker_string_sasl_scram().map(str::to_string),
        sasl_iam: output.bootstrap_broker_string_sasl_iam().map(str::to_string),
    })
}

/// Where the new cluster goes and what it uses, known only at apply time.
#[derive(Debug, Clone)]
pub struct Placement<'a> {
    pub subnets: &'a [String],
    pub security_group: &'a str,
    pub configuration_arn: &'a str,
    pub configuration_revision: i64,
}

/// What CreateClusterV2 is asked for; the cluster model builds it from the tier.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterSpec {
    pub name: String,
    pub kafka_version: String,
    pub broker_count: u32,
    pub broker_type: String,
    pub ebs_volume_gib: u32,
    /// MSK's ClientBroker: TLS, TLS_PLAINTEXT or PLAINTEXT.
    pub client_broker: String,
    pub in_cluster: bool,
    /// Customer-managed key; `None` means the AWS-managed key.
    pub kms_key_arn: Option<String>,
    pub enhanced_monitoring: String,
    pub client_auth: ClientAuth,
    pub tags: BTreeMap<String, String>,
}

/// CreateClusterV2 (provisioned); returns the new cluster's ARN.
pub async fn create_cluster(
    client: &Client,
    spec: &ClusterSpec,
    placement: &Placement<'_>,
) -> Result<String, AwsError> {
    let call = Call::new("kafka:CreateClusterV2", resource(&spec.name));
    let broker_nodes = BrokerNodeGroupInfo::builder()
        .set_client_subnets(Some(placement.subnets.to_vec()))
        .security_groups(placement.security_group)
        .instance_type(&spec.broker_type)
        .storage_info(
            StorageInfo::builder()
                .ebs_storage_info(EbsStorageInfo::builder().volume_size(to_i32(spec.ebs_volume_gib)).build())
                .build(),
        )
        .build();
    let mut encryption = EncryptionInfo::builder().encryption_in_transit(
        EncryptionInTransit::builder()
            .client_broker(ClientBroker::from(spec.client_broker.as_str()))
            .in_cluster(spec.in_cluster)
            .build(),
    );
    if let Some(key) = &spec.kms_key_arn {
        encryption = encryption.encryption_at_rest(EncryptionAtRest::builder().data_volume_kms_key_id(key).build());
    }
    let provisioned = ProvisionedRequest::builder()
        .kafka_version(&spec.kafka_version)
        .number_of_broker_nodes(to_i32(spec.broker_count))
        .broker_node_group_info(broker_nodes)
        .encryption_info(encryption.build())
        .enhanced_monitoring(EnhancedMonitoring::from(spec.enhanced_monitoring.as_str()))
        .client_authentication(client_authentication(spec.client_auth))
        .configuration_info(
            ConfigurationInfo::builder()
                .arn(placement.configuration_arn)
                .revision(placement.configuration_revision)
                .build(),
        )
        .build();
    let request = client
        .create_cluster_v2()
        .cluster_name(&spec.name)
        .provisioned(provisioned)
        .set_tags(Some(spec.tags.clone().into_iter().collect()))
        .send();
    let output = call.send(request).await?;
    call.required_str(output.cluster_arn(), "ClusterArn")
}

fn client_authentication(auth: ClientAuth) -> ClientAuthentication {
    let builder = ClientAuthentication::builder();
    match auth {
        ClientAuth::Unauthenticated => builder.unauthenticated(Unauthenticated::builder().enabled(true).build()),
        ClientAuth::Mtls => builder.tls(Tls::builder().enabled(true).build()),
        ClientAuth::SaslScram => builder.sasl(Sasl::builder().scram(Scram::builder().enabled(true).build()).build()),
        ClientAuth::Iam => builder.sasl(Sasl::builder().iam(Iam::builder().enabled(true).build()).build()),
    }
    .build()
}

/// Broker counts and sizes are small; a value past i32 is a bug upstream.
pub(super) fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Name, ARN, state and CurrentVersion are required: they find the cluster,
/// gate every plan and lock every update. The rest is absent for clusters
/// still CREATING (brokers, software) and read as "unknown".
pub(super) fn convert(call: &Call, cluster: &aws_sdk_kafka::types::Cluster) -> Result<MskCluster, AwsError> {
    let name = call.required_str(cluster.cluster_name(), "ClusterName")?;
    let call = call.about(resource(&name));
    let arn = call.required_str(cluster.cluster_arn(), "ClusterArn")?;
    let provisioned = cluster.provisioned();
    let nodes = provisioned.and_then(|p| p.broker_node_group_info());
    let encryption = provisioned.and_then(|p| p.encryption_info());
    let in_transit = encryption.and_then(|e| e.encryption_in_transit());
    let auth = provisioned.and_then(|p| p.client_authentication());
    let sasl = auth.and_then(|a| a.sasl());
    let software = provisioned.and_then(|p| p.current_broker_software_info());
    Ok(MskCluster {
        arn,
        name,
        state: call.required(cluster.state(), "State")?.as_str().to_string(),
        state_info: cluster.state_info().map(|info| StateInfo {
            code: info.code().map(str::to_string),
            message: info.message().map(str::to_string),
        }),
        current_version: call.required_str(cluster.current_version(), "CurrentVersion")?,
        active_operation_arn: cluster.active_operation_arn().map(str::to_string),
        kafka_version: software.and_then(|s| s.kafka_version()).map(str::to_string),
        broker_count: call.required(
            provisioned.and_then(|p| p.number_of_broker_nodes()).and_then(|count| u32::try_from(count).ok()),
            "Provisioned.NumberOfBrokerNodes",
        )?,
        broker_type: nodes.and_then(|n| n.instance_type()).map(str::to_string),
        ebs_volume_gib: nodes
            .and_then(|n| n.storage_info())
            .and_then(|s| s.ebs_storage_info())
            .and_then(|e| e.volume_size())
            .and_then(|size| u32::try_from(size).ok()),
        // Lists AWS leaves out when it has none to report.
        client_subnets: nodes.map(|n| n.client_subnets().to_vec()).unwrap_or_default(),
        security_groups: nodes.map(|n| n.security_groups().to_vec()).unwrap_or_default(),
        client_broker: in_transit.and_then(|t| t.client_broker()).map(|cb| cb.as_str().to_string()),
        in_cluster: in_transit.and_then(|t| t.in_cluster()),
        kms_key_id: encryption
            .and_then(|e| e.encryption_at_rest())
            .and_then(|r| r.data_volume_kms_key_id())
            .map(str::to_string),
        enhanced_monitoring: provisioned.and_then(|p| p.enhanced_monitoring()).map(|m| m.as_str().to_string()),
        client_auth: ClientAuthState {
            unauthenticated: auth.and_then(|a| a.unauthenticated()).and_then(|u| u.enabled()).unwrap_or(false),
            tls: auth.and_then(|a| a.tls()).and_then(|t| t.enabled()).unwrap_or(false),
            sasl_scram: sasl.and_then(|s| s.scram()).and_then(|s| s.enabled()).unwrap_or(false),
            sasl_iam: sasl.and_then(|s| s.iam()).and_then(|i| i.enabled()).unwrap_or(false),
        },
        configuration_arn: software.and_then(|s| s.configuration_arn()).map(str::to_string),
        configuration_revision: software.and_then(|s| s.configuration_revision()),
        // No tags is an empty map in AWS's answer, or none.
        tags: cluster.tags().map(|tags| tags.clone().into_iter().collect()).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_mode_from_enabled_methods() {
        assert_eq!(ClientAuthState::default().mode(), Some(ClientAuth::Unauthenticated));
        let scram = ClientAuthState { sasl_scram: true, ..Default::default() };
        assert_eq!(scram.mode(), Some(ClientAuth::SaslScram));
        let mixed = ClientAuthState { unauthenticated: true, sasl_iam: true, ..Default::default() };
        assert_eq!(mixed.mode(), None);
        assert_eq!(mixed.describe(), "unauthenticated+iam");
    }

    #[test]
    fn bootstrap_string_follows_the_auth_mode() {
        let brokers = BootstrapBrokers {
            plaintext: Some("b:9092".into()),
            tls: Some("b:9094".into()),
            sasl_scram: Some("b:9096".into()),
            sasl_iam: None,
        };
        assert_eq!(brokers.for_auth(ClientAuth::Unauthenticated), Some("b:9094"));
        assert_eq!(brokers.for_auth(ClientAuth::SaslScram), Some("b:9096"));
        assert_eq!(brokers.for_auth(ClientAuth::Iam), None);
    }
}

#[cfg(test)]
mod conversion_tests {
    use super::*;
    use crate::aws::AwsErrorKind;

    #[test]
    fn a_cluster_without_current_version_is_malformed_not_an_empty_lock() {
        let call = Call::new("kafka:DescribeClusterV2", "cluster arn:c");
        let answer = aws_sdk_kafka::types::Cluster::builder()
            .cluster_name("forgectl-dev")
            .cluster_arn("arn:c")
            .state(aws_sdk_kafka::types::ClusterState::Active)
            .build();
        let error = convert(&call, &answer).err();
        assert!(error.as_ref().is_some_and(|e| e.is(AwsErrorKind::Malformed)), "{error:?}");
        let text = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("cluster forgectl-dev") && text.contains("`CurrentVersion`"), "{text}");
    }
}
