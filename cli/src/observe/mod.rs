//! Reading the pipeline's live numbers back from Prometheus (its HTTP API):
//! instant queries, short ranges for trends, and the alerts it holds. Used
//! by `forgectl status --watch`.

mod prometheus;
mod sparkline;

pub use prometheus::{FiringAlert, Prometheus, Sample};
pub use sparkline::sparkline;

#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    #[error("`{url}` is not a usable Prometheus URL: {reason}")]
    BadUrl { url: String, reason: String },

    #[error("Prometheus at {url} did not answer: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    #[error("Prometheus at {url} refused `{query}`: {reason}")]
    Query { url: String, query: String, reason: String },

    #[error("Prometheus at {url} answered `{query}` with a malformed result: {reason}")]
    Malformed { url: String, query: String, reason: String },

    #[error("status --watch needs a Prometheus that scrapes the environment, and none is configured")]
    NoPrometheus,
}

impl ObserveError {
    pub fn exit(&self) -> crate::exit::Exit {
        match self {
            ObserveError::BadUrl { .. } | ObserveError::NoPrometheus => crate::exit::Exit::Usage,
            _ => crate::exit::Exit::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            ObserveError::NoPrometheus | ObserveError::BadUrl { .. } => Some(
                "pass --prometheus-url, or set FORGECTL_PROMETHEUS_URL (the local stack's: eval \"$(dev/stack env)\")"
                    .into(),
            ),
            ObserveError::Unreachable { .. } => Some("check that Prometheus runs (dev/stack status)".into()),
            _ => None,
        }
    }
}
