//! The release binaries of the services, run as their own processes so their
//! CPU can be measured apart from the load generator.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};

pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("bench binary has no directory")?;
    let p = dir.join(name);
    if !p.exists() {
        bail!(
            "{} not found: build it with `cargo build --release -p forgectl-producer -p forgectl-consumer`",
            p.display()
        );
    }
    Ok(p)
}

/// The key the benches' producer accepts: measured as deployed, with keys.
pub const BENCH_API_KEY: &str = "bench-api-key-0123456789abcdef";

/// The producer's variables on top of the stack's: its listen port, a free
/// metrics port and the bench key.
pub fn producer_vars(mut vars: HashMap<String, String>, port: u16) -> HashMap<String, String> {
    vars.insert("PRODUCER_LISTEN_ADDR".into(), format!("127.0.0.1:{port}"));
    vars.insert("PRODUCER_METRICS_ADDR".into(), "127.0.0.1:0".into());
    vars.insert("PRODUCER_API_KEYS".into(), format!("bench:{BENCH_API_KEY}"));
    vars
}

/// An HTTP client that presents the bench key on every request.
pub fn api_client(builder: reqwest::ClientBuilder) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-api-key", reqwest::header::HeaderValue::from_static(BENCH_API_KEY));
    Ok(builder.default_headers(headers).build()?)
}

pub struct Proc {
    pub child: Child,
}

impl Proc {
    pub fn spawn(name: &str, vars: &HashMap<String, String>) -> anyhow::Result<Proc> {
        let child = Command::new(binary(name)?)
            .envs(vars)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("spawning {name}"))?;
        Ok(Proc { child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then wait (bounded).
    pub async fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        for _ in 0..300 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn wait_http_ok(url: &str, timeout: Duration) -> anyhow::Result<()> {
    let c = reqwest::Client::new();
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Ok(r) = c.get(url).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if std::time::Instant::now() > deadline {
            bail!("{url} not OK within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
