//! The lag alert end to end against the local stack's real Prometheus:
//! deploy locally, load the rules `forgectl render prometheus` writes, send
//! uploads, stop the SMS consumers and see `ConsumerLagHigh` fire within two
//! minutes (the bar), bring the consumers back with `deploy` and
//! see it resolve.
//!
//! Lag comes from the stack's Kafka group-lag exporter (committed offsets
//! against high watermarks), so it is there while no consumer runs. The
//! environment uses its own consumer-group names (a profile copy) so other
//! deployments on the shared stack cannot drain its lag, and a low warning
//! threshold so a short burst of uploads is enough.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

mod local_support;
use local_support::{artifacts_dir, required};

/// The bar: the alert fires within two minutes of the consumers stopping.
const FIRE_WITHIN: Duration = Duration::from_secs(120);
/// Resolving needs the consumers to start, catch up, and one evaluation.
const RESOLVE_WITHIN: Duration = Duration::from_secs(120);
/// Set-up waits (first commit, catching up), generous on a busy 2-core machine.
const SETTLE_WITHIN: Duration = Duration::from_secs(180);
/// Upper bound on the background upload loop, whatever happens.
const LOAD_LIMIT: Duration = Duration::from_secs(720);
const LAG_WARNING: u64 = 50;

struct AlertEnv {
    dir: tempfile::TempDir,
    name: String,
    port: u16,
    group: String,
    rules_file: PathBuf,
    prometheus: String,
}

