//! Finding, checking and stopping what the local provider runs: shared by
//! deploy, status and destroy.

use std::time::{Duration, Instant};

use forgectl_contract::endpoints::READY_PATH;
use serde::Serialize;

use crate::local::process::{self, GRACEFUL_STOP};
use crate::local::state::{BalancerRecord, Instance, StateDir};
use crate::local::LocalError;
use crate::progress::Progress;

/// How long the balancer gets to bind its port.
const BALANCER_START: Duration = Duration::from_secs(10);
const READY_POLL: Duration = Duration::from_millis(250);

/// Recorded instances whose process still runs; records of dead ones are
/// dropped, so the state never claims what is not there.
pub fn live_instances(state: &StateDir) -> Result<Vec<Instance>, LocalError> {
    let mut live = Vec::new();
    for instance in state.instances()? {
        if instance.is_alive() {
            live.push(instance);
        } else {
            state.forget(&instance)?;
        }
    }
    Ok(live)
}

/// Polls `/ready` until it answers 200, the process dies, or `timeout`.
pub async fn wait_ready(instance: &Instance, timeout: Duration) -> Result<(), LocalError> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|err| LocalError::NotReady { instance: instance.id.clone(), seconds: 0, last: err.to_string() })?;
    let url = format!("http://127.0.0.1:{}{READY_PATH}", instance.port);
    let started = Instant::now();
    let mut last = "no answer yet".to_string();
    while started.elapsed() < timeout {
        if !instance.is_alive() {
            last = format!("the process exited; see {}", instance.log.display());
            break;
        }
        match client.get(&url).send().await {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => last = format!("HTTP {}", response.status()),
            Err(err) => last = err.to_string(),
        }
        tokio::time::sleep(READY_POLL).await;
    }
    Err(LocalError::NotReady { instance: instance.id.clone(), seconds: timeout.as_secs(), last })
}

async fn is_ready(instance: &Instance) -> bool {
    let Ok(client) = reqwest::Client::builder().timeout(Duration::from_secs(1)).build() else {
        return false;
    };
    client
        .get(format!("http://127.0.0.1:{}{READY_PATH}", instance.port))
        .send()
        .await
        .is_ok_and(|response| response.status().is_success())
}

/// Starts the balancer (`forgectl local-balancer`) unless it already runs;
/// returns the producers' endpoint.
pub async fn ensure_balancer(state: &StateDir, port: u16, progress: &dyn Progress) -> Result<String, LocalError> {
    let listen = format!("127.0.0.1:{port}");
    if let Some(record) = state.balancer()? {
        if process::is_running(record.pid, &record.executable) {
            return Ok(format!("http://{}", record.listen));
        }
    }
    let executable = std::env::current_exe()
        .map_err(|source| LocalError::Spawn { what: "forgectl local-balancer".into(), source })?;
    if !state.balancer_targets().is_file() {
        state.set_balancer_targets(&[])?;
    }
    let targets = state.balancer_targets().display().to_string();
    let log = state.logs().join("balancer.log");
    let pid = process::spawn(&executable, &["local-balancer", "--listen", &listen, "--targets", &targets], &[], &log)?;
    let record = BalancerRecord { pid, listen: listen.clone(), executable };
    state.record_balancer(&record)?;
    let started = Instant::now();
    while started.elapsed() < BALANCER_START {
        if tokio::net::TcpStream::connect(&listen).await.is_ok() {
            progress.info(format!("load balancer listening on http://{listen} (pid {pid})"));
            return Ok(format!("http://{listen}"));
        }
        if !process::is_running(pid, &record.executable) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    state.forget_balancer()?;
    Err(LocalError::Listen {
        address: listen,
        source: std::io::Error::other(format!("the balancer did not start; see {}", log.display())),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct InstanceStatus {
    pub id: String,
    pub role: String,
    pub version: String,
    pub pid: i32,
    pub port: u16,
    pub ready: bool,
    pub log: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocalStatus {
    pub environment: String,
    pub balancer: Option<String>,
    pub instances: Vec<InstanceStatus>,
}

pub async fn status(state: &StateDir, environment: &str) -> Result<LocalStatus, LocalError> {
    let mut instances = Vec::new();
    for instance in live_instances(state)? {
        instances.push(InstanceStatus {
            ready: is_ready(&instance).await,
            id: instance.id,
            role: instance.role.to_string(),
            version: instance.version,
            pid: instance.pid,
            port: instance.port,
            log: instance.log.display().to_string(),
        });
    }
    let balancer = state
        .balancer()?
        .filter(|record| process::is_running(record.pid, &record.executable))
        .map(|record| format!("http://{}", record.listen));
    Ok(LocalStatus { environment: environment.to_string(), balancer, instances })
}

#[derive(Debug, Clone, Serialize)]
pub struct LocalTeardown {
    pub environment: String,
    pub stopped: Vec<String>,
}

/// Stops every process forgectl started for the environment, and only those.
pub async fn destroy(state: &StateDir, environment: &str) -> Result<LocalTeardown, LocalError> {
    let mut stopped = Vec::new();
    for instance in state.instances()? {
        if instance.is_alive() {
            process::stop(instance.pid, &instance.executable, GRACEFUL_STOP).await?;
            stopped.push(format!("{} (pid {})", instance.id, instance.pid));
        }
        state.forget(&instance)?;
    }
    if let Some(record) = state.balancer()? {
        if process::is_running(record.pid, &record.executable) {
            process::stop(record.pid, &record.executable, GRACEFUL_STOP).await?;
            stopped.push(format!("load balancer (pid {})", record.pid));
        }
        state.forget_balancer()?;
    }
    Ok(LocalTeardown { environment: environment.to_string(), stopped })
}
