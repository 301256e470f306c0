use clap::Args;

use super::plan::target_options;
use crate::cli::GlobalArgs;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::cluster::status as ops;
use crate::views;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Tier to check drift against (default: the environment's, else the cluster's forgectl:tier tag).
    #[arg(long)]
    pub tier: Option<String>,
}

pub async fn run(args: StatusArgs, global: &GlobalArgs, console: &Console) -> Result<Exit, CliError> {
    if let Some(environment) = super::local_provider::local_environment(global)? {
        return super::local_provider::status(args, environment, global, console).await;
    }
    let report = ops::status(&target_options(global, args.tier)?, console).await?;
    console.emit(&report, |console| views::cluster::print_status(console, &report))?;
    Ok(Exit::Success)
}
