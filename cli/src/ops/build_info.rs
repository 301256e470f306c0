//! What this binary is: for `forgectl version`, bug reports and CI logs.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct BuildInfo {
    pub version: &'static str,
    pub git_commit: &'static str,
    pub build_date: &'static str,
    pub target: &'static str,
}

/// Filled in at compile time by `cli/build.rs`.
pub fn build_info() -> BuildInfo {
    BuildInfo {
        version: env!("CARGO_PKG_VERSION"),
        git_commit: env!("FORGECTL_GIT_COMMIT"),
        build_date: env!("FORGECTL_BUILD_DATE"),
        target: env!("FORGECTL_BUILD_TARGET"),
    }
}
