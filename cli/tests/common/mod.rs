//! Shared helpers for the integration tests that run the real `forgectl`
//! binary against the local stack (`dev/stack up`). They never skip: with
//! the stack down they fail and say how to bring it up.
//!
//! Control-plane helpers: a private environment per test (its own name, so
//! its own cluster, configuration and security groups), a private copy of
//! the profiles (topic names prefixed, because the stack's Kafka is shared),
//! the binary's AWS call log, and AWS SDK clients to check what AWS reports
//! independently of forgectl's own code.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use serde_json::Value;

/// The runbooks' five topics, as named in `profiles/`.
pub const TOPICS: [&str; 5] =
    ["sms_batched", "events_log", "apps_and_device_batched", "contacts_batched", "call_logs_batched"];

/// The stack's AWS endpoint. Unset or unreachable means the stack is down:
/// fail loudly so that CI never passes vacuously.
pub fn aws_endpoint() -> String {
    let endpoint = match std::env::var("AWS_ENDPOINT_URL") {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("AWS_ENDPOINT_URL is not set: run dev/stack up && eval \"$(dev/stack env)\""),
    };
    let address = endpoint.trim_start_matches("http://").trim_start_matches("https://").trim_end_matches('/');
    if std::net::TcpStream::connect(address).is_err() {
        panic!("the AWS emulator at {endpoint} does not answer: run dev/stack up && eval \"$(dev/stack env)\"");
    }
    endpoint
}

/// A runtime and the SDK configuration for the emulator (the standard
/// chain, which the stack's environment points there), for tests that
/// check what AWS holds with the SDK directly.
pub fn emulator_sdk() -> (tokio::runtime::Runtime, aws_config::SdkConfig) {
    aws_endpoint();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|err| panic!("runtime: {err}"));
    let config = runtime.block_on(aws_config::defaults(aws_config::BehaviorVersion::latest()).load());
    (runtime, config)
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Process id, a counter and the clock: unique across parallel tests and reruns.
pub fn unique(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() % 100_000).unwrap_or(0);
    format!("{label}{}{n}x{millis}", std::process::id() % 10_000)
}

/// One AWS call as the binary logged it (`FORGECTL_AWS_CALL_LOG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub service: String,
    pub operation: String,
    pub mutating: bool,
}

/// A throw-away environment of the emulator, destroyed when dropped.
pub struct CpEnv {
    pub name: String,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub profiles: PathBuf,
    pub call_log: PathBuf,
    /// Prefix of this environment's topic names.
    pub topic_prefix: String,
    /// Leave the environment standing when the test ends (tests that
    /// destroy it themselves and check the result).
    pub keep: bool,
}

impl CpEnv {
    pub fn new(label: &str) -> Self {
        Self::with_settings(label, "")
    }

    /// `settings` are extra YAML lines (4-space indented) for the environment.
    pub fn with_settings(label: &str, settings: &str) -> Self {
        aws_endpoint();
        // The stack's brokers present certificates from its own CA (topics sync).
        Self::build(label, &format!("    kafka:\n      ssl_ca_location: \"${{KAFKA_TLS_CA_LOCATION}}\"\n{settings}"))
    }

    /// An environment for tests that must not reach AWS at all (bad input):
    /// needs neither the stack nor its variables.
    pub fn offline(label: &str, settings: &str) -> Self {
        Self::build(label, settings)
    }

    fn build(label: &str, settings: &str) -> Self {
        let name = unique(&format!("cp-{label}-"));
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
        let config = dir.path().join("forgectl.yaml");
        let yaml = format!(
            "default_environment: {name}\nenvironments:\n  {name}:\n    provider: aws\n    region: us-east-1\n    \
             tags:\n      team: platform\n    tier: 50k\n{settings}"
        );
        std::fs::write(&config, yaml).unwrap_or_else(|err| panic!("write config: {err}"));
        let topic_prefix = format!("{}_", name.replace('-', ""));
        let profiles = dir.path().join("profiles");
        copy_profiles(&profiles, &topic_prefix);
        let call_log = dir.path().join("aws-calls.jsonl");
        CpEnv { name, dir, config, profiles, call_log, topic_prefix, keep: false }
    }

    /// The binary, pointed at this environment, its profiles and its call
    /// log, without a terminal (plain progress lines, no prompts).
    pub fn forgectl(&self) -> Command {
        Command::from_std(self.forgectl_process())
    }