impl AlertEnv {
    fn new() -> Self {
        required("KAFKA_BOOTSTRAP_SERVERS");
        required("DI_POSTGRES_PASSWORD");
        let prometheus = required("FORGECTL_PROMETHEUS_URL");
        required("FORGECTL_PROMETHEUS_SD_DIR");
        let rules_dir = PathBuf::from(required("FORGECTL_PROMETHEUS_RULES_DIR"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .unwrap_or_else(|err| panic!("free port: {err}"));
        let pid = std::process::id();
        let name = format!("lalert{pid}");
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
        let config = format!(
            "environments:\n  {name}:\n    provider: local\n    tier: 50k\n    producer_port: {port}\n    kafka:\n      bootstrap_servers: \"${{KAFKA_BOOTSTRAP_SERVERS}}\"\n    postgres:\n      host: \"${{DI_POSTGRES_HOST}}\"\n      port: \"${{DI_POSTGRES_PORT}}\"\n      username: \"${{DI_POSTGRES_USERNAME}}\"\n      password_env: DI_POSTGRES_PASSWORD\n      database: \"${{DI_POSTGRES_DATABASE}}\"\n      sync_database: \"${{DI_POSTGRES_SYNC_DATABASE}}\"\n      ca_file: \"${{DI_POSTGRES_SSL_ROOT_CERT}}\"\n"
        );
        std::fs::write(dir.path().join("forgectl.yaml"), config).unwrap_or_else(|err| panic!("{err}"));
        // The repo's profiles with this run's own group names and a low lag threshold.
        let profiles = dir.path().join("profiles");
        std::fs::create_dir(&profiles).unwrap_or_else(|err| panic!("{err}"));
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles");
        for entry in std::fs::read_dir(&source).unwrap_or_else(|err| panic!("{err}")).filter_map(Result::ok) {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_else(|err| panic!("{err}"));
            let text = text
                .replace("-consumer-group\n", &format!("-consumer-group-e2e{pid}\n"))
                .replace("consumer_lag_warning: 500", &format!("consumer_lag_warning: {LAG_WARNING}"));
            std::fs::write(profiles.join(entry.file_name()), text).unwrap_or_else(|err| panic!("{err}"));
        }
        let rules_file = rules_dir.join(format!("forgectl-{name}.yml"));
        Self { dir, name, port, group: format!("sms-consumer-group-e2e{pid}"), rules_file, prometheus }
    }

    fn command(&self) -> Command {
        let mut command = Command::cargo_bin("forgectl").unwrap_or_else(|err| panic!("{err}"));
        command
            .current_dir(self.dir.path())
            .env("CI", "true")
            .args(["--env", &self.name, "--profiles-dir"])
            .arg(self.dir.path().join("profiles"));
        command
    }

    fn forgectl(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap_or_else(|err| panic!("{err}"))
    }

    fn ok(&self, args: &[&str]) -> Value {
        let output = self.forgectl(args);
        assert!(
            output.status.success(),
            "forgectl {args:?} failed ({:?}):\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null)
    }

    fn api_client(&self) -> reqwest::Client {
        let path = self.dir.path().join(".forgectl").join(&self.name).join("producer-api-key");
        let key = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let mut headers = reqwest::header::HeaderMap::new();
        let value = reqwest::header::HeaderValue::from_str(key.trim()).unwrap_or_else(|err| panic!("{err}"));
        headers.insert("x-api-key", value);
        reqwest::Client::builder()
            .default_headers(headers)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_else(|err| panic!("{err}"))
    }

    async fn reload_prometheus(&self) {
        let response = reqwest::Client::new()
            .post(format!("{}/-/reload", self.prometheus))
            .send()
            .await
            .unwrap_or_else(|err| panic!("reloading Prometheus: {err}"));
        assert!(response.status().is_success(), "reload: HTTP {}", response.status());
    }

    /// The state of this run's `alert` for its SMS group, if Prometheus has it.
    async fn alert_state(&self, alert: &str) -> Option<String> {
        let body: Value = reqwest::get(format!("{}/api/v1/alerts", self.prometheus)).await.ok()?.json().await.ok()?;
        body["data"]["alerts"].as_array()?.iter().find_map(|entry| {
            let labels = &entry["labels"];
            (labels["alertname"] == alert && labels["group"] == self.group.as_str())
                .then(|| entry["state"].as_str().unwrap_or_default().to_string())
        })
    }

    /// The group's lag as Prometheus sees it.
    async fn lag(&self) -> Option<f64> {
        self.instant(&format!("sum(kafka_consumergroup_lag{{group=\"{}\"}})", self.group)).await
    }

    /// What the lag exporter says of itself, for a failed wait's message.
    async fn exporter_state(&self) -> String {
        let refreshed = self.instant("max(kafka_lag_exporter_refresh_ok)").await;
        let unreadable = self.instant("max(kafka_lag_exporter_groups_unreadable)").await;
        let groups = self.instant("count(count by (group) (kafka_consumergroup_lag))").await;
        format!("lag exporter: refresh_ok {refreshed:?}, groups with lag {groups:?}, groups unreadable {unreadable:?}")
    }

    /// One value of an instant query.
    async fn instant(&self, query: &str) -> Option<f64> {
        let body: Value = reqwest::Client::new()
            .get(format!("{}/api/v1/query", self.prometheus))
            .query(&[("query", query)])
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        body["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    }

    async fn wait_for(&self, what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Duration {
        let started = Instant::now();
        while started.elapsed() < limit {
            if check().await {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        panic!(
            "{what} not within {}s (lag now {:?}; {})\n{}",
            limit.as_secs(),
            self.lag().await,
            self.exporter_state().await,
            self.consumer_logs()
        );
    }

    /// The last lines of each SMS consumer's log, so a failed wait says why.
    fn consumer_logs(&self) -> String {
        let logs = self.dir.path().join(".forgectl").join(&self.name).join("logs");
        let mut report = String::new();
        for entry in std::fs::read_dir(&logs).into_iter().flatten().filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().to_string();
            if !name.starts_with("sms-consumer") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(15)..].join("\n");
            report.push_str(&format!("--- {name} (last 15 lines)\n{tail}\n"));
        }
        report
    }
}

impl Drop for AlertEnv {
    /// Also after a failure: no rules, targets or processes of this run stay behind.
    fn drop(&mut self) {
        if std::fs::remove_file(&self.rules_file).is_ok() {
            // A plain HTTP request: Drop cannot await the async client.
            use std::io::Write;
            let address = self.prometheus.trim_start_matches("http://").trim_end_matches('/').to_string();
            if let Ok(mut stream) = std::net::TcpStream::connect(address.as_str()) {
                let _ = stream.write_all(
                    format!("POST /-/reload HTTP/1.0\r\nHost: {address}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
                );
            }
        }
        let _ = self.forgectl(&["destroy", "--yes", "--confirm", &self.name.clone()]);
    }
}

async fn upload(client: &reqwest::Client, port: u16, batch: &str) -> bool {
    let body = serde_json::json!({"device_id": "device-alert", "batch_id": batch, "records": [{"n": 1}]});
    client
        .post(format!("http://127.0.0.1:{port}/v1/uploads/sms"))
        .json(&body)
        .send()
        .await
        .is_ok_and(|response| response.status().is_success())
}

fn sms_consumer_pids(status: &Value) -> Vec<i32> {
    status["instances"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["role"] == "sms-consumer")
        .filter_map(|i| i["pid"].as_i64().and_then(|pid| i32::try_from(pid).ok()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_alert_fires_when_consumers_stop_and_resolves_when_they_return() {
    let env = AlertEnv::new();
    let artifacts = artifacts_dir().to_string_lossy().to_string();
    let run = format!("{}-{}", env.name, std::process::id());

    env.ok(&["provision", "--yes"]);
    env.ok(&["deploy", "--version", "v1", "--artifacts-dir", &artifacts, "--yes"]);
    let sd_file = PathBuf::from(required("FORGECTL_PROMETHEUS_SD_DIR")).join(format!("forgectl-{}.json", env.name));
    let targets: Value = serde_json::from_str(&std::fs::read_to_string(&sd_file).unwrap_or_default())
        .unwrap_or_else(|err| panic!("{}: {err}", sd_file.display()));
    assert_eq!(targets.as_array().map(Vec::len), Some(6), "one scrape target per instance: {targets}");

    let rendered = env.forgectl(&["render", "prometheus", "--out", &env.rules_file.to_string_lossy()]);
    assert!(rendered.status.success(), "{}", String::from_utf8_lossy(&rendered.stderr));
    env.reload_prometheus().await;

    // Uploads throughout; the consumers keep up at first.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let accepted = Arc::new(AtomicU64::new(0));
    let load = {
        let (stop, sent, accepted, run, port, client) =
            (stop.clone(), sent.clone(), accepted.clone(), run.clone(), env.port, env.api_client());
        tokio::spawn(async move {
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < LOAD_LIMIT {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                if upload(&client, port, &format!("{run}-{n}")).await {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    // Set-up, not the bar under test: on a fresh stack the first group join
    // also creates Kafka's offsets topic, so the first commit may take a while.
    env.wait_for("the SMS group's first committed offsets", SETTLE_WITHIN, async || env.lag().await.is_some()).await;
    // The new group starts from the earliest offset; wait until it has caught up.
    env.wait_for("the group catching up before the test", SETTLE_WITHIN, async || {
        env.lag().await.is_some_and(|lag| lag < LAG_WARNING as f64)
    })
    .await;
    assert!(accepted.load(Ordering::Relaxed) > 0, "no upload was accepted before the consumers stopped");

    let status = env.ok(&["status", "--output", "json"]);
    let pids = sms_consumer_pids(&status);
    assert_eq!(pids.len(), 2, "50k runs two SMS consumers: {status}");
    for pid in &pids {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(*pid), nix::sys::signal::Signal::SIGTERM)
            .unwrap_or_else(|err| panic!("stopping consumer {pid}: {err}"));
    }
    let fired = env
        .wait_for("ConsumerLagHigh firing", FIRE_WITHIN, async || {
            env.alert_state("ConsumerLagHigh").await.as_deref() == Some("firing")
        })
        .await;
    eprintln!("ConsumerLagHigh fired {:.0}s after the SMS consumers stopped", fired.as_secs_f64());

    // The live view, without a terminal: one plain block per refresh.
    let watched = env.forgectl(&["status", "--watch", "--interval", "1s", "--count", "2"]);
    assert!(watched.status.success(), "{}", String::from_utf8_lossy(&watched.stderr));
    let view = String::from_utf8_lossy(&watched.stdout);
    assert_eq!(view.matches(&format!("== {} (tier 50k) at ", env.name)).count(), 2, "{view}");
    assert!(view.contains(&format!("lag        {}", env.group)), "{view}");
    assert!(view.contains("instances  sms-consumer     0 of 2-8  BELOW LADDER"), "{view}");
    assert!(view.contains("ALERT      ConsumerLagHigh [warning]"), "{view}");
    assert!(!view.contains('\x1b'), "no terminal control codes without a TTY: {view}");

    // Bring them back: deploy starts what is missing.
    env.ok(&["deploy", "--version", "v1", "--artifacts-dir", &artifacts, "--yes"]);
    let resolved = env
        .wait_for("ConsumerLagHigh resolving", RESOLVE_WITHIN, async || {
            env.alert_state("ConsumerLagHigh").await.is_none()
        })
        .await;
    eprintln!("ConsumerLagHigh resolved {:.0}s after the consumers returned", resolved.as_secs_f64());
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap_or_else(|err| panic!("{err}"));
    assert!(sent.load(Ordering::Relaxed) > 100, "the load loop sent too little to build lag");

    // Destroy withdraws the scrape targets.
    env.ok(&["destroy", "--yes", "--confirm", &env.name]);
    assert!(!sd_file.exists(), "{} left behind", sd_file.display());
    std::fs::remove_file(&env.rules_file).unwrap_or_else(|err| panic!("{err}"));
    env.reload_prometheus().await;
}
