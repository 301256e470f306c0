//! `forgectl render …` against the repo's `local` environment.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const PASSWORD: &str = "render-test-password-7f3a";

fn forgectl() -> Command {
    let mut command = Command::cargo_bin("forgectl").unwrap_or_else(|err| panic!("forgectl binary: {err}"));
    command
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env("CI", "true")
        .env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:29092,127.0.0.1:29093")
        .env("DI_POSTGRES_HOST", "127.0.0.1")
        .env("DI_POSTGRES_PORT", "25432")
        .env("DI_POSTGRES_USERNAME", "mobileforge_user")
        .env("DI_POSTGRES_PASSWORD", PASSWORD)
        .env("DI_POSTGRES_DATABASE", "api_insights_db")
        .env("DI_POSTGRES_SYNC_DATABASE", "sync_db")
        .env("DI_POSTGRES_SSL_ROOT_CERT", "/stack/tls/ca.pem")
        .env("DI_MONGODB_HOST", "127.0.0.1")
        .env("DI_MONGODB_PORT", "25017")
        .env("DI_MONGODB_DATABASE", "sync_db");
    command
}

fn run(args: &[&str]) -> String {
    let output = forgectl().args(args).output().unwrap_or_else(|err| panic!("{err}"));
    assert!(output.status.success(), "forgectl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn env_file_matches_the_runbooks_split_and_redacts_the_password() {
    let text = run(&["--env", "local", "render", "env", "--role", "common-consumer"]);
    for line in [
        "ENABLED_TOPICS=apps_and_device_batched,contacts_batched,call_logs_batched",
        "KAFKA_CONSUMER_GROUP=common-consumer-group",
        "DI_KAFKA_BROKER_ENDPOINT=127.0.0.1:29092,127.0.0.1:29093",
        "DI_POSTGRES_SYNC_DATABASE=sync_db",
        // verify-full is the services' default, so only the CA is written.
        "DI_POSTGRES_SSL_ROOT_CERT=/stack/tls/ca.pem",
        "DI_POSTGRES_PASSWORD=<redacted>",
        "DI_MONGODB_HOST=127.0.0.1",
        "DI_MONGODB_PORT=25017",
        "DI_MONGODB_DATABASE=sync_db",
        "DI_MONGODB_ENABLED_SOURCES=*",
    ] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in:\n{text}");
    }
    assert!(!text.contains(PASSWORD));
    assert!(!text.contains("DI_POSTGRES_SSL_MODE"), "a weaker mode is written only when named:\n{text}");
}

#[test]
fn env_file_shows_secrets_only_when_asked() {
    let text = run(&["--env", "local", "render", "env", "--role", "producer", "--show-secrets"]);
    assert!(text.lines().any(|l| l == format!("DI_POSTGRES_PASSWORD={PASSWORD}")));
    assert!(!text.contains("ENABLED_TOPICS"), "the producer consumes nothing");
    assert!(!text.contains("DI_MONGODB"), "the producer never writes to MongoDB");
}

#[test]
fn india_switch_narrows_the_common_consumer() {
    let text = run(&["--env", "local", "--india", "render", "env", "--role", "common-consumer"]);
    assert!(text.lines().any(|l| l == "ENABLED_TOPICS=apps_and_device_batched"), "{text}");
}

/// The documents of a `render k8s` run, parsed (the header's comments skipped).
fn k8s_documents(text: &str) -> Vec<Value> {
    text.split("---\n")
        .skip(1)
        .map(|doc| serde_norway::from_str(doc).unwrap_or_else(|err| panic!("{err}\n{doc}")))
        .collect()
}

