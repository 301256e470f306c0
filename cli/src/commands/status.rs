use std::time::Duration;

use clap::Args;

use super::duration::parse_duration;
use crate::config::Provider;
use crate::console::{Console, OutputFormat};
use crate::error::CliError;
use crate::exit::Exit;
use crate::observe::ObserveError;
use crate::ops::cluster::status as ops;
use crate::ops::context::RunContext;
use crate::ops::watch::{self as watch_ops, WatchOptions};
use crate::views;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Tier to check drift against (default: the environment's, else the cluster's forgectl:tier tag).
    #[arg(long)]
    pub tier: Option<String>,

    /// A live view from the environment's Prometheus: uploads/s and p99 per kind, lag per group with
    /// its trend, rows/s, dead letters, instances per role against the ladder, firing alerts.
    #[arg(long)]
    pub watch: bool,

    /// Time between two refreshes of --watch (e.g. 5s, 1m).
    #[arg(long, value_parser = parse_duration, default_value = "5s", requires = "watch")]
    pub interval: Duration,

    /// Stop --watch after N refreshes (default: until interrupted).
    #[arg(long, value_name = "N", requires = "watch")]
    pub count: Option<u64>,

    /// The Prometheus that scrapes the environment, for --watch (the local stack exports it).
    /// No `requires`: a value from the environment must not break a plain `status`.
    #[arg(long, env = "FORGECTL_PROMETHEUS_URL")]
    pub prometheus_url: Option<String>,
}

pub async fn run(args: StatusArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    if args.watch {
        return watch(args, context, console).await;
    }
    if context.provider() == Provider::Local {
        return super::local_provider::status(args, context, console).await;
    }
    let report = ops::status(context, args.tier.as_deref(), console).await?;
    console.emit(&report, |console| views::cluster::print_status(console, &report))?;
    Ok(Exit::Success)
}

async fn watch(args: StatusArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let profile = context.tier_profile(args.tier.as_deref())?.profile;
    let options = WatchOptions {
        prometheus_url: args.prometheus_url.ok_or(ObserveError::NoPrometheus)?,
        environment: context.environment.name.clone(),
        profile,
        interval: args.interval,
        count: args.count,
    };
    // A terminal gets a screen redrawn in place; anything else plain blocks.
    let redraw = console.stdout_is_tty() && options.count.is_none();
    let mut printed = Ok(());
    watch_ops::watch(&options, |snapshot| match console.format() {
        OutputFormat::Json => {
            if printed.is_ok() {
                printed = console.json(snapshot);
            }
        }
        OutputFormat::Table => views::watch::print_snapshot(console, snapshot, redraw),
    })
    .await?;
    printed?;
    Ok(Exit::Success)
}
