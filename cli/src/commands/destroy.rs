use std::time::Duration;

use clap::Args;

use super::duration::parse_duration;
use crate::cli::GlobalArgs;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::cluster::destroy::{self as ops, DestroyOptions};
use crate::views;

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Delete without asking; without a terminal it also needs --confirm.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// The environment's name, repeated, to guard against destroying the wrong one.
    #[arg(long, value_name = "ENV")]
    pub confirm: Option<String>,
    /// Give up waiting for the cluster to go after this long; re-running resumes.
    #[arg(long, value_parser = parse_duration, default_value = "60m", value_name = "DURATION")]
    pub timeout: Duration,
}

pub async fn run(args: DestroyArgs, global: &GlobalArgs, console: &Console) -> Result<Exit, CliError> {
    if let Some(environment) = super::local_provider::local_environment(global)? {
        return super::local_provider::destroy(args, environment, console).await;
    }
    let options = DestroyOptions {
        overrides: global.environment_overrides(),
        assume_yes: args.yes,
        confirm: args.confirm,
        timeout: args.timeout,
    };
    let report = ops::destroy(&options, console).await?;
    console.emit(&report, |console| views::cluster::print_destroy(console, &report))?;
    Ok(Exit::Success)
}
