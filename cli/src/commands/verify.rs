use std::time::Duration;

use clap::Args;

use crate::commands::prove_context::ProveContext;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::context::RunContext;
use crate::ops::verify::{self, VerifyOptions};
use crate::prove::store::{PostgresStore, Store};
use crate::views;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Tier whose topics decide the kinds to send (default: the environment's).
    #[arg(long)]
    pub tier: Option<String>,

    /// Canary uploads per kind (1-100), 3 records each.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub uploads_per_kind: u32,

    /// How long to wait for every record to be stored (at most 10m).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = crate::commands::duration::parse_duration)]
    pub wait: Duration,

    /// Delete the canary rows afterwards (device id forgectl-canary-<run>).
    #[arg(long)]
    pub cleanup: bool,
}

pub async fn run(args: VerifyArgs, run_context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let context = ProveContext::resolve(run_context, args.tier.as_deref()).await?;
    let options = VerifyOptions {
        environment: context.environment.name.clone(),
        front_door: context.targets.front_door.clone(),
        kinds: context.kinds(),
        uploads_per_kind: args.uploads_per_kind,
        wait: args.wait,
        cleanup: args.cleanup,
    };
    verify::check_options(&options)?;
    let stores: Vec<Box<dyn Store>> = vec![Box::new(PostgresStore::connect(&context.targets.postgres).await?)];
    let report = verify::verify(&options, &stores, console).await?;
    console.emit(&report, |console| views::prove::print_verify(console, &report))?;
    Ok(if report.passed { Exit::Success } else { Exit::Failure })
}
