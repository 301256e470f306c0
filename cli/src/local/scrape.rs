//! Prometheus file-based service discovery for the local provider: every
//! deploy writes the metrics endpoint of every live instance, labelled with
//! its role (and consumer group), so a Prometheus that watches the file
//! scrapes exactly what runs. `destroy` withdraws the file.
//!
//! The file always lands in the state directory; with a scrape directory
//! (the local stack exports `FORGECTL_PROMETHEUS_SD_DIR`) a copy named after
//! the environment goes there, where the stack's Prometheus looks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::state::{Instance, StateDir};
use super::LocalError;
use crate::profile::Profile;

/// The variable that names the scrape directory (`dev/stack env` sets it).
pub const SCRAPE_DIR_VAR: &str = "FORGECTL_PROMETHEUS_SD_DIR";

/// One `file_sd_configs` entry: targets that share labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetGroup {
    pub targets: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

/// One group per instance: the labels name the instance, so an alert says
/// which process to look at.
pub fn target_groups(environment: &str, profile: &Profile, instances: &[Instance]) -> Vec<TargetGroup> {
    instances
        .iter()
        .filter_map(|instance| {
            let port = instance.metrics_port()?;
            let mut labels = BTreeMap::from([
                ("environment".to_string(), environment.to_string()),
                ("role".to_string(), instance.role.to_string()),
                ("instance_id".to_string(), instance.id.clone()),
                ("version".to_string(), instance.version.clone()),
            ]);
            if let Some(group) = profile.role(instance.role).and_then(|role| role.group.clone()) {
                labels.insert("group".to_string(), group);
            }
            Some(TargetGroup { targets: vec![format!("127.0.0.1:{port}")], labels })
        })
        .collect()
}

fn shared_file(scrape_dir: &Path, environment: &str) -> PathBuf {
    scrape_dir.join(format!("forgectl-{environment}.json"))
}

/// Writes the targets (atomically: Prometheus may read at any moment);
/// returns the files written.
pub fn publish(
    state: &StateDir,
    scrape_dir: Option<&Path>,
    environment: &str,
    groups: &[TargetGroup],
) -> Result<Vec<PathBuf>, LocalError> {
    let mut written = vec![state.scrape_targets()];
    if let Some(dir) = scrape_dir {
        written.push(shared_file(dir, environment));
    }
    for path in &written {
        super::state::write_json(path, &groups)?;
    }
    Ok(written)
}

/// Removes the environment's targets, so nothing scrapes (and alerts on)
/// processes that were stopped on purpose.
pub fn withdraw(state: &StateDir, scrape_dir: Option<&Path>, environment: &str) -> Result<(), LocalError> {
    let mut paths = vec![state.scrape_targets()];
    if let Some(dir) = scrape_dir {
        paths.push(shared_file(dir, environment));
    }
    for path in paths {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(LocalError::Io { action: "remove", path, source }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{load_tier, ProfileSource, ResolveOptions, RoleName};

    fn instance(role: RoleName, port: u16, metrics_port: Option<u16>) -> Instance {
        Instance {
            id: format!("{role}-v1-1"),
            role,
            version: "v1".into(),
            pid: 1,
            port,
            metrics_port,
            executable: PathBuf::from("/bin/true"),
            log: PathBuf::from("/dev/null"),
        }
    }

    #[test]
    fn producers_are_scraped_on_their_metrics_port_and_consumers_carry_their_group() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles");
        let source = ProfileSource::resolve(Some(&dir)).unwrap_or_else(|err| panic!("{err}"));
        let profile = load_tier(&source, "25k", ResolveOptions::default()).unwrap_or_else(|err| panic!("{err}"));
        let groups = target_groups(
            "dev",
            &profile,
            &[
                instance(RoleName::Producer, 9000, Some(9001)),
                instance(RoleName::SmsConsumer, 9100, None),
                // A producer recorded before metrics ports were: not scraped.
                instance(RoleName::Producer, 9200, None),
            ],
        );
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].targets, ["127.0.0.1:9001"]);
        assert_eq!(groups[0].labels.get("group"), None);
        assert_eq!(groups[1].targets, ["127.0.0.1:9100"]);
        assert_eq!(groups[1].labels.get("group").map(String::as_str), Some("sms-consumer-group"));
        assert_eq!(groups[1].labels.get("role").map(String::as_str), Some("sms-consumer"));
    }
}
