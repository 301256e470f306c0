//! `render k8s`: where the pods reach Kafka (for an AWS environment, asked
//! of MSK), then the manifests for the tier, built from typed objects.

use forgectl_contract::scaling::CPU_TARGET_PERCENT;
use secrecy::SecretString;

use super::{role_vars, RenderOptions, Rendered};
use crate::aws::msk::{self, BootstrapBrokers};
use crate::config::{ClientAuth, Environment, InstanceSize, Provider, SecurityProtocol};
use crate::fleet::msk_iam::with_msk_iam;
use crate::kafka::{KafkaConnection, ScramCredentials};
use crate::ops::context::RunContext;
use crate::render::connections::{mongodb_connection, postgres_connection};
use crate::render::k8s::{self, K8sInput, K8sKafka, K8sRole, KafkaAuth, Manifest, KAFKA_CA_PATH, POSTGRES_CA_PATH};
use crate::render::{PostgresConnection, RenderError, REDACTED};

fn private_ca(environment: &Environment) -> bool {
    environment.kafka.as_ref().and_then(|kafka| kafka.ssl_ca_location.as_deref()).is_some_and(|ca| !ca.is_empty())
}

/// The authentication the environment's clients use: on AWS its
/// `client_auth`; for a self-managed Kafka its `kafka.security_protocol`.
/// `region` signs MSK IAM tokens.
pub fn kafka_auth(environment: &Environment, region: Option<&str>) -> Result<KafkaAuth, RenderError> {
    let private_ca = private_ca(environment);
    if environment.provider == Provider::Aws {
        return Ok(match environment.client_auth {
            ClientAuth::Unauthenticated => KafkaAuth::Tls { private_ca, client_certificate: false },
            ClientAuth::Mtls => KafkaAuth::Tls { private_ca, client_certificate: true },
            ClientAuth::SaslScram => KafkaAuth::SaslScram { private_ca },
            ClientAuth::Iam => KafkaAuth::MskIam {
                region: region
                    .map(str::to_string)
                    .ok_or_else(|| RenderError::MissingEndpoint { env: environment.name.clone(), what: "region" })?,
            },
        });
    }
    let protocol = environment.kafka.as_ref().map(|kafka| kafka.security_protocol).unwrap_or_default();
    Ok(match protocol {
        SecurityProtocol::Plaintext => KafkaAuth::Plaintext,
        SecurityProtocol::Ssl => KafkaAuth::Tls { private_ca, client_certificate: false },
        SecurityProtocol::SaslSsl => KafkaAuth::SaslScram { private_ca },
    })
}

/// The MSK listener the environment's `client_auth` uses, from
/// GetBootstrapBrokers' answer. A cluster that serves only plaintext
/// (no TLS listener) gets plaintext clients, as `deploy` gives them.
pub fn kafka_from_brokers(
    environment: &Environment,
    brokers: &BootstrapBrokers,
    region: Option<&str>,
) -> Result<K8sKafka, RenderError> {
    let bootstrap = brokers.for_auth(environment.client_auth).ok_or_else(|| RenderError::NotProvisioned {
        env: environment.name.clone(),
        what: format!("{} bootstrap brokers yet (is the cluster still CREATING?)", environment.client_auth.as_str()),
    })?;
    let plaintext_only = environment.client_auth == ClientAuth::Unauthenticated && brokers.tls.is_none();
    let auth = if plaintext_only { KafkaAuth::Plaintext } else { kafka_auth(environment, region)? };
    Ok(K8sKafka { bootstrap_servers: bootstrap.to_string(), auth })
}

/// Where the pods reach Kafka: the environment's `kafka.bootstrap_servers`
/// when it names them; for an AWS environment without, its MSK cluster's
/// brokers (ListClustersV2, GetBootstrapBrokers; nothing is changed).
pub async fn k8s_kafka(context: &RunContext) -> Result<K8sKafka, RenderError> {
    let environment = &context.environment;
    let named = environment.kafka.as_ref().and_then(|kafka| kafka.bootstrap_servers.clone()).filter(|b| !b.is_empty());
    if let Some(bootstrap_servers) = named {
        let auth = kafka_auth(environment, environment.region.as_deref())?;
        return Ok(K8sKafka { bootstrap_servers, auth });
    }
    if environment.provider != Provider::Aws {
        return Err(RenderError::MissingEndpoint { env: environment.name.clone(), what: "kafka.bootstrap_servers" });
    }
    let clients = context.aws().await;
    let cluster = msk::find_cluster(&clients.kafka, environment).await?.ok_or_else(|| RenderError::NotProvisioned {
        env: environment.name.clone(),
        what: format!("MSK cluster named {}", environment.name_prefix),
    })?;
    let brokers = msk::bootstrap_brokers(&clients.kafka, &cluster.arn).await?;
    let region =
        environment.region.clone().or_else(|| clients.kafka.config().region().map(|region| region.to_string()));
    kafka_from_brokers(environment, &brokers, region.as_deref())
}

