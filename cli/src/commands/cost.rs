use clap::Args;

use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::context::RunContext;
use crate::ops::cost::{self as ops, CostOptions};
use crate::views;

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Tier to price (default: the environment's `tier`).
    #[arg(long)]
    pub tier: Option<String>,
    /// Ask the AWS Price List API for current prices instead of the built-in table.
    #[arg(long)]
    pub live: bool,
}

pub async fn run(args: CostArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let options = CostOptions { tier: args.tier, live: args.live };
    let estimate = ops::cost(context, &options).await?;
    console.emit(&estimate, |console| views::cost::print_estimate(console, &estimate))?;
    Ok(Exit::Success)
}
