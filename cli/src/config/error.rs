use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse { path: PathBuf, line: usize, column: usize, message: String },

    #[error("config file {} does not exist", path.display())]
    MissingFile { path: PathBuf },

    #[error("environment `{name}` is not defined in {}; defined: {available}", path.display())]
    UnknownEnvironment { name: String, path: PathBuf, available: String },

    #[error("--env {name} was given, but there is no forgectl.yaml here")]
    NoConfigFile { name: String },

    #[error("{} defines several environments and no default_environment", path.display())]
    AmbiguousEnvironment { path: PathBuf },

    #[error("environment `{env}`: {key}: {message}")]
    Invalid { env: String, key: String, message: String, hint: String },

    #[error("environment `{env}`: {key} refers to ${{{variable}}}, which is not set")]
    MissingVariable { env: String, key: String, variable: String, local: bool },
}

impl ConfigError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Read { .. } | ConfigError::MissingFile { .. } => {
                Some("pass --config with the path of a forgectl.yaml".into())
            }
            ConfigError::Parse { message, .. } if message.contains("unknown field") => {
                Some("remove the key or fix its spelling; the allowed keys are listed above".into())
            }
            ConfigError::Parse { .. } => Some("fix the YAML at the line shown".into()),
            ConfigError::UnknownEnvironment { .. } => Some("pick one of the environments listed".into()),
            ConfigError::NoConfigFile { .. } => {
                Some("run from the directory that holds forgectl.yaml, or pass --config".into())
            }
            ConfigError::AmbiguousEnvironment { .. } => {
                Some("pass --env NAME, or set default_environment in the file".into())
            }
            ConfigError::Invalid { hint, .. } => Some(hint.clone()),
            // The local stack exports the local environments' variables;
            // for any other environment it would be the wrong advice.
            ConfigError::MissingVariable { variable, local: true, .. } => {
                Some(format!("export {variable} first (for the local stack: eval \"$(dev/stack env)\")"))
            }
            ConfigError::MissingVariable { variable, local: false, .. } => Some(format!("export {variable} first")),
        }
    }
}
