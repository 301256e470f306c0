//! For unit tests: an environment read through the config loader, like the
//! binary reads it, so tests keep compiling when environments gain fields.

use super::{select_environment, Environment, EnvironmentOverrides};

/// The one environment a whole `forgectl.yaml` text declares.
pub fn load_environment(yaml: &str) -> Environment {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
    let path = dir.path().join("forgectl.yaml");
    std::fs::write(&path, yaml).unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
    let overrides = EnvironmentOverrides { config: Some(path), ..Default::default() };
    select_environment(&overrides).unwrap_or_else(|err| panic!("{err}"))
}
