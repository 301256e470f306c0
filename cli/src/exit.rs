//! Exit codes are part of forgectl's interface to CI pipelines.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done; or, for checks, in sync.
    Success,
    /// A runtime failure: AWS, Kafka, the network.
    Failure,
    /// Bad input or configuration; nothing was changed.
    Usage,
    /// A check found drift, or a plan has pending changes (`--detailed-exitcode`).
    Drift,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Drift => 3,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}
