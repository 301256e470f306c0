//! The manifests' properties, checked on the serialised documents the way
//! an admission controller or a reviewer reads them.

use serde_json::Value;

use super::*;
use crate::render::EnvVar;

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/forgectl-services";

fn var(name: &str, value: &str, secret: bool) -> EnvVar {
    EnvVar { name: name.into(), value: value.into(), secret }
}

fn role(name: RoleName) -> K8sRole {
    let consumer = name.is_consumer();
    K8sRole {
        role: name,
        image: format!("img/{name}:v1"),
        min: 2,
        max: 6,
        group: consumer.then(|| format!("{name}-group")),
        lag_per_instance: consumer.then_some(100),
        vars: vec![
            var("DI_KAFKA_BROKER_ENDPOINT", "b-1:9094", false),
            var("DI_KAFKA_SASL_USERNAME", "forgectl", false),
            var("DI_POSTGRES_PASSWORD", "<redacted>", true),
        ],
        resources: resources::for_instance_type("c7i.xlarge"),
    }
}

fn input(auth: KafkaAuth, irsa: Option<&str>) -> K8sInput {
    K8sInput {
        environment: "prod".into(),
        tier: "50k".into(),
        name_prefix: "forgectl-prod".into(),
        kafka: K8sKafka { bootstrap_servers: "b-1:9094,b-2:9094".into(), auth },
        roles: RoleName::ALL.iter().copied().map(role).collect(),
        irsa_role_arn: irsa.map(str::to_string),
        cpu_target_percent: 50,
        postgres_ca: true,
    }
}

/// The documents as YAML text, parsed back: what `kubectl apply` would read.
fn documents(input: &K8sInput) -> Vec<Value> {
    let manifests = manifests(input).unwrap_or_else(|err| panic!("{err}"));
    let text = to_yaml("# header\n", &manifests).unwrap_or_else(|err| panic!("{err}"));
    text.split("---\n")
        .skip(1)
        .map(|doc| serde_norway::from_str(doc).unwrap_or_else(|err| panic!("{err}\n{doc}")))
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|doc| doc["kind"] == kind).collect()
}

#[test]
fn every_container_runs_under_the_restricted_profile_with_requests_and_limits() {
    let docs = documents(&input(KafkaAuth::Plaintext, None));
    let deployments = of_kind(&docs, "Deployment");
    assert_eq!(deployments.len(), 4);
    for deployment in deployments {
        let pod = &deployment["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
        for container in pod["containers"].as_array().unwrap_or_else(|| panic!("containers")) {
            let context = &container["securityContext"];
            assert_eq!(context["runAsNonRoot"], true);
            assert!(context["runAsUser"].as_u64().is_some_and(|uid| uid > 0));
            assert_eq!(context["allowPrivilegeEscalation"], false);
            assert_eq!(context["capabilities"]["drop"], serde_json::json!(["ALL"]));
            assert_eq!(context["seccompProfile"]["type"], "RuntimeDefault");
            assert_eq!(context["readOnlyRootFilesystem"], true);
            for kind in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(container["resources"][kind][resource].is_string(), "{kind}.{resource}: {container}");
                }
            }
            let mounts = container["volumeMounts"].as_array().unwrap_or_else(|| panic!("mounts"));
            assert!(mounts.iter().any(|mount| mount["mountPath"] == "/tmp"), "writable /tmp");
        }
        assert!(pod["volumes"].as_array().is_some_and(|v| v.iter().any(|v| v["emptyDir"].is_object())));
    }
}

