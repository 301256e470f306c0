//! The error every command returns. Each module keeps its own typed error;
//! this enum only gathers them and decides the exit code and hint.

use crate::config::ConfigError;
use crate::console::ConsoleError;
use crate::exit::Exit;
use crate::profile::ProfileError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Profile(#[from] ProfileError),

    #[error(transparent)]
    Config(#[from] ConfigError),

    #[error(transparent)]
    Console(#[from] ConsoleError),
}

impl CliError {
    pub fn exit(&self) -> Exit {
        match self {
            CliError::Profile(_) | CliError::Config(_) => Exit::Usage,
            CliError::Console(ConsoleError::ConfirmationRequired { .. }) => Exit::Usage,
            CliError::Console(_) => Exit::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            CliError::Profile(err) => err.hint(),
            CliError::Config(err) => err.hint(),
            CliError::Console(err) => err.hint(),
        }
    }
}
