//! The error every command returns. Each module keeps its own typed error;
//! this enum only gathers them and decides the exit code and hint.

use crate::cluster::ControlPlaneError;
use crate::config::ConfigError;
use crate::console::ConsoleError;
use crate::exit::Exit;
use crate::profile::ProfileError;
use crate::render::RenderError;
use crate::topics::TopicsError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Profile(#[from] ProfileError),

    #[error(transparent)]
    Config(#[from] ConfigError),

    #[error(transparent)]
    Console(#[from] ConsoleError),

    #[error(transparent)]
    Render(#[from] RenderError),

    #[error(transparent)]
    Topics(#[from] TopicsError),

    #[error(transparent)]
    ControlPlane(#[from] ControlPlaneError),

    #[error(transparent)]
    Local(#[from] crate::local::LocalError),

    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),

    #[error(transparent)]
    ShellIntegration(#[from] crate::ops::shell_integration::ShellIntegrationError),

    #[error(transparent)]
    Cost(#[from] crate::cost::CostError),

    #[error(transparent)]
    Prove(#[from] crate::prove::ProveError),

    #[error(transparent)]
    ApiKeys(#[from] crate::ops::api_keys::ApiKeysError),

    #[error(transparent)]
    Observe(#[from] crate::observe::ObserveError),

    #[error(transparent)]
    Context(#[from] crate::ops::context::ContextError),

    #[error(transparent)]
    ClusterOp(#[from] crate::ops::cluster::ClusterOpError),

    #[error(transparent)]
    LocalOp(#[from] crate::ops::local::LocalOpError),

    #[error(transparent)]
    CostOp(#[from] crate::ops::cost::CostOpError),

    #[error(transparent)]
    Init(#[from] crate::ops::init::InitError),

    #[error(transparent)]
    IamPolicy(#[from] crate::ops::iam_policy::IamPolicyError),

    #[error("cannot write {}: {source}", path.display())]
    WriteFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl CliError {
    pub fn exit(&self) -> Exit {
        match self {
            CliError::Profile(_) | CliError::Config(_) => Exit::Usage,
            CliError::Console(ConsoleError::ConfirmationRequired { .. }) => Exit::Usage,
            CliError::Console(_) => Exit::Failure,
            CliError::Render(err) => err.exit(),
            CliError::Topics(err) => err.exit(),
            CliError::ControlPlane(err) => err.exit(),
            CliError::WriteFile { .. } | CliError::ShellIntegration(_) => Exit::Failure,
            CliError::Local(err) => err.exit(),
            CliError::Fleet(err) => err.exit(),
            CliError::Cost(err) => err.exit(),
            CliError::Prove(err) => err.exit(),
            CliError::Observe(err) => err.exit(),
            CliError::ApiKeys(err) => err.exit(),
            CliError::Context(_) => Exit::Usage,
            CliError::ClusterOp(err) => err.exit(),
            CliError::LocalOp(err) => err.exit(),
            CliError::CostOp(err) => err.exit(),
            CliError::Init(err) => err.exit(),
            CliError::IamPolicy(err) => err.exit(),
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            CliError::Profile(err) => err.hint(),
            CliError::Config(err) => err.hint(),
            CliError::Console(err) => err.hint(),
            CliError::Render(err) => err.hint(),
            CliError::Topics(err) => err.hint(),
            CliError::ControlPlane(err) => err.hint(),
            CliError::Local(err) => err.hint(),
            CliError::Fleet(err) => err.hint(),
            CliError::Prove(err) => err.hint(),
            CliError::Cost(err) => err.hint(),
            CliError::Observe(err) => err.hint(),
            CliError::ApiKeys(err) => err.hint(),
            CliError::Context(err) => err.hint(),
            CliError::ClusterOp(err) => err.hint(),
            CliError::LocalOp(err) => err.hint(),
            CliError::CostOp(err) => err.hint(),
            CliError::Init(err) => err.hint(),
            CliError::IamPolicy(err) => err.hint(),
            CliError::WriteFile { .. } | CliError::ShellIntegration(_) => {
                Some("check that the directory exists and is writable".into())
            }
        }
    }
}