#[test]
fn each_deployment_has_a_budget_a_spread_an_account_and_no_replicas() {
    let docs = documents(&input(KafkaAuth::Plaintext, Some(ROLE_ARN)));
    let budgets = of_kind(&docs, "PodDisruptionBudget");
    let accounts = of_kind(&docs, "ServiceAccount");
    for deployment in of_kind(&docs, "Deployment") {
        let name = &deployment["metadata"]["name"];
        // HPA (producer) or KEDA (consumers) owns every role's scale.
        assert!(deployment["spec"]["replicas"].is_null(), "{name} states replicas");
        let selector = &deployment["spec"]["selector"]["matchLabels"];
        assert!(budgets.iter().any(|pdb| pdb["spec"]["selector"]["matchLabels"] == *selector), "{name}: no PDB");
        let pod = &deployment["spec"]["template"]["spec"];
        let spread = pod["topologySpreadConstraints"].as_array().unwrap_or_else(|| panic!("spread"));
        for key in ["topology.kubernetes.io/zone", "kubernetes.io/hostname"] {
            assert!(
                spread.iter().any(|c| c["topologyKey"] == key && c["whenUnsatisfiable"] == "ScheduleAnyway"),
                "{name}: {key}"
            );
        }
        let account = accounts
            .iter()
            .find(|account| account["metadata"]["name"] == pod["serviceAccountName"])
            .unwrap_or_else(|| panic!("{name}: no ServiceAccount"));
        assert_eq!(account["metadata"]["annotations"][IRSA_ANNOTATION], ROLE_ARN);
    }
    let scaled = of_kind(&docs, "ScaledObject").len() + of_kind(&docs, "HorizontalPodAutoscaler").len();
    assert_eq!(scaled, 4, "one autoscaler per Deployment");
    let plain = documents(&input(KafkaAuth::Plaintext, None));
    assert!(of_kind(&plain, "ServiceAccount").iter().all(|a| a["metadata"]["annotations"].is_null()));
}

#[test]
fn secrets_are_only_referenced() {
    let docs = documents(&input(KafkaAuth::SaslScram { private_ca: false }, None));
    let text = serde_json::to_string(&docs).unwrap_or_default();
    assert!(!text.contains("<redacted>"), "a placeholder leaked: {text}");
    for config_map in of_kind(&docs, "ConfigMap") {
        assert!(config_map["data"].get("DI_POSTGRES_PASSWORD").is_none());
        // KEDA reads the SCRAM user from the Secret, so the pods do too.
        assert!(config_map["data"].get("DI_KAFKA_SASL_USERNAME").is_none());
    }
    let deployment = of_kind(&docs, "Deployment")[0];
    let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
    let names: Vec<&str> = env.as_array().into_iter().flatten().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names, ["DI_KAFKA_SASL_USERNAME", "DI_POSTGRES_PASSWORD"]);
    assert!(env
        .as_array()
        .into_iter()
        .flatten()
        .all(|v| v["value"].is_null() && v["valueFrom"]["secretKeyRef"].is_object()));
}

fn authentication(auth: KafkaAuth) -> (Option<Value>, Value) {
    let docs = documents(&input(auth, Some(ROLE_ARN)));
    let found = of_kind(&docs, "TriggerAuthentication").first().map(|doc| (*doc).clone());
    let scaled = of_kind(&docs, "ScaledObject")[0].clone();
    let lag = scaled["spec"]["triggers"]
        .as_array()
        .and_then(|triggers| triggers.iter().find(|t| t["type"] == "kafka").cloned())
        .unwrap_or_else(|| panic!("kafka trigger"));
    (found, lag)
}

fn refs(authentication: &Value) -> Vec<(String, String, String)> {
    authentication["spec"]["secretTargetRef"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let text = |key: &str| r[key].as_str().unwrap_or_default().to_string();
            (text("parameter"), text("name"), text("key"))
        })
        .collect()
}

