//! What the local provider runs, recorded under `.forgectl/<env>/` so that a
//! later command (deploy, status, destroy) finds exactly the processes
//! forgectl started, and nothing else.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::process;
use super::LocalError;
use crate::profile::RoleName;

/// One running service process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub role: RoleName,
    pub version: String,
    pub pid: i32,
    /// HTTP port: the producer's API, or a consumer's health/metrics.
    pub port: u16,
    /// The producer's separate `/metrics` port (a consumer serves metrics on
    /// `port`); absent in records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_port: Option<u16>,
    /// The executable, so a recycled PID is never mistaken for ours.
    pub executable: PathBuf,
    pub log: PathBuf,
}

impl Instance {
    pub fn is_alive(&self) -> bool {
        process::is_running(self.pid, &self.executable)
    }

    /// Where the instance serves `/metrics`, if known.
    pub fn metrics_port(&self) -> Option<u16> {
        if self.role.is_consumer() {
            Some(self.port)
        } else {
            self.metrics_port
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalancerRecord {
    pub pid: i32,
    pub listen: String,
    pub executable: PathBuf,
}

#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    pub fn new(base: &Path, environment: &str) -> Self {
        Self { root: base.join(".forgectl").join(environment) }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub fn releases(&self) -> PathBuf {
        self.root.join("releases")
    }

    /// The producers' API key (mode 0600); see `local::api_key`.
    pub fn api_key_file(&self) -> PathBuf {
        self.root.join("producer-api-key")
    }

    /// The Prometheus file-based service discovery file (see `local::scrape`).
    pub fn scrape_targets(&self) -> PathBuf {
        self.root.join("prometheus-targets.json")
    }

    pub fn balancer_targets(&self) -> PathBuf {
        self.root.join("balancer-targets.json")
    }

    fn instances_dir(&self) -> PathBuf {
        self.root.join("instances")
    }

    fn balancer_file(&self) -> PathBuf {
        self.root.join("balancer.json")
    }

    pub fn ensure(&self) -> Result<(), LocalError> {
        for dir in [self.root.clone(), self.logs(), self.releases(), self.instances_dir()] {
            std::fs::create_dir_all(&dir).map_err(|source| LocalError::Io { action: "create", path: dir, source })?;
        }
        Ok(())
    }

    /// Recorded instances, live or not.
    pub fn instances(&self) -> Result<Vec<Instance>, LocalError> {
        let dir = self.instances_dir();
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let entries = std::fs::read_dir(&dir).map_err(|source| LocalError::Io { action: "read", path: dir, source })?;
        let mut instances = Vec::new();
        for path in entries.filter_map(Result::ok).map(|entry| entry.path()) {
            if path.extension().is_some_and(|ext| ext == "json") {
                instances.push(read_json(&path)?);
            }
        }
        instances.sort_by(|a: &Instance, b| (a.role, &a.id).cmp(&(b.role, &b.id)));
        Ok(instances)
    }

    pub fn record(&self, instance: &Instance) -> Result<(), LocalError> {
        write_json(&self.instances_dir().join(format!("{}.json", instance.id)), instance)
    }

    pub fn forget(&self, instance: &Instance) -> Result<(), LocalError> {
        remove(&self.instances_dir().join(format!("{}.json", instance.id)))
    }

    pub fn balancer(&self) -> Result<Option<BalancerRecord>, LocalError> {
        let path = self.balancer_file();
        if path.is_file() {
            read_json(&path).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn record_balancer(&self, record: &BalancerRecord) -> Result<(), LocalError> {
        write_json(&self.balancer_file(), record)
    }

    pub fn forget_balancer(&self) -> Result<(), LocalError> {
        remove(&self.balancer_file())?;
        remove(&self.balancer_targets())
    }

    /// The producers the balancer sends traffic to. Written atomically: the
    /// balancer polls this file and must never read half of it.
    pub fn set_balancer_targets(&self, targets: &[String]) -> Result<(), LocalError> {
        write_json(&self.balancer_targets(), &targets)
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, LocalError> {
    let text = std::fs::read_to_string(path).map_err(|source| LocalError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| LocalError::State { path: path.to_path_buf(), source })
}

/// Writes `value` as JSON through a `.partial` file and a rename, so a
/// reader never sees half a file.
pub(super) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), LocalError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|source| LocalError::State { path: path.to_path_buf(), source })?;
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, text).map_err(|source| LocalError::Io {
        action: "write",
        path: partial.clone(),
        source,
    })?;
    std::fs::rename(&partial, path).map_err(|source| LocalError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

fn remove(path: &Path) -> Result<(), LocalError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(LocalError::Io { action: "remove", path: path.to_path_buf(), source }),
    }
}