    /// The same as [`CpEnv::forgectl`], as a plain process: for tests that
    /// spawn it and read its output while it runs.
    pub fn forgectl_process(&self) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("forgectl"));
        command
            .current_dir(self.dir.path())
            .env("CI", "true")
            .env("FORGECTL_AWS_CALL_LOG", &self.call_log)
            .env_remove("FORGECTL_ENV")
            .env_remove("FORGECTL_CONFIG")
            .env_remove("FORGECTL_PROFILES_DIR")
            .arg("--config")
            .arg(&self.config)
            .arg("--env")
            .arg(&self.name)
            .arg("--profiles-dir")
            .arg(&self.profiles);
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let output = self.forgectl().args(args).output().unwrap_or_else(|err| panic!("run forgectl: {err}"));
        output
    }

    /// Runs with `--output json`, asserts success and parses stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let output =
            self.forgectl().args(["--output", "json"]).args(args).output().unwrap_or_else(|err| panic!("{err}"));
        assert_success(&output, args);
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|err| panic!("{args:?}: stdout is not JSON ({err}): {}", text(&output.stdout)))
    }

    pub fn provision(&self, tier: &str) -> Value {
        self.json(&["provision", "--tier", tier, "--yes", "--skip-topics"])
    }

    /// The calls logged since the last `take_calls`, oldest first.
    pub fn take_calls(&self) -> Vec<Call> {
        let text = std::fs::read_to_string(&self.call_log).unwrap_or_default();
        let _ = std::fs::remove_file(&self.call_log);
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .map(|value| Call {
                service: value["service"].as_str().unwrap_or_default().to_string(),
                operation: value["operation"].as_str().unwrap_or_default().to_string(),
                mutating: value["mutating"].as_bool().unwrap_or(true),
            })
            .collect()
    }

    pub fn destroy(&self) -> Output {
        self.run(&["destroy", "--yes", "--confirm", &self.name])
    }
}

impl Drop for CpEnv {
    /// Best effort: a failed assertion must not leave a cluster behind.
    fn drop(&mut self) {
        if !self.keep {
            let _ = self.destroy();
        }
    }
}

pub fn mutating(calls: &[Call]) -> Vec<String> {
    calls.iter().filter(|call| call.mutating).map(|call| call.operation.clone()).collect()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn assert_success(output: &Output, args: &[&str]) {
    assert!(
        output.status.success(),
        "forgectl {args:?} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// `profiles/` with prefixed topic and group names, plus a tier `mega`
/// (100k's layout on bigger, larger-disk brokers) for the in-place update tests.
fn copy_profiles(target: &Path, prefix: &str) {
    write_prefixed_profiles(target, prefix, &|_, text| text);
    let hundred = std::fs::read_to_string(target.join("100k.yaml")).unwrap_or_else(|err| panic!("read 100k: {err}"));
    let mega = hundred
        .replace("dau: 100000", "dau: 150000")
        .replace("  brokers: 6", "  brokers: 6\n  ebs_volume_gib: 200\n  broker_type: kafka.m7g.xlarge");
    std::fs::write(target.join("mega.yaml"), mega).unwrap_or_else(|err| panic!("write mega: {err}"));
}

/// Copies `profiles/` into `target` with every topic and consumer group
/// name prefixed (the stack's Kafka is shared), passing each file's text
/// through `edit` (file name, text) first.
pub fn write_prefixed_profiles(target: &Path, prefix: &str, edit: &dyn Fn(&str, String) -> String) {
    std::fs::create_dir(target).unwrap_or_else(|err| panic!("mkdir: {err}"));
    let source = repo_root().join("profiles");
    for entry in std::fs::read_dir(&source).unwrap_or_else(|err| panic!("read profiles: {err}")) {
        let path = entry.unwrap_or_else(|err| panic!("{err}")).path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let mut text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {name}: {err}"));
        for topic in TOPICS {
            text = text.replace(topic, &format!("{prefix}{topic}"));
        }
        text = text.replace("-consumer-group", &format!("-consumer-group-{prefix}"));
        std::fs::write(target.join(&name), edit(&name, text)).unwrap_or_else(|err| panic!("write {name}: {err}"));
    }
}

/// SDK clients for checking what AWS reports, built like any AWS program
/// (the standard chain; AWS_ENDPOINT_URL points them at the emulator).
pub struct Aws {
    pub runtime: tokio::runtime::Runtime,
    pub kafka: aws_sdk_kafka::Client,
    pub ec2: aws_sdk_ec2::Client,
}

impl Aws {
    pub fn new() -> Self {
        let (runtime, config) = emulator_sdk();
        Aws { kafka: aws_sdk_kafka::Client::new(&config), ec2: aws_sdk_ec2::Client::new(&config), runtime }
    }
}
