//! A release is the producer and consumer binaries of one version, copied
//! under `.forgectl/<env>/releases/<version>/` so that the processes of a
//! version keep their exact binaries while the next version is built.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::state::StateDir;
use super::LocalError;

pub const PRODUCER_BINARY: &str = "forgectl-producer";
pub const CONSUMER_BINARY: &str = "forgectl-consumer";

#[derive(Debug, Clone)]
pub struct Release {
    pub version: String,
    pub producer: PathBuf,
    pub consumer: PathBuf,
}

/// Where the binaries of a new version come from.
#[derive(Debug, Clone)]
pub enum Artifacts {
    /// Binaries already built, e.g. a CI job's target directory.
    Directory(PathBuf),
    /// `cargo build --release` in this workspace.
    BuildWorkspace,
}

/// The release for `version`: reused when it exists, else made from `artifacts`.
pub fn prepare(state: &StateDir, version: &str, artifacts: &Artifacts) -> Result<Release, LocalError> {
    let dir = state.releases().join(version);
    let release = Release {
        version: version.to_string(),
        producer: dir.join(PRODUCER_BINARY),
        consumer: dir.join(CONSUMER_BINARY),
    };
    if release.producer.is_file() && release.consumer.is_file() {
        return Ok(release);
    }
    let source_dir = match artifacts {
        Artifacts::Directory(dir) => dir.clone(),
        Artifacts::BuildWorkspace => build_workspace()?,
    };
    std::fs::create_dir_all(&dir).map_err(|source| LocalError::Io { action: "create", path: dir.clone(), source })?;
    for (binary, target) in [(PRODUCER_BINARY, &release.producer), (CONSUMER_BINARY, &release.consumer)] {
        let from = source_dir.join(binary);
        if !from.is_file() {
            return Err(LocalError::MissingBinary { binary: binary.to_string(), dir: source_dir });
        }
        copy_atomically(&from, target)?;
    }
    Ok(release)
}

fn copy_atomically(from: &Path, to: &Path) -> Result<(), LocalError> {
    let partial = to.with_extension("partial");
    std::fs::copy(from, &partial).map_err(|source| LocalError::Io {
        action: "copy",
        path: from.to_path_buf(),
        source,
    })?;
    std::fs::rename(&partial, to).map_err(|source| LocalError::Io { action: "install", path: to.to_path_buf(), source })
}

/// Builds both services in release mode and returns the directory holding them.
fn build_workspace() -> Result<PathBuf, LocalError> {
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            PRODUCER_BINARY,
            "-p",
            CONSUMER_BINARY,
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| LocalError::Spawn { what: "cargo build".into(), source })?;
    if !output.status.success() {
        return Err(LocalError::Build { status: output.status.to_string() });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|message| message["executable"].as_str().map(PathBuf::from))
        .find(|path| path.file_name().is_some_and(|name| name == PRODUCER_BINARY))
        .and_then(|path| path.parent().map(Path::to_path_buf))
        .ok_or_else(|| LocalError::MissingBinary { binary: PRODUCER_BINARY.into(), dir: PathBuf::from("cargo output") })
}

/// Versions name directories and appear in process listings.
pub fn is_valid_version(version: &str) -> bool {
    !version.is_empty()
        && version.len() <= 128
        && !version.starts_with('.')
        && version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_plain_tags() {
        assert!(is_valid_version("v1.2.3"));
        assert!(is_valid_version("3f2a9c1"));
        assert!(!is_valid_version("../etc"));
        assert!(!is_valid_version("a/b"));
        assert!(!is_valid_version(""));
    }
}
