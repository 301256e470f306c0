//! Thin subcommands: each turns its arguments into an options struct and
//! calls an operation in `ops`. Nothing here talks to AWS or Kafka.

pub mod profiles;

use crate::cli::{Cli, Command};
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;

pub async fn run(cli: Cli, console: &Console) -> Result<Exit, CliError> {
    match cli.command {
        Command::Profiles(args) => profiles::run(args, &cli.global, console),
    }
}
