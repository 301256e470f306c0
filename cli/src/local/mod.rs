//! The `local` provider: the services as processes on this machine, for
//! development and UAT. Kafka and PostgreSQL are existing endpoints (the
//! local stack's, or any other); forgectl runs the producer, the three
//! consumer groups and a small load balancer in front of the producers,
//! the local counterpart of the ALB that the runbooks require.

pub mod api_key;
pub mod balancer;
pub mod process;
pub mod release;
pub mod scrape;
pub mod state;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("state file {} is corrupt: {source}", path.display())]
    State {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    #[error("cannot start {what}: {source}")]
    Spawn {
        what: String,
        #[source]
        source: std::io::Error,
    },

    #[error("building the services failed ({status}); see the cargo output above")]
    Build { status: String },

    #[error("no {binary} in {}", dir.display())]
    MissingBinary { binary: String, dir: PathBuf },

    #[error("{instance} did not become ready within {seconds}s; last answer: {last}")]
    NotReady { instance: String, seconds: u64, last: String },

    #[error("the load balancer cannot listen on {address}: {source}")]
    Listen {
        address: String,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot signal process {pid}: {reason}")]
    Signal { pid: i32, reason: String },

    #[error("Kafka at {bootstrap} has {brokers} broker(s); tier {tier} needs {required} for its replication factor")]
    NotEnoughBrokers { bootstrap: String, brokers: usize, required: u16, tier: String },

    #[error("cannot read row counts from PostgreSQL at {host}:{port}: {reason}")]
    Postgres { host: String, port: String, reason: String },

    #[error("cannot read document counts from MongoDB at {host}:{port}: {reason}")]
    Mongo { host: String, port: String, reason: String },
}

impl LocalError {
    pub fn exit(&self) -> crate::exit::Exit {
        match self {
            LocalError::NotEnoughBrokers { .. } => crate::exit::Exit::Usage,
            _ => crate::exit::Exit::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            LocalError::NotEnoughBrokers { .. } => Some(
                "point the environment at a cluster with enough brokers (the local stack runs 3), or use a tier whose replication factor fits"
                    .into(),
            ),
            LocalError::Postgres { .. } => Some("check the environment's postgres settings and that PostgreSQL runs".into()),
            LocalError::Mongo { .. } => Some("check the environment's mongodb settings and that the server runs".into()),
            LocalError::MissingBinary { .. } => Some(
                "build them with `cargo build --release -p forgectl-producer -p forgectl-consumer`, or pass --artifacts-dir"
                    .into(),
            ),
            LocalError::NotReady { .. } => Some(
                "the new instance was stopped and the previous version kept serving; read its log under .forgectl/<env>/logs/"
                    .into(),
            ),
            LocalError::Listen { .. } => Some("pick a free port with `producer_port` in the environment".into()),
            LocalError::State { .. } => Some("`forgectl destroy` stops what it can find and clears the state".into()),
            _ => None,
        }
    }
}