#[test]
fn trigger_authentication_follows_the_client_auth() {
    let (none, lag) = authentication(KafkaAuth::Plaintext);
    assert!(none.is_none() && lag["authenticationRef"].is_null() && lag["metadata"]["tls"].is_null());

    let (tls, lag) = authentication(KafkaAuth::Tls { private_ca: true, client_certificate: false });
    let tls = tls.unwrap_or_else(|| panic!("TLS with a private CA"));
    assert_eq!(refs(&tls), [("ca".into(), "forgectl-prod-kafka-tls".into(), "ca.crt".into())]);
    assert_eq!(lag["metadata"]["tls"], "enable");
    assert_eq!(lag["authenticationRef"]["name"], tls["metadata"]["name"]);

    let (mtls, _) = authentication(KafkaAuth::Tls { private_ca: true, client_certificate: true });
    let parameters: Vec<String> = refs(&mtls.unwrap_or_default()).into_iter().map(|r| r.0).collect();
    assert_eq!(parameters, ["ca", "cert", "key"]);

    let (scram, lag) = authentication(KafkaAuth::SaslScram { private_ca: false });
    let scram = scram.unwrap_or_else(|| panic!("SCRAM"));
    assert_eq!(
        refs(&scram),
        [
            ("username".into(), "forgectl-prod-secrets".into(), "DI_KAFKA_SASL_USERNAME".into()),
            ("password".into(), "forgectl-prod-secrets".into(), "DI_KAFKA_SASL_PASSWORD".into()),
        ]
    );
    assert_eq!(
        (lag["metadata"]["sasl"].as_str(), lag["metadata"]["tls"].as_str()),
        (Some("scram_sha512"), Some("enable"))
    );

    let (iam, lag) = authentication(KafkaAuth::MskIam { region: "eu-west-1".into() });
    let iam = iam.unwrap_or_else(|| panic!("IAM"));
    assert_eq!(iam["spec"]["podIdentity"]["provider"], "aws");
    assert_eq!(iam["spec"]["podIdentity"]["roleArn"], ROLE_ARN);
    assert!(iam["spec"]["secretTargetRef"].is_null());
    assert_eq!(lag["metadata"]["sasl"], "aws_msk_iam");
    assert_eq!(lag["metadata"]["awsRegion"], "eu-west-1");
    assert_eq!(lag["metadata"]["lagThreshold"], "100");
}

#[test]
fn a_private_ca_is_mounted_from_its_secret() {
    let docs = documents(&input(KafkaAuth::Tls { private_ca: true, client_certificate: false }, None));
    let pod = &of_kind(&docs, "Deployment")[0]["spec"]["template"]["spec"];
    let volume = pod["volumes"].as_array().and_then(|v| v.iter().find(|v| v["secret"].is_object()).cloned());
    assert_eq!(volume.unwrap_or_default()["secret"]["secretName"], "forgectl-prod-kafka-tls");
    let mounts = &pod["containers"][0]["volumeMounts"];
    for path in ["/etc/forgectl/kafka", "/etc/forgectl/postgres"] {
        assert!(mounts.as_array().is_some_and(|m| m.iter().any(|m| m["mountPath"] == path)), "{path}");
    }
    let secrets: Vec<&str> =
        pod["volumes"].as_array().into_iter().flatten().filter_map(|v| v["secret"]["secretName"].as_str()).collect();
    assert_eq!(secrets, ["forgectl-prod-kafka-tls", "forgectl-prod-postgres-ca"]);
}

#[test]
fn quotes_colons_and_line_breaks_round_trip() {
    let awkward = "db \"main\": one\nand: two # not a comment";
    let mut input = input(KafkaAuth::Plaintext, None);
    input.roles[1].vars.push(var("DI_MONGODB_DATABASE", awkward, false));
    for docs in [documents(&input), {
        let manifests = manifests(&input).unwrap_or_else(|err| panic!("{err}"));
        let json = serde_json::to_string(&manifests).unwrap_or_default();
        serde_json::from_str::<Vec<Value>>(&json).unwrap_or_else(|err| panic!("{err}"))
    }] {
        let config_map = of_kind(&docs, "ConfigMap")
            .into_iter()
            .find(|doc| doc["metadata"]["name"] == "sms-consumer-env")
            .unwrap_or_else(|| panic!("ConfigMap"));
        assert_eq!(config_map["data"]["DI_MONGODB_DATABASE"], awkward);
    }
}
