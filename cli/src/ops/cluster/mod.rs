//! The MSK cluster, its configuration and security groups: observe and plan
//! (`plan`), apply and wait (`provision`, `apply`, `wait`), report (`status`)
//! and tear down (`destroy`).

pub mod adopt;
mod apply;
pub mod capture;
pub mod destroy;
pub mod plan;
pub mod provision;
pub mod scram;
pub mod status;
pub mod wait;

use crate::cluster::ControlPlaneError;
use crate::config::ConfigError;
use crate::console::ConsoleError;
use crate::cost::CostError;
use crate::exit::Exit;
use crate::fleet::FleetError;
use crate::ops::context::ContextError;
use crate::profile::ProfileError;
use crate::topics::TopicsError;

/// What the cluster operations fail with: their own control-plane errors,
/// and those of what they build on (the run context, the deploy's
/// resources that `status` and `destroy` include, the topic sync that ends
/// `provision`, and the review the command is asked for).
#[derive(Debug, thiserror::Error)]
pub enum ClusterOpError {
    #[error(transparent)]
    ControlPlane(#[from] ControlPlaneError),
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error(transparent)]
    Fleet(#[from] FleetError),
    #[error(transparent)]
    Topics(#[from] TopicsError),
    #[error(transparent)]
    Review(#[from] ConsoleError),
    #[error(transparent)]
    Cost(#[from] CostError),
}

impl From<ConfigError> for ClusterOpError {
    fn from(error: ConfigError) -> Self {
        ClusterOpError::Context(error.into())
    }
}

impl From<ProfileError> for ClusterOpError {
    fn from(error: ProfileError) -> Self {
        ClusterOpError::Context(error.into())
    }
}

impl ClusterOpError {
    pub fn exit(&self) -> Exit {
        match self {
            ClusterOpError::ControlPlane(err) => err.exit(),
            ClusterOpError::Context(_) => Exit::Usage,
            ClusterOpError::Fleet(err) => err.exit(),
            ClusterOpError::Topics(err) => err.exit(),
            ClusterOpError::Review(ConsoleError::ConfirmationRequired { .. }) => Exit::Usage,
            ClusterOpError::Review(_) => Exit::Failure,
            ClusterOpError::Cost(err) => err.exit(),
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            ClusterOpError::ControlPlane(err) => err.hint(),
            ClusterOpError::Context(err) => err.hint(),
            ClusterOpError::Fleet(err) => err.hint(),
            ClusterOpError::Topics(err) => err.hint(),
            ClusterOpError::Review(err) => err.hint(),
            ClusterOpError::Cost(err) => err.hint(),
        }
    }
}
