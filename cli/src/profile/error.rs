use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// One broken rule, pointing at the file and line to edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub file: String,
    pub line: Option<usize>,
    pub key: String,
    pub message: String,
    pub hint: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: ", self.file, line)?,
            None => write!(f, "{}: ", self.file)?,
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)?;
        write!(f, "\n    hint: {}", self.hint)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read profile file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("profiles directory {} does not exist or is not a directory", path.display())]
    MissingDirectory { path: PathBuf },

    #[error("{path}:{line}:{column}: {message}")]
    Parse { path: String, line: usize, column: usize, message: String },

    #[error("{path}: `extends: {target}`: {reason}")]
    Extends { path: String, target: String, reason: String },

    #[error("unknown tier `{tier}` in {source_description}; available tiers: {available}")]
    UnknownTier { tier: String, source_description: String, available: String },

    #[error("no tier profiles found in {source_description}")]
    NoTiers { source_description: String },

    #[error("{file} is not a valid profile ({} problem{}):\n{}", issues.len(), if issues.len() == 1 { "" } else { "s" }, render_issues(issues))]
    Invalid { file: String, issues: Vec<Issue> },
}

impl ProfileError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ProfileError::Read { .. } => Some("check the path and its permissions".into()),
            ProfileError::MissingDirectory { .. } => Some(
                "pass --profiles-dir with a directory of tier files, or omit it to use the profiles built into forgectl"
                    .into(),
            ),
            ProfileError::Parse { message, .. } if message.contains("unknown field") => {
                Some("remove the key or fix its spelling; the keys allowed at that level are listed above".into())
            }
            ProfileError::Parse { message, .. } if message.contains("unknown variant") => {
                Some("use one of the values listed above".into())
            }
            ProfileError::Parse { .. } => Some("fix the YAML at the line shown".into()),
            ProfileError::Extends { .. } => {
                Some("`extends` takes a path relative to the file that names it, e.g. `extends: _base.yaml`".into())
            }
            ProfileError::UnknownTier { .. } => Some("run `forgectl profiles list` to see the tiers".into()),
            ProfileError::NoTiers { .. } => {
                Some("tier files are `<tier>.yaml`; files starting with `_` are shared layers".into())
            }
            // Each issue carries its own hint.
            ProfileError::Invalid { .. } => None,
        }
    }
}

fn render_issues(issues: &[Issue]) -> String {
    issues.iter().map(|issue| format!("  {issue}")).collect::<Vec<_>>().join("\n")
}
