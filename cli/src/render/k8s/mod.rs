//! `render k8s`: Kubernetes manifests built as typed objects and serialised,
//! never assembled as text. What a cluster admin checks is a property of
//! the structures here: the Pod Security `restricted` profile on every
//! container, requests and limits, a PodDisruptionBudget per Deployment,
//! spread over zones and hosts, a ServiceAccount per role, secrets only by
//! reference, and no `replicas` where an autoscaler owns the scale.

pub mod keda;
pub mod objects;
pub mod resources;
pub mod workload;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::profile::RoleName;
use crate::render::{EnvVar, RenderError};
pub use keda::{KafkaAuth, SecretNames};
use objects::*;
pub use workload::{KAFKA_CA_PATH, POSTGRES_CA_PATH};

pub const NAME_LABEL: &str = "app.kubernetes.io/name";
/// The annotation the EKS pod identity webhook reads (IRSA).
pub const IRSA_ANNOTATION: &str = "eks.amazonaws.com/role-arn";

/// One role as the manifests run it.
#[derive(Debug, Clone)]
pub struct K8sRole {
    pub role: RoleName,
    pub image: String,
    pub min: u32,
    pub max: u32,
    pub group: Option<String>,
    /// Consumers: the lag per replica KEDA holds (the profile's
    /// `lag_per_instance`, the Auto Scaling groups' target on AWS).
    pub lag_per_instance: Option<u64>,
    pub vars: Vec<EnvVar>,
    pub resources: ResourceRequirements,
}

/// Where the pods (and KEDA) reach Kafka, and how they authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct K8sKafka {
    pub bootstrap_servers: String,
    pub auth: KafkaAuth,
}

#[derive(Debug, Clone)]
pub struct K8sInput {
    pub environment: String,
    pub tier: String,
    pub name_prefix: String,
    pub kafka: K8sKafka,
    pub roles: Vec<K8sRole>,
    /// An IAM role for the pods' ServiceAccounts (IRSA), and for KEDA's
    /// MSK IAM lag reads.
    pub irsa_role_arn: Option<String>,
    pub cpu_target_percent: u32,
    /// PostgreSQL's certificate comes from a CA the pods get from a Secret
    /// (the environment names a `postgres.ca_file`).
    pub postgres_ca: bool,
}

impl K8sInput {
    pub fn secrets(&self) -> SecretNames {
        SecretNames {
            credentials: format!("{}-secrets", self.name_prefix),
            kafka_tls: format!("{}-kafka-tls", self.name_prefix),
            postgres_ca: format!("{}-postgres-ca", self.name_prefix),
        }
    }
}

/// One document of the output, in apply order.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Manifest {
    ServiceAccount(ServiceAccount),
    ConfigMap(ConfigMap),
    Deployment(Box<Deployment>),
    PodDisruptionBudget(PodDisruptionBudget),
    Service(Service),
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
    TriggerAuthentication(keda::TriggerAuthentication),
    ScaledObject(keda::ScaledObject),
}

pub fn config_map_name(role: &K8sRole) -> String {
    format!("{}-env", role.role)
}

fn meta(name: impl Into<String>, labels: &Labels) -> ObjectMeta {
    ObjectMeta { name: name.into(), labels: labels.clone(), annotations: BTreeMap::new() }
}