/// How the pods' clients connect: the CA at its mount path, the SCRAM
/// login from the Secret (placeholders here: the manifests reference it).
fn pod_connection(environment: &Environment, kafka: &K8sKafka) -> KafkaConnection {
    let security_protocol = match kafka.auth {
        KafkaAuth::Plaintext => SecurityProtocol::Plaintext,
        KafkaAuth::Tls { .. } => SecurityProtocol::Ssl,
        KafkaAuth::SaslScram { .. } | KafkaAuth::MskIam { .. } => SecurityProtocol::SaslSsl,
    };
    let sasl = matches!(kafka.auth, KafkaAuth::SaslScram { .. }).then(|| {
        let username = environment.kafka.as_ref().and_then(|kafka| kafka.sasl_username.clone());
        ScramCredentials::new(username.unwrap_or_else(|| REDACTED.to_string()), SecretString::from(REDACTED))
    });
    KafkaConnection {
        bootstrap_servers: kafka.bootstrap_servers.clone(),
        security_protocol,
        ssl_ca_location: kafka.auth.private_ca().then(|| KAFKA_CA_PATH.to_string()),
        sasl,
    }
}

/// An IAM role ARN, by shape: `arn:<partition>:iam::<account>:role/<name>`.
fn valid_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty()))
}

