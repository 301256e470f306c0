//! The desired state of an environment: what its tier profile and its
//! environment settings ask AWS to hold. Built without any AWS call, so
//! that every mistake in the config or the tier stops here, with exit 2.

use std::collections::BTreeMap;

use serde::Serialize;

use super::scram::{KeySource, ScramSpec};
pub use crate::aws::msk::ClusterSpec;
use crate::config::{ClientAuth, ConfigError, Environment, Provider};
use crate::naming::{common_tags, configuration_marker, Names, TAG_NAME};
use crate::profile::{ClientBroker, Profile};

/// MSK's listener ports (Amazon MSK developer guide, "Port information").
pub const PORT_PLAINTEXT: u16 = 9092;
pub const PORT_TLS: u16 = 9094;
pub const PORT_SASL_SCRAM: u16 = 9096;
pub const PORT_SASL_IAM: u16 = 9098;

/// Replication factor from which `min.insync.replicas=2` holds: a write then
/// survives one broker (one AZ) being down while still being on two.
const RF_FOR_MIN_ISR_2: u16 = 3;

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub env: String,
    pub tier: String,
    pub region: Option<String>,
    pub names: Names,
    /// Client subnets from the environment; empty means the default VPC.
    pub subnets: Vec<String>,
    pub vpc_id: Option<String>,
    /// How many AZs (and so client subnets) the tier's broker layout uses.
    pub zones: u32,
    pub client_sg: SecurityGroupSpec,
    pub broker_sg: SecurityGroupSpec,
    /// Ports the broker SG opens, and only to the client SG.
    pub broker_ports: Vec<u16>,
    pub configuration: ConfigurationSpec,
    pub cluster: ClusterSpec,
    /// `client_auth: sasl-scram` only: the secret and the key that encrypts it.
    pub scram: Option<ScramSpec>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecurityGroupSpec {
    pub name: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigurationSpec {
    pub name: String,
    /// Carries forgectl's ownership marker: configurations take no tags.
    pub description: String,
    pub kafka_versions: Vec<String>,
    pub properties: BTreeMap<String, String>,
}

impl ConfigurationSpec {
    /// The `server.properties` text MSK stores, one `key=value` a line.
    pub fn server_properties(&self) -> String {
        self.properties.iter().map(|(key, value)| format!("{key}={value}\n")).collect()
    }
}

impl Target {
    pub fn new(environment: &Environment, profile: &Profile) -> Result<Self, ConfigError> {
        let invalid = |key: &str, message: String, hint: &str| ConfigError::Invalid {
            env: environment.name.clone(),
            key: key.to_string(),
            message,
            hint: hint.to_string(),
        };
        if environment.provider != Provider::Aws {
            return Err(invalid(
                "provider",
                "is `local`; plan, provision, status and destroy manage AWS resources".into(),
                "pick an environment with `provider: aws` (e.g. --env emulator)",
            ));
        }
        let kafka = &profile.kafka;
        if !environment.subnets.is_empty() && environment.subnets.len() != kafka.zones as usize {
            return Err(invalid(
                "subnets",
                format!(
                    "{} client subnets given, but tier {} spreads its {} brokers over {} AZs",
                    environment.subnets.len(),
                    profile.tier,
                    kafka.brokers,
                    kafka.zones
                ),
                "list exactly one subnet per AZ the tier uses, or omit subnets to use the default VPC",
            ));
        }
        if environment.vpc_id.is_some() && environment.subnets.is_empty() {
            return Err(invalid(
                "subnets",
                "vpc_id is set but no client subnets are listed".into(),
                "list the client subnets (one per AZ) of that VPC; forgectl only picks subnets itself in the default VPC",
            ));
        }
        if let Some(key) = environment.tags.keys().find(|key| key.starts_with("forgectl:") || key.starts_with("aws:")) {
            return Err(invalid(
                "tags",
                format!("`{key}` is a reserved tag key"),
                "forgectl:* tags are set by forgectl and aws:* by AWS; rename the tag",
            ));
        }

        let plaintext = environment.allow_plaintext;
        let client_broker = match (kafka.encryption_in_transit.client_broker, plaintext) {
            (ClientBroker::Tls, false) => ClientBroker::Tls,
            (ClientBroker::Tls | ClientBroker::TlsPlaintext, true) => ClientBroker::TlsPlaintext,
            (ClientBroker::Plaintext, true) => ClientBroker::Plaintext,
            (other, false) => {
                return Err(invalid(
                    "allow_plaintext",
                    format!("tier {} asks for {} between clients and brokers", profile.tier, other.as_str()),
                    "set `allow_plaintext: true` in the environment to accept unencrypted client traffic",
                ))
            }
        };
        if plaintext && environment.client_auth != ClientAuth::Unauthenticated {
            return Err(invalid(
                "allow_plaintext",
                format!(
                    "the plaintext listener cannot authenticate clients (client_auth is {})",
                    environment.client_auth.as_str()
                ),
                "drop allow_plaintext, or use client_auth: unauthenticated",
            ));
        }
        if client_broker == ClientBroker::Plaintext && environment.client_auth != ClientAuth::Unauthenticated {
            return Err(invalid(
                "client_auth",
                "a plaintext-only cluster has no TLS or SASL listener".into(),
                "use TLS",
            ));
        }
        if environment.client_auth == ClientAuth::Mtls {
            return Err(invalid(
                "client_auth",
                "mtls needs an AWS Private CA, which forgectl does not configure yet".into(),
                "use unauthenticated (TLS), sasl-scram or iam",
            ));
        }

        let tier = profile.tier.clone();
        let names = Names::for_env(environment);
        let tags = common_tags(environment, &tier);
        let named = |name: &str| {
            let mut tags = tags.clone();
            tags.insert(TAG_NAME.into(), name.to_string());
            tags
        };
        Ok(Target {
            env: environment.name.clone(),
            tier: tier.clone(),
            region: environment.region.clone(),
            subnets: environment.subnets.clone(),
            vpc_id: environment.vpc_id.clone(),
            zones: kafka.zones,
            client_sg: SecurityGroupSpec {
                name: names.client_sg.clone(),
                description: format!("forgectl {}: producer and consumer instances (Kafka clients)", environment.name),
                tags: named(&names.client_sg),
            },
            broker_sg: SecurityGroupSpec {
                name: names.broker_sg.clone(),
                description: format!(
                    "forgectl {}: MSK brokers, reachable only from the client group",
                    environment.name
                ),
                tags: named(&names.broker_sg),
            },
            broker_ports: broker_ports(client_broker, environment.client_auth),
            configuration: ConfigurationSpec {
                name: names.configuration.clone(),
                description: configuration_marker(&environment.name),
                kafka_versions: vec![kafka.version.clone()],
                properties: server_properties(profile),
            },
            cluster: ClusterSpec {
                name: names.cluster.clone(),
                kafka_version: kafka.version.clone(),
                broker_count: kafka.brokers,
                broker_type: kafka.broker_type.clone(),
                ebs_volume_gib: kafka.ebs_volume_gib,
                client_broker: client_broker.as_str().to_string(),
                in_cluster: kafka.encryption_in_transit.in_cluster,
                kms_key_arn: environment.kms_key_arn.clone(),
                enhanced_monitoring: kafka.enhanced_monitoring.as_str().to_string(),
                client_auth: environment.client_auth,
                tags: tags.clone(),
            },
            scram: (environment.client_auth == ClientAuth::SaslScram).then(|| scram_spec(environment, &names, &tags)),
            names,
        })
    }
}

/// The SCRAM secret of `client_auth: sasl-scram`, encrypted with the
/// environment's `kms_key_arn` or else a key of forgectl's own.
fn scram_spec(environment: &Environment, names: &Names, tags: &BTreeMap<String, String>) -> ScramSpec {
    let key = match &environment.kms_key_arn {
        Some(arn) => KeySource::Given { arn: arn.clone() },
        None => KeySource::Managed {
            alias: names.scram_key_alias.clone(),
            description: format!("forgectl {}: encrypts the MSK SCRAM secret {}", environment.name, names.scram_secret),
        },
    };
    ScramSpec {
        key,
        secret_name: names.scram_secret.clone(),
        secret_description: format!("forgectl {}: the services' SASL/SCRAM login to MSK", environment.name),
        username: names.cluster.clone(),
        tags: tags.clone(),
    }
}

/// Only the listeners the cluster has: TLS (9094) for TLS clients without
/// SASL, 9096/9098 for SASL, 9092 only with plaintext allowed. Never
/// ZooKeeper (2181): clients do not need it, and MSK's KRaft and 3.x
/// clusters are administered through the Kafka and MSK APIs.
pub fn broker_ports(client_broker: ClientBroker, auth: ClientAuth) -> Vec<u16> {
    let mut ports = Vec::new();
    if matches!(client_broker, ClientBroker::Plaintext | ClientBroker::TlsPlaintext) {
        ports.push(PORT_PLAINTEXT);
    }
    if client_broker != ClientBroker::Plaintext {
        ports.push(match auth {
            ClientAuth::Unauthenticated | ClientAuth::Mtls => PORT_TLS,
            ClientAuth::SaslScram => PORT_SASL_SCRAM,
            ClientAuth::Iam => PORT_SASL_IAM,
        });
    }
    ports
}

/// The broker defaults the runbook relied on being sane, made explicit.
pub fn server_properties(profile: &Profile) -> BTreeMap<String, String> {
    let replication = profile
        .topics
        .iter()
        .map(|topic| topic.replication_factor)
        .max()
        .unwrap_or(RF_FOR_MIN_ISR_2)
        .min(u16::try_from(profile.kafka.brokers).unwrap_or(u16::MAX));
    let min_insync = if replication >= RF_FOR_MIN_ISR_2 { 2 } else { 1 };
    BTreeMap::from([
        // Topics exist because forgectl created them with their partitions and
        // retention, never because a client mistyped a name.
        ("auto.create.topics.enable".to_string(), "false".to_string()),
        ("default.replication.factor".to_string(), replication.to_string()),
        ("min.insync.replicas".to_string(), min_insync.to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_follow_encryption_and_auth() {
        assert_eq!(broker_ports(ClientBroker::Tls, ClientAuth::Unauthenticated), vec![PORT_TLS]);
        assert_eq!(broker_ports(ClientBroker::Tls, ClientAuth::SaslScram), vec![PORT_SASL_SCRAM]);
        assert_eq!(broker_ports(ClientBroker::Tls, ClientAuth::Iam), vec![PORT_SASL_IAM]);
        assert_eq!(
            broker_ports(ClientBroker::TlsPlaintext, ClientAuth::Unauthenticated),
            vec![PORT_PLAINTEXT, PORT_TLS]
        );
        assert_eq!(broker_ports(ClientBroker::Plaintext, ClientAuth::Unauthenticated), vec![PORT_PLAINTEXT]);
    }
}
