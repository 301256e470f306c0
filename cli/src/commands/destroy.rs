use std::time::Duration;

use clap::Args;

use super::duration::parse_duration;
use crate::config::Provider;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::cluster::destroy::{self as ops, DestroyOptions};
use crate::ops::context::RunContext;
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

pub async fn run(args: DestroyArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    if context.provider() == Provider::Local {
        return super::local_provider::destroy(args, context, console).await;
    }
    let options = DestroyOptions { assume_yes: args.yes, confirm: args.confirm, timeout: args.timeout };
    let report = ops::destroy(context, &options, console).await?;
    console.emit(&report, |console| views::cluster::print_destroy(console, &report))?;
    Ok(Exit::Success)
}
