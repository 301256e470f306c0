use clap::{Args, Subcommand};

use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::api_keys::{self, ApiKeysAction};
use crate::ops::context::RunContext;
use crate::views;

#[derive(Debug, Args)]
pub struct ApiKeysArgs {
    #[command(subcommand)]
    pub command: ApiKeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeysCommand {
    /// Create a key for a client and print it once; the producers accept it after their next instance refresh.
    Create {
        /// The client's name, e.g. ios or android-v2.
        name: String,
    },
    /// The names of the environment's keys (never the keys).
    List,
    /// Remove a key; the producers refuse it after their next instance refresh.
    Revoke {
        /// The key's name, as `list` shows it.
        name: String,
    },
}

pub async fn run(args: ApiKeysArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let action = match args.command {
        ApiKeysCommand::Create { name } => ApiKeysAction::Create(name),
        ApiKeysCommand::List => ApiKeysAction::List,
        ApiKeysCommand::Revoke { name } => ApiKeysAction::Revoke(name),
    };
    let report = api_keys::run(context, action).await?;
    console.emit(&report, |console| views::api_keys::print(console, &report))?;
    Ok(Exit::Success)
}
