use std::path::PathBuf;

use crate::exit::Exit;

#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// Bad input: nothing was sent.
    #[error("{message}")]
    Invalid { message: String, hint: String },

    /// The run got as far as `reached` and could go no further.
    #[error("{reached}; stopped at {stopped_at}: {reason}")]
    Stopped { reached: String, stopped_at: String, reason: String, hint: Option<String> },

    #[error("{store} at {location}: {reason}")]
    Store { store: &'static str, location: String, reason: String },

    #[error("the workload model {source_name} is invalid: {reason}")]
    Workload { source_name: &'static str, reason: String },

    #[error("cannot write the {what} to {}: {source}", path.display())]
    Write {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the HTML report template failed: {0}")]
    Template(#[source] minijinja::Error),

    #[error(transparent)]
    Aws(#[from] crate::aws::AwsError),

    #[error(transparent)]
    Kafka(#[from] crate::kafka::KafkaError),
}

impl ProveError {
    pub fn exit(&self) -> Exit {
        match self {
            ProveError::Invalid { .. } => Exit::Usage,
            _ => Exit::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            ProveError::Invalid { hint, .. } => Some(hint.clone()),
            ProveError::Stopped { hint, .. } => hint.clone(),
            ProveError::Store { .. } => Some(
                "check the environment's postgres settings, its password variable, and that PostgreSQL runs".into(),
            ),
            ProveError::Aws(err) => err.hint(),
            ProveError::Kafka(err) => err.hint(),
            _ => None,
        }
    }
}