fn find<'a>(documents: &'a [Value], kind: &str, name: &str) -> &'a Value {
    documents
        .iter()
        .find(|doc| doc["kind"] == kind && doc["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn k8s_manifests_carry_the_ladder_and_no_secret() {
    let text = run(&["--env", "local", "render", "k8s", "--tier", "100k", "--version", "v1.2.3"]);
    assert!(!text.contains(PASSWORD));
    let documents = k8s_documents(&text);
    let producer_hpa = find(&documents, "HorizontalPodAutoscaler", "producer");
    assert_eq!(
        (producer_hpa["spec"]["minReplicas"].as_u64(), producer_hpa["spec"]["maxReplicas"].as_u64()),
        (Some(4), Some(10))
    );
    let sms = find(&documents, "ScaledObject", "sms-consumer");
    assert_eq!((sms["spec"]["minReplicaCount"].as_u64(), sms["spec"]["maxReplicaCount"].as_u64()), (Some(4), Some(16)));
    let lag = sms["spec"]["triggers"]
        .as_array()
        .and_then(|triggers| triggers.iter().find(|t| t["type"] == "kafka"))
        .unwrap_or_else(|| panic!("kafka trigger"));
    assert_eq!(lag["metadata"]["consumerGroup"], "sms-consumer-group");
    // The profile's lag per instance: what the Auto Scaling groups track on AWS.
    assert_eq!(lag["metadata"]["lagThreshold"], "100");
    assert_eq!(find(&documents, "Service", "producer")["spec"]["type"], "LoadBalancer");
    let deployment = find(&documents, "Deployment", "events-consumer");
    // KEDA owns the scale: the ladder's minimum sits in the ScaledObject.
    assert!(deployment["spec"]["replicas"].is_null());
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "forgectl-consumer:v1.2.3");
    assert_eq!(container["env"][0]["valueFrom"]["secretKeyRef"]["key"], "DI_POSTGRES_PASSWORD");
    // The consumers' non-secret variables sit in their ConfigMaps.
    let config = &find(&documents, "ConfigMap", "events-consumer-env")["data"];
    assert_eq!(config["DI_MONGODB_HOST"], "127.0.0.1");
    assert_eq!(config["DI_MONGODB_ENABLED_SOURCES"], "*");
    // The CA named on this machine is mounted from a Secret in the pods.
    assert_eq!(config["DI_POSTGRES_SSL_ROOT_CERT"], "/etc/forgectl/postgres/ca.crt");
}

const SCRAM_PASSWORD: &str = "render-test-scram-9c1d";
const MONGO_PASSWORD: &str = "render-test-mongo-44e0";
/// A value YAML and JSON must quote: a `"`, a `:`, a `#`.
const AWKWARD_DATABASE: &str = r#"sync "db": main # one"#;

/// `render k8s` for one of the auth fixtures' environments.
fn k8s_for(env: &str, extra: &[&str]) -> Vec<Value> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render/forgectl.yaml");
    let mut args = vec!["--config", fixture.to_str().unwrap_or_default(), "--env", env, "render", "k8s"];
    args.extend_from_slice(extra);
    let output = forgectl()
        .env("RENDER_TEST_PG_PASSWORD", PASSWORD)
        .env("RENDER_TEST_SCRAM_PASSWORD", SCRAM_PASSWORD)
        .env("RENDER_TEST_MONGO_PASSWORD", MONGO_PASSWORD)
        .env("RENDER_TEST_MONGO_DATABASE", AWKWARD_DATABASE)
        .args(&args)
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    for secret in [PASSWORD, SCRAM_PASSWORD, MONGO_PASSWORD, "<redacted>"] {
        assert!(!text.contains(secret), "{env}: `{secret}` in the manifests");
    }
    k8s_documents(&text)
}

fn of_kind<'a>(documents: &'a [Value], kind: &str) -> Vec<&'a Value> {
    documents.iter().filter(|doc| doc["kind"] == kind).collect()
}

fn secret_refs(authentication: &Value) -> Vec<String> {
    let refs = authentication["spec"]["secretTargetRef"].as_array().cloned().unwrap_or_default();
    refs.iter().map(|r| format!("{}={}/{}", r["parameter"], r["name"], r["key"]).replace('"', "")).collect()
}