/// The manifests for the tier, reaching Kafka as `kafka` says.
pub fn render_k8s(options: &RenderOptions, kafka: &K8sKafka) -> Result<Rendered<Vec<Manifest>>, RenderError> {
    if let Some(arn) = options.irsa_role_arn.as_deref().filter(|arn| !valid_role_arn(arn)) {
        return Err(RenderError::InvalidRoleArn { arn: arn.to_string() });
    }
    let environment = &options.environment;
    let connection = pod_connection(environment, kafka);
    // Kubernetes gets every password from a Secret, never from the manifest;
    // a CA bundle named on this machine is mounted from a Secret in the pod.
    let postgres = postgres_connection(environment, false)?;
    let postgres_ca = postgres.ca_file.is_some();
    let postgres =
        PostgresConnection { password: None, ca_file: postgres_ca.then(|| POSTGRES_CA_PATH.to_string()), ..postgres };
    let mongodb = mongodb_connection(environment, false);
    let roles = options
        .profile
        .roles
        .iter()
        .map(|role| {
            let mut env = role_vars(options, role.name, &connection, &postgres, mongodb.as_ref(), None)?;
            if let KafkaAuth::MskIam { region } = &kafka.auth {
                with_msk_iam(&mut env, region);
            }
            let instance_type = match environment.services.instance_size {
                InstanceSize::Dev => &role.instance_types.dev,
                InstanceSize::Production => &role.instance_types.production,
            };
            Ok(K8sRole {
                role: role.name,
                image: options.image(role.name),
                min: role.min,
                max: role.max,
                group: role.group.clone(),
                lag_per_instance: role.lag_per_instance,
                vars: env.vars,
                resources: k8s::resources::for_instance_type(instance_type),
            })
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let input = K8sInput {
        environment: environment.name.clone(),
        tier: options.profile.tier.clone(),
        name_prefix: environment.name_prefix.clone(),
        kafka: kafka.clone(),
        roles,
        irsa_role_arn: options.irsa_role_arn.clone(),
        cpu_target_percent: CPU_TARGET_PERCENT,
        postgres_ca,
    };
    let manifests = k8s::manifests(&input)?;
    Ok(Rendered { header: header(&input), body: manifests })
}

/// What to create before applying: the Secrets the manifests reference,
/// with the keys they read.
fn header(input: &K8sInput) -> String {
    let secrets = input.secrets();
    let mut keys: Vec<&str> = input
        .roles
        .iter()
        .flat_map(|role| role.vars.iter())
        .filter(|var| k8s::workload::from_secret(var))
        .map(|var| var.name.as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let literals: Vec<String> = keys.iter().map(|key| format!("--from-literal={key}=…")).collect();
    let mut text = format!(
        "# Kubernetes manifests for tier {} (environment {}), rendered by forgectl.\n\
         # Replica bounds come from the tier's ladder; the consumers scale with KEDA (2.x).\n\
         # Secrets are referenced, never included; create them first:\n\
         #   kubectl create secret generic {} {}\n",
        input.tier,
        input.environment,
        secrets.credentials,
        literals.join(" "),
    );
    let auth = &input.kafka.auth;
    if auth.private_ca() || matches!(auth, KafkaAuth::Tls { client_certificate: true, .. }) {
        let mut files = Vec::new();
        if auth.private_ca() {
            files.push(format!("--from-file={}=CA.pem", k8s::keda::CA_KEY));
        }
        if matches!(auth, KafkaAuth::Tls { client_certificate: true, .. }) {
            files.push(format!("--from-file={}=CLIENT.pem", k8s::keda::CERT_KEY));
            files.push(format!("--from-file={}=CLIENT-KEY.pem", k8s::keda::KEY_KEY));
        }
        text.push_str(&format!("#   kubectl create secret generic {} {}\n", secrets.kafka_tls, files.join(" ")));
    }
    if input.postgres_ca {
        text.push_str(&format!(
            "#   kubectl create secret generic {} --from-file={}=POSTGRES-CA.pem\n",
            secrets.postgres_ca,
            k8s::keda::CA_KEY
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(yaml: &str) -> Environment {
        crate::config::test_support::load_environment(&format!("environments:\n  t:\n{yaml}"))
    }

    fn brokers() -> BootstrapBrokers {
        BootstrapBrokers {
            plaintext: None,
            tls: Some("b-1:9094".into()),
            sasl_scram: Some("b-1:9096".into()),
            sasl_iam: Some("b-1:9098".into()),
        }
    }

    #[test]
    fn the_listener_and_auth_follow_the_client_auth() {
        let cases = [
            ("unauthenticated", "b-1:9094", KafkaAuth::Tls { private_ca: false, client_certificate: false }),
            ("mtls", "b-1:9094", KafkaAuth::Tls { private_ca: false, client_certificate: true }),
            ("sasl-scram", "b-1:9096", KafkaAuth::SaslScram { private_ca: false }),
            ("iam", "b-1:9098", KafkaAuth::MskIam { region: "eu-west-1".into() }),
        ];
        for (mode, bootstrap, auth) in cases {
            let env = environment(&format!("    provider: aws\n    client_auth: {mode}\n"));
            let kafka = kafka_from_brokers(&env, &brokers(), Some("eu-west-1")).unwrap_or_else(|err| panic!("{err}"));
            assert_eq!(kafka, K8sKafka { bootstrap_servers: bootstrap.into(), auth }, "{mode}");
        }
    }

    #[test]
    fn a_cluster_without_the_listener_is_not_provisioned_and_iam_needs_a_region() {
        let env = environment("    provider: aws\n    client_auth: sasl-scram\n");
        let none = BootstrapBrokers { sasl_scram: None, ..brokers() };
        assert!(matches!(kafka_from_brokers(&env, &none, None), Err(RenderError::NotProvisioned { .. })));
        let iam = environment("    provider: aws\n    client_auth: iam\n");
        assert!(matches!(kafka_auth(&iam, None), Err(RenderError::MissingEndpoint { what: "region", .. })));
    }

    #[test]
    fn a_self_managed_cluster_is_read_by_its_security_protocol() {
        let env = environment(
            "    provider: local\n    kafka: {bootstrap_servers: k:9093, security_protocol: SSL, ssl_ca_location: /ca.pem}\n",
        );
        assert_eq!(kafka_auth(&env, None).ok(), Some(KafkaAuth::Tls { private_ca: true, client_certificate: false }));
    }

    #[test]
    fn role_arns_are_checked_by_shape() {
        assert!(valid_role_arn("arn:aws:iam::123456789012:role/forgectl-services"));
        assert!(valid_role_arn("arn:aws-us-gov:iam::123456789012:role/path/name"));
        for bad in [
            "arn:aws:iam::1234:role/x",
            "arn:aws:iam::123456789012:user/x",
            "role/x",
            "arn:aws:iam::123456789012:role/",
        ] {
            assert!(!valid_role_arn(bad), "{bad}");
        }
    }
}
