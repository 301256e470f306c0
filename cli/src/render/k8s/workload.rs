//! A role's Deployment: the pod the Pod Security `restricted` profile
//! admits, sized from the tier, spread over zones and hosts, with every
//! secret taken from a Secret by reference.

use std::collections::BTreeMap;

use forgectl_contract::endpoints::{CONSUMER_METRICS_PORT, PRODUCER_PORT};
use forgectl_contract::env_vars::DI_KAFKA_SASL_USERNAME;

use super::keda::{SecretNames, CA_KEY};
use super::objects::*;
use super::K8sRole;

/// The services' images run as this user (`USER 10001` in their Dockerfiles).
pub const SERVICE_UID: u32 = 10001;

/// Where the pod finds the Kafka CA when the brokers' certificates come
/// from a private CA.
pub const KAFKA_CA_PATH: &str = "/etc/forgectl/kafka/ca.crt";
const KAFKA_CA_DIR: &str = "/etc/forgectl/kafka";
/// Where the pod finds the CA bundle of PostgreSQL's certificate (the
/// environment's `postgres.ca_file`, a path on the machine running
/// forgectl, which a pod does not have).
pub const POSTGRES_CA_PATH: &str = "/etc/forgectl/postgres/ca.crt";
const POSTGRES_CA_DIR: &str = "/etc/forgectl/postgres";
const CA_FILE: &str = "ca.crt";

/// The CA bundles the pods mount from Secrets.
#[derive(Debug, Clone, Copy)]
pub struct CaMounts {
    pub kafka: bool,
    pub postgres: bool,
}

/// Scratch space for whatever a library writes to /tmp, the root
/// filesystem being read-only.
const TMP_SIZE_LIMIT: &str = "64Mi";

/// The consumers drain and commit before they stop; the producer finishes
/// in-flight uploads.
const TERMINATION_GRACE_SECONDS: u32 = 60;

const ZONE_KEY: &str = "topology.kubernetes.io/zone";
const HOST_KEY: &str = "kubernetes.io/hostname";

/// Kubernetes mode bits are written in decimal: 0o440.
const SECRET_FILE_MODE: u32 = 0o440;

/// Whether the variable is read from the Secret. The SCRAM user name is
/// no secret, but KEDA can only take it from a Secret; the pod reads it
/// from the same key so the two cannot disagree.
pub fn from_secret(var: &crate::render::EnvVar) -> bool {
    var.secret || var.name == DI_KAFKA_SASL_USERNAME
}

pub fn selector(role: &K8sRole) -> LabelSelector {
    LabelSelector { match_labels: BTreeMap::from([(super::NAME_LABEL.to_string(), role.role.to_string())]) }
}

fn restricted_container_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: false,
        read_only_root_filesystem: true,
        run_as_non_root: true,
        run_as_user: SERVICE_UID,
        run_as_group: SERVICE_UID,
        capabilities: Capabilities { drop: vec!["ALL"] },
        seccomp_profile: SeccompProfile { kind: "RuntimeDefault" },
    }
}

fn restricted_pod_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: true,
        run_as_user: SERVICE_UID,
        run_as_group: SERVICE_UID,
        fs_group: SERVICE_UID,
        seccomp_profile: SeccompProfile { kind: "RuntimeDefault" },
    }
}

fn spread(role: &K8sRole, topology_key: &'static str) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew: 1,
        topology_key,
        // A preference: a cluster with one zone (or one node) still runs the pods.
        when_unsatisfiable: "ScheduleAnyway",
        label_selector: selector(role),
    }
}

fn ca_volume(name: &'static str, secret: &str) -> Volume {
    Volume {
        name,
        empty_dir: None,
        secret: Some(SecretVolumeSource {
            secret_name: secret.to_string(),
            items: vec![KeyToPath { key: CA_KEY, path: CA_FILE }],
            default_mode: SECRET_FILE_MODE,
        }),
    }
}

fn volumes(secrets: &SecretNames, cas: CaMounts) -> (Vec<Volume>, Vec<VolumeMount>) {
    let mut volumes = vec![Volume {
        name: "tmp",
        empty_dir: Some(EmptyDirVolumeSource { size_limit: TMP_SIZE_LIMIT }),
        secret: None,
    }];
    let mut mounts = vec![VolumeMount { name: "tmp", mount_path: "/tmp", read_only: false }];
    if cas.kafka {
        volumes.push(ca_volume("kafka-ca", &secrets.kafka_tls));
        mounts.push(VolumeMount { name: "kafka-ca", mount_path: KAFKA_CA_DIR, read_only: true });
    }
    if cas.postgres {
        volumes.push(ca_volume("postgres-ca", &secrets.postgres_ca));
        mounts.push(VolumeMount { name: "postgres-ca", mount_path: POSTGRES_CA_DIR, read_only: true });
    }
    (volumes, mounts)
}

fn probe(path: &'static str, period_seconds: u32) -> Probe {
    Probe { http_get: HttpGetAction { path, port: "http" }, period_seconds }
}

/// `scaled`: an HPA or a ScaledObject owns the replica count, so the
/// Deployment states none.
pub fn deployment(role: &K8sRole, labels: &Labels, secrets: &SecretNames, cas: CaMounts, scaled: bool) -> Deployment {
    let name = role.role.to_string();
    let env = role
        .vars
        .iter()
        .filter(|var| from_secret(var))
        .map(|var| EnvVar {
            name: var.name.clone(),
            value_from: EnvVarSource {
                secret_key_ref: SecretKeySelector { name: secrets.credentials.clone(), key: var.name.clone() },
            },
        })
        .collect();
    let (volumes, volume_mounts) = volumes(secrets, cas);
    let container_port = if role.role.is_consumer() { CONSUMER_METRICS_PORT } else { PRODUCER_PORT };
    let container = Container {
        name: name.clone(),
        image: role.image.clone(),
        env_from: vec![EnvFromSource {
            config_map_ref: Some(LocalObjectReference { name: super::config_map_name(role) }),
            secret_ref: None,
        }],
        env,
        ports: vec![ContainerPort { name: "http", container_port }],
        readiness_probe: probe("/ready", 5),
        liveness_probe: probe("/health", 10),
        resources: role.resources.clone(),
        security_context: restricted_container_context(),
        volume_mounts,
    };
    let pod_labels = selector(role).match_labels;
    Deployment {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: ObjectMeta { name: name.clone(), labels: labels.clone(), annotations: BTreeMap::new() },
        spec: DeploymentSpec {
            replicas: (!scaled).then_some(role.min),
            selector: selector(role),
            template: PodTemplateSpec {
                metadata: TemplateMeta { labels: pod_labels },
                spec: PodSpec {
                    service_account_name: name,
                    automount_service_account_token: false,
                    security_context: restricted_pod_context(),
                    termination_grace_period_seconds: TERMINATION_GRACE_SECONDS,
                    containers: vec![container],
                    volumes,
                    topology_spread_constraints: vec![spread(role, ZONE_KEY), spread(role, HOST_KEY)],
                },
            },
        },
    }
}
