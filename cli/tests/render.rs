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

#[test]
fn k8s_manifests_carry_the_ladder_and_no_secret() {
    let text = run(&["--env", "local", "render", "k8s", "--tier", "100k", "--version", "v1.2.3"]);
    assert!(!text.contains(PASSWORD));
    let documents: Vec<Value> = text
        .split("\n---\n")
        .filter(|doc| doc.lines().any(|line| line.starts_with("kind:")))
        .map(|doc| serde_norway::from_str(doc).unwrap_or_else(|err| panic!("{err}\n{doc}")))
        .collect();
    let find = |kind: &str, name: &str| {
        documents
            .iter()
            .find(|doc| doc["kind"] == kind && doc["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    };
    let producer_hpa = find("HorizontalPodAutoscaler", "producer");
    assert_eq!(
        (producer_hpa["spec"]["minReplicas"].as_u64(), producer_hpa["spec"]["maxReplicas"].as_u64()),
        (Some(4), Some(10))
    );
    let sms = find("ScaledObject", "sms-consumer");
    assert_eq!((sms["spec"]["minReplicaCount"].as_u64(), sms["spec"]["maxReplicaCount"].as_u64()), (Some(4), Some(16)));
    let lag = sms["spec"]["triggers"]
        .as_array()
        .and_then(|triggers| triggers.iter().find(|t| t["type"] == "kafka"))
        .unwrap_or_else(|| panic!("kafka trigger"));
    assert_eq!(lag["metadata"]["consumerGroup"], "sms-consumer-group");
    // The profile's lag per instance: what the Auto Scaling groups track on AWS.
    assert_eq!(lag["metadata"]["lagThreshold"], "100");
    assert_eq!(find("Service", "producer")["spec"]["type"], "LoadBalancer");
    let deployment = find("Deployment", "events-consumer");
    assert_eq!(deployment["spec"]["replicas"], 3);
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "forgectl-consumer:v1.2.3");
    assert_eq!(container["env"][0]["valueFrom"]["secretKeyRef"]["key"], "DI_POSTGRES_PASSWORD");
    // The consumers' non-secret variables sit in their ConfigMaps.
    assert!(text.contains("DI_MONGODB_HOST: \"127.0.0.1\""), "{text}");
    assert!(text.contains("DI_MONGODB_ENABLED_SOURCES: \"*\""), "{text}");
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
    assert_eq!(compose["services"]["mongodb"]["image"], "mongo:7");
    let consumer = &compose["services"]["common-consumer"];
    assert_eq!(consumer["environment"]["DI_MONGODB_HOST"], "mongodb");
    assert_eq!(consumer["environment"]["DI_MONGODB_PASSWORD"], "${DI_MONGODB_PASSWORD}");
    assert!(consumer["depends_on"]["mongodb"].is_object());
    assert!(compose["services"]["producer"]["environment"]["DI_MONGODB_HOST"].is_null());
    assert!(!text.contains(PASSWORD));
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
}

#[test]
fn json_output_is_refused_where_the_render_is_yaml() {
    for what in ["compose", "k8s", "prometheus"] {
        let output = forgectl()
            .args(["--env", "local", "--output", "json", "render", what])
            .output()
            .unwrap_or_else(|err| panic!("{err}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains("not JSON") && stderr.contains("hint:"), "{what}: {stderr}");
        assert!(output.stdout.is_empty(), "{what}: nothing half-written on stdout");
    }
}
