use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::commands::prove_context::ProveContext;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::context::RunContext;
use crate::ops::loadtest::{self, LoadtestOptions};
use crate::prove::endpoint::check_target;
use crate::prove::workload::Workload;
use crate::views;

#[derive(Debug, Args)]
pub struct LoadtestArgs {
    /// Tier whose peak rate and SLOs apply (default: the environment's).
    #[arg(long)]
    pub tier: Option<String>,

    /// How long to send load (at most 15m); the drain wait comes after.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = crate::commands::duration::parse_duration)]
    pub duration: Duration,

    /// Multiple of the tier's peak upload rate (at most 10).
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    pub rate_multiplier: f64,

    /// Where the HTML and JSON reports go. Default: .forgectl/<env>/loadtest
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,

    /// Only as a safety check: the run is refused unless this is the
    /// environment's own front door.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
}

pub async fn run(args: LoadtestArgs, run_context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let context = ProveContext::resolve(run_context, args.tier.as_deref()).await?;
    check_target(&context.targets.front_door, args.target.as_deref())?;
    let report_dir = match args.report_dir {
        Some(dir) => dir,
        None => PathBuf::from(".forgectl").join(&context.environment.name).join("loadtest"),
    };
    let kinds = context.kinds();
    let options = LoadtestOptions {
        environment: context.environment.name.clone(),
        front_door: context.targets.front_door.clone(),
        kafka: context.targets.kafka.clone(),
        workload: Workload::builtin()?.restricted_to(&kinds),
        profile: context.profile,
        duration: args.duration,
        rate_multiplier: args.rate_multiplier,
        report_dir,
    };
    let plan = loadtest::plan(&options)?;
    console.info(format!(
        "sending {} uploads at {:.1}/s for {} to {}",
        plan.uploads,
        plan.target_rate_per_second,
        humantime::format_duration(options.duration),
        options.front_door.url
    ));
    let report = loadtest::run(&options, console).await?;
    console.emit(&report, |console| views::prove::print_loadtest(console, &report))?;
    Ok(if report.verdict.passed { Exit::Success } else { Exit::Failure })
}
