use std::time::Duration;

use clap::Args;

use super::duration::parse_duration;
use crate::cluster::Plan;
use crate::config::Provider;
use crate::console::{Console, ConsoleError, OutputFormat};
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::cluster::provision::{self as ops, ProvisionOptions, Provisioned, DEFAULT_TIMEOUT};
use crate::ops::context::RunContext;
use crate::views;

#[derive(Debug, Args)]
pub struct ProvisionArgs {
    /// Tier to provision (default: the environment's `tier`).
    #[arg(long)]
    pub tier: Option<String>,
    /// Apply without asking (required when there is no terminal, as in CI).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show the plan and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// Give up waiting after this long (e.g. 90m, 1h30m, 45s); re-running resumes.
    #[arg(long, value_parser = parse_duration, default_value = "90m", value_name = "DURATION")]
    pub timeout: Duration,
    /// Do not run `topics sync` for the tier at the end.
    #[arg(long)]
    pub skip_topics: bool,
}

pub async fn run(args: ProvisionArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    if context.provider() == Provider::Local {
        return super::local_provider::provision(args, context, console).await;
    }
    debug_assert_eq!(parse_duration("90m"), Ok(DEFAULT_TIMEOUT));
    let options = ProvisionOptions {
        tier: args.tier,
        assume_yes: args.yes,
        dry_run: args.dry_run,
        timeout: args.timeout,
        skip_topics: args.skip_topics,
    };
    match ops::provision(context, &options, &ReviewInConsole { console, assume_yes: args.yes }, console).await? {
        Provisioned::Report(report) => {
            console.emit(&report, |console| views::cluster::print_provision(console, &report))?;
        }
        Provisioned::PlanOnly(plan) => {
            if console.format() == OutputFormat::Json {
                console.json(&plan)?;
            }
            console.info("dry run: nothing was changed");
        }
    }
    Ok(Exit::Success)
}

/// Shows the plan as a table (JSON output gets it in the report) and asks
/// before applying.
struct ReviewInConsole<'a> {
    console: &'a Console,
    assume_yes: bool,
}

impl ops::Review for ReviewInConsole<'_> {
    fn review(&self, plan: &Plan, will_apply: bool) -> Result<(), ConsoleError> {
        if self.console.format() == OutputFormat::Table {
            views::cluster::print_plan(self.console, plan);
        }
        if will_apply {
            self.console.confirm(&format!("Apply this plan to environment {}", plan.env), self.assume_yes)?;
        }
        Ok(())
    }
}
