//! KEDA's custom resources (ScaledObject, TriggerAuthentication) and how the
//! environment's Kafka client authentication maps onto KEDA's Kafka scaler.

use std::collections::BTreeMap;

use serde::Serialize;

use super::objects::ObjectMeta;

pub const KEDA_API_VERSION: &str = "keda.sh/v1alpha1";

/// How the services (and KEDA's lag scaler) authenticate to Kafka in the
/// cluster, as the environment's `client_auth` (AWS) or
/// `kafka.security_protocol` (self-managed Kafka) says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum KafkaAuth {
    Plaintext,
    /// TLS; `private_ca`: the brokers' certificates come from a CA the
    /// system trust store lacks, so it is mounted from a Secret;
    /// `client_certificate`: mutual TLS, the client's certificate and key
    /// from the same Secret.
    Tls {
        private_ca: bool,
        client_certificate: bool,
    },
    /// SASL/SCRAM-SHA-512 over TLS; the login from the environment's Secret.
    SaslScram {
        private_ca: bool,
    },
    /// MSK IAM (SASL/OAUTHBEARER over TLS) with tokens signed for `region`
    /// by the pod's (IRSA) role.
    MskIam {
        region: String,
    },
}

impl KafkaAuth {
    pub fn private_ca(&self) -> bool {
        match self {
            KafkaAuth::Tls { private_ca, .. } | KafkaAuth::SaslScram { private_ca } => *private_ca,
            KafkaAuth::Plaintext | KafkaAuth::MskIam { .. } => false,
        }
    }

    fn tls(&self) -> bool {
        !matches!(self, KafkaAuth::Plaintext)
    }

    /// KEDA's `sasl` value for the mode.
    fn sasl(&self) -> Option<&'static str> {
        match self {
            KafkaAuth::SaslScram { .. } => Some("scram_sha512"),
            KafkaAuth::MskIam { .. } => Some("aws_msk_iam"),
            KafkaAuth::Plaintext | KafkaAuth::Tls { .. } => None,
        }
    }
}

/// The Secrets the manifests reference (created out of band, never rendered).
#[derive(Debug, Clone)]
pub struct SecretNames {
    /// Passwords and the SCRAM login, one key per variable name.
    pub credentials: String,
    /// The Kafka CA (`ca.crt`) and, for mutual TLS, the client's
    /// certificate and key (`tls.crt`, `tls.key`).
    pub kafka_tls: String,
    /// The CA bundle of PostgreSQL's certificate (`ca.crt`).
    pub postgres_ca: String,
}

pub const CA_KEY: &str = "ca.crt";
pub const CERT_KEY: &str = "tls.crt";
pub const KEY_KEY: &str = "tls.key";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObject {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: ScaledObjectSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    pub scale_target_ref: ScaleTargetRef,
    pub min_replica_count: u32,
    pub max_replica_count: u32,
    pub triggers: Vec<ScaleTrigger>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleTargetRef {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTrigger {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<&'static str>,
    pub metadata: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_ref: Option<AuthenticationRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthenticationRef {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthentication {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: TriggerAuthenticationSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthenticationSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_identity: Option<PodIdentity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_target_ref: Vec<SecretTargetRef>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodIdentity {
    pub provider: &'static str,
    /// The role KEDA assumes to read the lag; absent: KEDA's own identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretTargetRef {
    pub parameter: &'static str,
    pub name: String,
    pub key: String,
}

/// The TriggerAuthentication the lag triggers use, or `None` when the mode
/// needs nothing KEDA must be handed (plaintext, TLS with public certificates).
pub fn trigger_authentication(
    name: &str,
    labels: &BTreeMap<String, String>,
    auth: &KafkaAuth,
    secrets: &SecretNames,
    role_arn: Option<&str>,
) -> Option<TriggerAuthentication> {
    let reference = |parameter: &'static str, secret: &str, key: &str| SecretTargetRef {
        parameter,
        name: secret.to_string(),
        key: key.to_string(),
    };
    let mut refs = Vec::new();
    let mut pod_identity = None;
    if auth.private_ca() {
        refs.push(reference("ca", &secrets.kafka_tls, CA_KEY));
    }
    match auth {
        KafkaAuth::Plaintext => {}
        KafkaAuth::Tls { client_certificate, .. } => {
            if *client_certificate {
                refs.push(reference("cert", &secrets.kafka_tls, CERT_KEY));
                refs.push(reference("key", &secrets.kafka_tls, KEY_KEY));
            }
        }
        KafkaAuth::SaslScram { .. } => {
            use forgectl_contract::env_vars::{DI_KAFKA_SASL_PASSWORD, DI_KAFKA_SASL_USERNAME};
            refs.push(reference("username", &secrets.credentials, DI_KAFKA_SASL_USERNAME));
            refs.push(reference("password", &secrets.credentials, DI_KAFKA_SASL_PASSWORD));
        }
        KafkaAuth::MskIam { .. } => {
            pod_identity = Some(PodIdentity { provider: "aws", role_arn: role_arn.map(str::to_string) });
        }
    }
    if refs.is_empty() && pod_identity.is_none() {
        return None;
    }
    Some(TriggerAuthentication {
        api_version: KEDA_API_VERSION,
        kind: "TriggerAuthentication",
        metadata: ObjectMeta { name: name.to_string(), labels: labels.clone(), annotations: BTreeMap::new() },
        spec: TriggerAuthenticationSpec { pod_identity, secret_target_ref: refs },
    })
}

/// The consumer group's lag trigger. No `topic`: KEDA then sums the group's
/// lag over every topic it reads and divides by the replicas, as the Auto
/// Scaling group's metric math does on AWS.
pub fn lag_trigger(
    bootstrap_servers: &str,
    group: &str,
    lag_per_instance: u64,
    auth: &KafkaAuth,
    authentication: Option<&str>,
) -> ScaleTrigger {
    let mut metadata = BTreeMap::from([
        ("bootstrapServers".to_string(), bootstrap_servers.to_string()),
        ("consumerGroup".to_string(), group.to_string()),
        ("lagThreshold".to_string(), lag_per_instance.to_string()),
    ]);
    if auth.tls() {
        metadata.insert("tls".into(), "enable".into());
    }
    if let Some(sasl) = auth.sasl() {
        metadata.insert("sasl".into(), sasl.into());
    }
    if let KafkaAuth::MskIam { region } = auth {
        metadata.insert("awsRegion".into(), region.clone());
    }
    ScaleTrigger {
        kind: "kafka",
        metric_type: None,
        metadata,
        authentication_ref: authentication.map(|name| AuthenticationRef { name: name.to_string() }),
    }
}

/// KEDA creates and owns the HPA of what it scales, so the consumers' CPU
/// rule sits in the same ScaledObject rather than in a second HPA.
pub fn cpu_trigger(target_percent: u32) -> ScaleTrigger {
    ScaleTrigger {
        kind: "cpu",
        metric_type: Some("Utilization"),
        metadata: BTreeMap::from([("value".to_string(), target_percent.to_string())]),
        authentication_ref: None,
    }
}