#[test]
fn every_deployment_is_one_a_cluster_admin_accepts() {
    let arn = "arn:aws:iam::123456789012:role/forgectl-services";
    let documents = k8s_for("scram", &["--irsa-role-arn", arn]);
    let deployments = of_kind(&documents, "Deployment");
    assert_eq!(deployments.len(), 4);
    for deployment in deployments {
        let name = deployment["metadata"]["name"].as_str().unwrap_or_default();
        assert!(deployment["spec"]["replicas"].is_null(), "{name}: an autoscaler owns the scale");
        let pod = &deployment["spec"]["template"]["spec"];
        for container in pod["containers"].as_array().into_iter().flatten() {
            let security = &container["securityContext"];
            assert_eq!(security["runAsNonRoot"], true, "{name}");
            assert!(security["runAsUser"].as_u64().is_some_and(|uid| uid > 0), "{name}");
            assert_eq!(security["allowPrivilegeEscalation"], false, "{name}");
            assert_eq!(security["capabilities"]["drop"][0], "ALL", "{name}");
            assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault", "{name}");
            assert_eq!(security["readOnlyRootFilesystem"], true, "{name}");
            for (kind, resource) in
                [("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory")]
            {
                assert!(container["resources"][kind][resource].is_string(), "{name}: {kind}.{resource}");
            }
        }
        let keys: Vec<&str> = pod["topologySpreadConstraints"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["topologyKey"].as_str())
            .collect();
        assert_eq!(keys, ["topology.kubernetes.io/zone", "kubernetes.io/hostname"], "{name}");
        find(&documents, "PodDisruptionBudget", name);
        let account = find(&documents, "ServiceAccount", pod["serviceAccountName"].as_str().unwrap_or_default());
        assert_eq!(account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"], arn);
    }
    let authentication = of_kind(&documents, "TriggerAuthentication");
    assert_eq!(authentication.len(), 1);
    assert_eq!(
        secret_refs(authentication[0]),
        [
            "username=forgectl-scram-secrets/DI_KAFKA_SASL_USERNAME",
            "password=forgectl-scram-secrets/DI_KAFKA_SASL_PASSWORD"
        ]
    );
    let bootstrap = &find(&documents, "ConfigMap", "producer-env")["data"]["DI_KAFKA_BROKER_ENDPOINT"];
    assert_eq!(bootstrap, "b-1.msk:9096,b-2.msk:9096");
}

#[test]
fn the_trigger_authentication_follows_tls_and_iam() {
    let tls = k8s_for("tls", &[]);
    let authentication = of_kind(&tls, "TriggerAuthentication");
    assert_eq!(secret_refs(authentication[0]), ["ca=forgectl-tls-kafka-tls/ca.crt"]);
    let config = &find(&tls, "ConfigMap", "sms-consumer-env")["data"];
    assert_eq!(config["DI_KAFKA_SSL_CA_LOCATION"], "/etc/forgectl/kafka/ca.crt");
    assert_eq!(config["DI_MONGODB_DATABASE"], AWKWARD_DATABASE, "a quote and a colon round-trip");
    let mtls = k8s_for("mtls", &[]);
    assert_eq!(
        secret_refs(of_kind(&mtls, "TriggerAuthentication")[0]),
        ["cert=forgectl-mtls-kafka-tls/tls.crt", "key=forgectl-mtls-kafka-tls/tls.key"]
    );
    let iam = k8s_for("iam", &[]);
    let authentication = of_kind(&iam, "TriggerAuthentication")[0];
    assert_eq!(authentication["spec"]["podIdentity"]["provider"], "aws");
    let lag = find(&iam, "ScaledObject", "common-consumer")["spec"]["triggers"][1].clone();
    assert_eq!(
        (lag["metadata"]["sasl"].as_str(), lag["metadata"]["awsRegion"].as_str()),
        (Some("aws_msk_iam"), Some("eu-west-1"))
    );
    let config = &find(&iam, "ConfigMap", "producer-env")["data"];
    assert_eq!(config["DI_KAFKA_MSK_IAM_REGION"], "eu-west-1");
    assert_eq!(config["DI_KAFKA_SECURITY_PROTOCOL"], "SASL_SSL");
}

#[test]
fn a_malformed_irsa_role_is_bad_input() {
    let output = forgectl()
        .args(["--env", "local", "render", "k8s", "--irsa-role-arn", "forgectl-services"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn compose_file_declares_every_topic_and_service() {
    let text = run(&["--env", "local", "render", "compose", "--tier", "50k"]);
    let compose: Value = serde_norway::from_str(&text).unwrap_or_else(|err| panic!("{err}\n{text}"));
    for service in ["kafka", "topics", "postgres", "producer", "sms-consumer", "events-consumer", "common-consumer"] {
        assert!(compose["services"][service].is_object(), "service {service}");
    }
    assert_eq!(compose["services"]["sms-consumer"]["deploy"]["replicas"], 2);
    let topics_script = compose["services"]["topics"]["command"][0].as_str().unwrap_or_default();
    assert!(topics_script.contains("--topic sms_batched --partitions 8"), "{topics_script}");
    // The dead-letter topics the consumers write to, as `topics sync` names them.
    for topic in ["sms_batched.dlq", "events_log.dlq", "call_logs_batched.dlq"] {
        assert!(topics_script.contains(&format!("--topic {topic} --partitions 1")), "{topic}: {topics_script}");
    }
    assert_eq!(compose["services"]["mongodb"]["image"], "mongo:7");
    let consumer = &compose["services"]["common-consumer"];
    assert_eq!(consumer["environment"]["DI_MONGODB_HOST"], "mongodb");
    assert_eq!(consumer["environment"]["DI_MONGODB_PASSWORD"], "${DI_MONGODB_PASSWORD}");
    assert!(consumer["depends_on"]["mongodb"].is_object());
    assert!(compose["services"]["producer"]["environment"]["DI_MONGODB_HOST"].is_null());
    assert!(!text.contains(PASSWORD));
}

#[test]
fn compose_renders_for_an_aws_environment_too() {
    let output = forgectl()
        .env("KAFKA_TLS_CA_LOCATION", "/stack/tls/ca.pem")
        .args(["--env", "emulator", "render", "compose"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let compose: Value = serde_norway::from_str(&text).unwrap_or_else(|err| panic!("{err}\n{text}"));
    assert_eq!(compose["services"]["producer"]["environment"]["DI_KAFKA_BROKER_ENDPOINT"], "kafka:9092");
}

#[test]
fn compose_and_k8s_answer_json() {
    let compose = forgectl().args(["--env", "local", "--output", "json", "render", "compose"]).output();
    let compose = compose.unwrap_or_else(|err| panic!("{err}"));
    assert!(compose.status.success(), "{}", String::from_utf8_lossy(&compose.stderr));
    let compose: Value = serde_json::from_slice(&compose.stdout).unwrap_or_else(|err| panic!("{err}"));
    assert!(compose["services"]["topics"].is_object());
    let k8s = forgectl().args(["--env", "local", "--output", "json", "render", "k8s"]).output();
    let k8s = k8s.unwrap_or_else(|err| panic!("{err}"));
    assert!(k8s.status.success(), "{}", String::from_utf8_lossy(&k8s.stderr));
    let documents: Vec<Value> = serde_json::from_slice(&k8s.stdout).unwrap_or_else(|err| panic!("{err}"));
    assert!(documents.iter().any(|doc| doc["kind"] == "Deployment"));
    assert!(!String::from_utf8_lossy(&k8s.stdout).contains(PASSWORD));
}

#[test]
fn unknown_role_is_bad_input() {
    let output = forgectl()
        .args(["--env", "local", "render", "env", "--role", "batch-consumer"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_env_file_with_secrets_is_written_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("producer.env");
    // A file that already exists with a wide mode is narrowed, not reused as is.
    std::fs::write(&out, "old").unwrap_or_else(|err| panic!("{err}"));
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap_or_else(|err| panic!("{err}"));
    let out_arg = out.to_string_lossy().to_string();
    run(&["--env", "local", "render", "env", "--role", "producer", "--show-secrets", "--out", &out_arg]);
    let mode = std::fs::metadata(&out).map(|meta| meta.permissions().mode() & 0o777).unwrap_or_default();
    assert_eq!(mode, 0o600, "{mode:o}");
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(text.contains(&format!("DI_POSTGRES_PASSWORD={PASSWORD}")));
    // A new file is born owner-only, and nothing is left beside it.
    let fresh = dir.path().join("fresh.env");
    let fresh_arg = fresh.to_string_lossy().to_string();
    run(&["--env", "local", "render", "env", "--role", "producer", "--show-secrets", "--out", &fresh_arg]);
    let mode = std::fs::metadata(&fresh).map(|meta| meta.permissions().mode() & 0o777).unwrap_or_default();
    assert_eq!(mode, 0o600, "{mode:o}");
    let files = std::fs::read_dir(dir.path()).map(|entries| entries.count()).unwrap_or_default();
    assert_eq!(files, 2, "no temporary file left behind");
}

#[test]
fn json_output_is_refused_for_prometheus_rules() {
    let output = forgectl()
        .args(["--env", "local", "--output", "json", "render", "prometheus"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not JSON") && stderr.contains("hint:"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing half-written on stdout");
}
