//! The local provider: `provision` (check Kafka, sync topics), `status`
//! (processes, lag, rows) and the runtime of the service processes.

pub mod provision;
pub mod runtime;
pub mod status;

use crate::cost::CostError;
use crate::exit::Exit;
use crate::local::LocalError;
use crate::topics::TopicsError;

/// What the local provider's operations fail with: the local runtime's
/// errors and those of the topic sync and lag they build on.
#[derive(Debug, thiserror::Error)]
pub enum LocalOpError {
    #[error(transparent)]
    Local(#[from] LocalError),
    #[error(transparent)]
    Topics(#[from] TopicsError),
    #[error(transparent)]
    Cost(#[from] CostError),
}

impl LocalOpError {
    pub fn exit(&self) -> Exit {
        match self {
            LocalOpError::Local(err) => err.exit(),
            LocalOpError::Topics(err) => err.exit(),
            LocalOpError::Cost(err) => err.exit(),
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            LocalOpError::Local(err) => err.hint(),
            LocalOpError::Topics(err) => err.hint(),
            LocalOpError::Cost(err) => err.hint(),
        }
    }
}
