//! Helpers for the tests that run the local provider end to end against the
//! stack's real Kafka and PostgreSQL: a private environment (its own name,
//! state directory and a free balancer port), the forgectl binary pointed at
//! it, and a teardown that stops whatever it started.
//!
//! Those tests use the tier's real topic names and consumer groups (as the
//! main job does), so their canaries and uploads use unique batch and device
//! ids; two local deployments at once share the groups' partitions, and
//! every record is still written exactly once.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub fn required(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{name} is not set: run dev/stack up && eval \"$(dev/stack env)\""),
    }
}

/// The service binaries `cargo test --workspace` builds next to forgectl.
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_forgectl")).parent().map(Path::to_path_buf).unwrap_or_default();
    for binary in ["forgectl-producer", "forgectl-consumer"] {
        assert!(
            dir.join(binary).is_file(),
            "{binary} is not built in {}: run `cargo build -p forgectl-producer -p forgectl-consumer` (cargo test --workspace does)",
            dir.display()
        );
    }
    dir
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub name: String,
    pub port: u16,
}

impl Env {
    /// `label` keeps environments of different test files apart.
    pub fn new(label: &str) -> Self {
        required("KAFKA_BOOTSTRAP_SERVERS");
        required("DI_POSTGRES_PASSWORD");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .unwrap_or_else(|err| panic!("free port: {err}"));
        let name = format!("{label}{}", std::process::id());
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
        let config = format!(
            "environments:\n  {name}:\n    provider: local\n    tier: 50k\n    producer_port: {port}\n    kafka:\n      bootstrap_servers: \"${{KAFKA_BOOTSTRAP_SERVERS}}\"\n    postgres:\n      host: \"${{DI_POSTGRES_HOST}}\"\n      port: \"${{DI_POSTGRES_PORT}}\"\n      username: \"${{DI_POSTGRES_USERNAME}}\"\n      password_env: DI_POSTGRES_PASSWORD\n      database: \"${{DI_POSTGRES_DATABASE}}\"\n      sync_database: \"${{DI_POSTGRES_SYNC_DATABASE}}\"\n      ca_file: \"${{DI_POSTGRES_SSL_ROOT_CERT}}\"\n"
        );
        std::fs::write(dir.path().join("forgectl.yaml"), config).unwrap_or_else(|err| panic!("{err}"));
        Self { dir, name, port }
    }

    pub fn command(&self) -> Command {
        let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles");
        let mut command = Command::cargo_bin("forgectl").unwrap_or_else(|err| panic!("{err}"));
        command
            .current_dir(self.dir.path())
            .env("CI", "true")
            .args(["--env", &self.name, "--profiles-dir"])
            .arg(&profiles);
        command
    }

    pub fn forgectl(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap_or_else(|err| panic!("{err}"))
    }

    pub fn ok(&self, args: &[&str]) -> Value {
        let output = self.forgectl(args);
        assert!(
            output.status.success(),
            "forgectl {args:?} failed ({:?}):\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
    }

    /// The environment's producer key, which deploy generated into the
    /// state directory (mode 0600).
    pub fn api_key(&self) -> String {
        let path = self.dir.path().join(".forgectl").join(&self.name).join("producer-api-key");
        let key = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        key.trim().to_string()
    }

    /// A client that sends the environment's producer key.
    pub fn api_client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        let value = reqwest::header::HeaderValue::from_str(&self.api_key()).unwrap_or_else(|err| panic!("{err}"));
        headers.insert("x-api-key", value);
        reqwest::Client::builder().default_headers(headers).build().unwrap_or_else(|err| panic!("{err}"))
    }

    pub fn status(&self) -> Value {
        self.ok(&["status", "--output", "json"])
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = self.forgectl(&["destroy", "--yes", "--confirm", &self.name.clone()]);
    }
}
