use clap::Args;

use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::cluster::plan as ops;
use crate::ops::context::RunContext;
use crate::views;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Tier to plan for (default: the environment's `tier`).
    #[arg(long)]
    pub tier: Option<String>,
    /// Exit 0 when nothing would change, 3 when changes are pending, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

pub async fn run(args: PlanArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let report = ops::plan(context, args.tier.as_deref()).await?;
    console.emit(&report, |console| views::cluster::print_plan_report(console, &report))?;
    Ok(if report.plan.refused {
        // The tier cannot be reached from here: bad input for this environment.
        Exit::Usage
    } else if args.detailed_exitcode && report.plan.pending {
        Exit::Drift
    } else {
        Exit::Success
    })
}
