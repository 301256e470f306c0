//! The local provider end to end, against the stack's real Kafka and
//! PostgreSQL: provision, deploy, uploads through the load balancer, a
//! rolling version change under continuous uploads, a failed rollout that
//! rolls back, and a teardown that leaves no process.
//!
//! It uses the tier's real topic names and consumer groups (as the main job
//! does), and a private environment name, state directory and balancer port.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

mod local_support;
use local_support::{artifacts_dir, required, Env};

/// Upper bound on the background upload loop, whatever happens.
const LOAD_LIMIT: Duration = Duration::from_secs(120);

fn instances(status: &Value) -> Vec<(String, String, bool, i64)> {
    status["instances"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            (
                i["role"].as_str().unwrap_or_default().to_string(),
                i["version"].as_str().unwrap_or_default().to_string(),
                i["ready"].as_bool().unwrap_or(false),
                i["pid"].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

async fn upload(client: &reqwest::Client, port: u16, kind: &str, batch: &str) -> Result<(), String> {
    let body = serde_json::json!({
        "device_id": format!("device-{}", batch.len() % 5),
        "batch_id": batch,
        "records": [{"n": 1}, {"n": 2}],
    });
    let response = client
        .post(format!("http://127.0.0.1:{port}/v1/uploads/{kind}"))
        .json(&body)
        .send()
        .await
        .map_err(|err| err.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", response.status()))
    }
}

async fn rows_for(prefix: &str) -> i64 {
    let mut config = tokio_postgres::Config::new();
    config
        .host(required("DI_POSTGRES_HOST"))
        .port(required("DI_POSTGRES_PORT").parse().unwrap_or(5432))
        .user(required("DI_POSTGRES_USERNAME"))
        .password(required("DI_POSTGRES_PASSWORD"))
        .dbname(required("DI_POSTGRES_SYNC_DATABASE"));
    // As the services connect: verify-full with the stack's CA.
    let tls = forgectl_postgres_tls::PgTls::verify_full(Some(required("DI_POSTGRES_SSL_ROOT_CERT").into()));
    let (client, _driver) = forgectl_postgres_tls::connect(&config, &tls).await.unwrap_or_else(|err| panic!("{err}"));
    let row = client
        .query_one("SELECT count(*) FROM events_log WHERE batch_id LIKE $1", &[&format!("{prefix}%")])
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    row.get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_roll_back_and_destroy_on_the_local_stack() {
    let env = Env::new("ldeploy");
    let artifacts = artifacts_dir();
    let artifacts = artifacts.to_string_lossy().to_string();
    let run = format!("{}-{}", env.name, std::process::id());

    env.ok(&["provision", "--yes"]);
    env.ok(&["deploy", "--version", "v1", "--artifacts-dir", &artifacts, "--yes"]);
    let first = instances(&env.status());
    assert_eq!(first.len(), 6, "50k's minimum: 2 producers, 2 sms, 1 events, 1 common: {first:?}");
    assert!(first.iter().all(|(_, version, ready, _)| version == "v1" && *ready), "{first:?}");

    // Re-deploying the same version changes nothing.
    let again = env.forgectl(&["deploy", "--version", "v1", "--artifacts-dir", &artifacts, "--yes"]);
    assert!(again.status.success());
    assert_eq!(instances(&env.status()), first);

    // A version change under continuous uploads: none may fail.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    // Uploads need the key deploy generated.
    let refused = upload(&reqwest::Client::new(), env.port, "events", &format!("{run}-anonymous")).await;
    assert_eq!(refused, Err("HTTP 401 Unauthorized".to_string()));
    let load = {
        let (stop, sent, run, port) = (stop.clone(), sent.clone(), run.clone(), env.port);
        let client = env.api_client();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < LOAD_LIMIT {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                if let Err(err) = upload(&client, port, "events", &format!("{run}-{n}")).await {
                    failures.push(format!("upload {n}: {err}"));
                }
            }
            failures
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let roll = tokio::task::spawn_blocking({
        let name = env.name.clone();
        let dir = env.dir.path().to_path_buf();
        let artifacts = artifacts.clone();
        move || {
            Command::cargo_bin("forgectl")
                .unwrap_or_else(|err| panic!("{err}"))
                .current_dir(dir)
                .env("CI", "true")
                .args(["--env", &name, "--profiles-dir"])
                .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles"))
                .args(["deploy", "--version", "v2", "--artifacts-dir", &artifacts, "--yes"])
                .output()
        }
    })
    .await
    .unwrap_or_else(|err| panic!("{err}"))
    .unwrap_or_else(|err| panic!("{err}"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let failures = load.await.unwrap_or_else(|err| panic!("{err}"));
    assert!(roll.status.success(), "rolling deploy failed:\n{}", String::from_utf8_lossy(&roll.stderr));
    let uploads = sent.load(Ordering::Relaxed);
    assert!(uploads > 20, "only {uploads} uploads went through during the rollout");
    assert!(failures.is_empty(), "{} of {uploads} uploads failed during the rollout: {failures:?}", failures.len());
    let rolled = instances(&env.status());
    assert_eq!(rolled.len(), 6);
    assert!(rolled.iter().all(|(_, version, ready, _)| version == "v2" && *ready), "{rolled:?}");

    // Every acknowledged upload reaches PostgreSQL, exactly once (2 records each).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut rows = 0;
    while Instant::now() < deadline {
        rows = rows_for(&format!("{run}-")).await;
        if rows >= 2 * uploads as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(rows, 2 * uploads as i64, "rows in sync_db.events_log for {uploads} uploads");

    // A version whose producer never becomes ready: deploy stops, rolls back, exits 1.
    let broken = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let script = broken.path().join("forgectl-producer");
    std::fs::write(&script, "#!/bin/sh\nexit 3\n").unwrap_or_else(|err| panic!("{err}"));
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|err| panic!("{err}"));
    }
    std::fs::copy(Path::new(&artifacts).join("forgectl-consumer"), broken.path().join("forgectl-consumer"))
        .unwrap_or_else(|err| panic!("{err}"));
    let bad = env.forgectl(&[
        "deploy",
        "--version",
        "v3-broken",
        "--role",
        "producer",
        "--artifacts-dir",
        &broken.path().to_string_lossy(),
        "--ready-timeout",
        "5",
        "--yes",
    ]);
    assert_eq!(bad.status.code(), Some(1), "{}", String::from_utf8_lossy(&bad.stderr));
    let after = instances(&env.status());
    let producers: Vec<_> = after.iter().filter(|(role, ..)| role == "producer").collect();
    assert_eq!(producers.len(), 2, "{after:?}");
    assert!(producers.iter().all(|(_, version, ready, _)| version == "v2" && *ready), "{after:?}");
    let client = env.api_client();
    upload(&client, env.port, "sms", &format!("{run}-after-rollback")).await.unwrap_or_else(|err| panic!("{err}"));

    // Teardown stops exactly the recorded processes.
    let pids: Vec<i64> = after.iter().map(|(.., pid)| *pid).collect();
    env.ok(&["destroy", "--yes", "--confirm", &env.name]);
    for pid in pids {
        // A process that is gone (or a zombie awaiting its reaper) has no exe link.
        assert!(std::fs::read_link(format!("/proc/{pid}/exe")).is_err(), "pid {pid} still runs");
    }
    assert!(instances(&env.status()).is_empty());
}