/// Every object for the tier: per role a ServiceAccount, a ConfigMap of
/// its plain variables, a Deployment and a PodDisruptionBudget; the
/// producer's Service and HPA; the consumers' KEDA ScaledObjects and the
/// TriggerAuthentication they share.
pub fn manifests(input: &K8sInput) -> Result<Vec<Manifest>, RenderError> {
    let secrets = input.secrets();
    let auth = &input.kafka.auth;
    let mut documents = Vec::new();
    let common = BTreeMap::from([
        ("app.kubernetes.io/managed-by".to_string(), "forgectl".to_string()),
        ("forgectl/environment".to_string(), input.environment.clone()),
        ("forgectl/tier".to_string(), input.tier.clone()),
    ]);
    let authentication_name = format!("{}-kafka", input.name_prefix);
    let authentication =
        keda::trigger_authentication(&authentication_name, &common, auth, &secrets, input.irsa_role_arn.as_deref());
    let has_consumers = input.roles.iter().any(|role| role.role.is_consumer());
    if let Some(authentication) = authentication.clone().filter(|_| has_consumers) {
        documents.push(Manifest::TriggerAuthentication(authentication));
    }
    for role in &input.roles {
        let name = role.role.to_string();
        let mut labels = common.clone();
        labels.insert(NAME_LABEL.to_string(), name.clone());
        let mut account = ServiceAccount {
            api_version: "v1",
            kind: "ServiceAccount",
            metadata: meta(&name, &labels),
            automount_service_account_token: false,
        };
        if let Some(arn) = &input.irsa_role_arn {
            account.metadata.annotations.insert(IRSA_ANNOTATION.to_string(), arn.clone());
        }
        documents.push(Manifest::ServiceAccount(account));
        let data = role
            .vars
            .iter()
            .filter(|var| !workload::from_secret(var))
            .map(|var| (var.name.clone(), var.value.clone()))
            .collect();
        documents.push(Manifest::ConfigMap(ConfigMap {
            api_version: "v1",
            kind: "ConfigMap",
            metadata: meta(config_map_name(role), &labels),
            data,
        }));
        // Every role scales: the producer on CPU (HPA), the consumers on
        // CPU and lag (KEDA).
        documents.push(Manifest::Deployment(Box::new(workload::deployment(
            role,
            &labels,
            &secrets,
            workload::CaMounts { kafka: auth.private_ca(), postgres: input.postgres_ca },
            true,
        ))));
        documents.push(Manifest::PodDisruptionBudget(PodDisruptionBudget {
            api_version: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: meta(&name, &labels),
            spec: PdbSpec { max_unavailable: 1, selector: workload::selector(role) },
        }));
        if role.role.is_consumer() {
            documents.push(Manifest::ScaledObject(scaled_object(
                input,
                role,
                &labels,
                authentication.as_ref().map(|a| a.metadata.name.as_str()),
            )?));
        } else {
            documents.push(Manifest::Service(producer_service(role, &labels)));
            documents.push(Manifest::HorizontalPodAutoscaler(producer_hpa(input, role, &labels)));
        }
    }
    Ok(documents)
}

fn producer_service(role: &K8sRole, labels: &Labels) -> Service {
    Service {
        api_version: "v1",
        kind: "Service",
        metadata: meta(role.role.to_string(), labels),
        spec: ServiceSpec {
            // The runbooks put the producer behind a load balancer.
            kind: "LoadBalancer",
            selector: workload::selector(role).match_labels,
            ports: vec![ServicePort { name: "http", port: 80, target_port: "http" }],
        },
    }
}

fn producer_hpa(input: &K8sInput, role: &K8sRole, labels: &Labels) -> HorizontalPodAutoscaler {
    HorizontalPodAutoscaler {
        api_version: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: meta(role.role.to_string(), labels),
        spec: HpaSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: "apps/v1",
                kind: "Deployment",
                name: role.role.to_string(),
            },
            min_replicas: role.min,
            max_replicas: role.max,
            metrics: vec![MetricSpec {
                kind: "Resource",
                resource: ResourceMetricSource {
                    name: "cpu",
                    target: MetricTarget { kind: "Utilization", average_utilization: input.cpu_target_percent },
                },
            }],
        },
    }
}

fn scaled_object(
    input: &K8sInput,
    role: &K8sRole,
    labels: &Labels,
    authentication: Option<&str>,
) -> Result<keda::ScaledObject, RenderError> {
    let missing = |what: &'static str| RenderError::IncompleteRole { role: role.role.to_string(), what };
    let group = role.group.as_deref().ok_or_else(|| missing("group"))?;
    let lag = role.lag_per_instance.ok_or_else(|| missing("lag_per_instance"))?;
    Ok(keda::ScaledObject {
        api_version: keda::KEDA_API_VERSION,
        kind: "ScaledObject",
        metadata: meta(role.role.to_string(), labels),
        spec: keda::ScaledObjectSpec {
            scale_target_ref: keda::ScaleTargetRef { name: role.role.to_string() },
            min_replica_count: role.min,
            max_replica_count: role.max,
            triggers: vec![
                keda::cpu_trigger(input.cpu_target_percent),
                keda::lag_trigger(&input.kafka.bootstrap_servers, group, lag, &input.kafka.auth, authentication),
            ],
        },
    })
}

/// The manifests as one multi-document YAML stream, `header` (comment
/// lines) first.
pub fn to_yaml(header: &str, manifests: &[Manifest]) -> Result<String, RenderError> {
    let mut text = header.to_string();
    for manifest in manifests {
        let document = serde_norway::to_string(manifest)
            .map_err(|err| RenderError::Serialize { what: "Kubernetes manifests", reason: err.to_string() })?;
        text.push_str("---\n");
        text.push_str(&document);
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
