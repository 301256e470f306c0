use clap::{Args, Subcommand};

use crate::config::Provider;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::context::RunContext;
use crate::ops::topics::inspect as topics_inspect;
use crate::ops::topics::reconcile::{self as ops, TargetOptions, TopicsOptions, TopicsSyncOptions, Via};
use crate::topics::Batching;
use crate::views;

#[derive(Debug, Args)]
pub struct TopicsArgs {
    #[command(subcommand)]
    pub command: TopicsCommand,
}

/// Which cluster and which topics; shared by every topics subcommand.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Tier whose topics are desired (default: the environment's tier).
    #[arg(long)]
    pub tier: Option<String>,
    /// Backend: the Kafka admin protocol, the MSK topic API, or Kafka when the brokers answer.
    #[arg(long, value_enum, default_value_t = Via::Auto)]
    pub via: Via,
    /// Talk to these brokers directly (HOST:PORT[,…]); no AWS involved.
    #[arg(long, value_name = "HOST:PORT[,…]")]
    pub bootstrap: Option<String>,
    /// The MSK cluster, instead of looking up the environment's by name.
    #[arg(long, value_name = "ARN")]
    pub cluster_arn: Option<String>,
    /// Only consider topics whose names start with PREFIX (for clusters
    /// shared by several deployments): others are never listed or pruned.
    #[arg(long, value_name = "PREFIX")]
    pub scope: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TopicsCommand {
    /// Show what sync would do: topic, field, current, desired, action.
    Plan {
        #[command(flatten)]
        target: TargetArgs,
        /// Show unmanaged topics as deletions, as `sync --prune` would.
        #[arg(long)]
        prune: bool,
    },
    /// Create missing topics, raise partitions, set declared configs.
    Sync {
        #[command(flatten)]
        target: TargetArgs,
        /// Plan only; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Delete topics the profile does not declare (internal topics never).
        #[arg(long)]
        prune: bool,
        /// Do not ask before deleting.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Exit 0 when in sync, 3 on drift, 1 on error (for CI).
    Check {
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Partitions, leaders, ISR, under-replicated partitions and configs with their source.
    Describe {
        #[command(flatten)]
        target: TargetArgs,
        /// Topics to describe (default: the tier's).
        topics: Vec<String>,
    },
    /// Committed offset, high watermark and lag per partition, with totals.
    Lag {
        #[command(flatten)]
        target: TargetArgs,
        /// Consumer group (repeatable; default: the tier's three groups).
        #[arg(long = "group", value_name = "GROUP")]
        groups: Vec<String>,
    },
}

async fn options(target: TargetArgs, context: &RunContext) -> TopicsOptions {
    // The MSK cluster is found, and the MSK backend used, with the run's clients.
    // `--bootstrap` talks to brokers straight and needs no AWS.
    let aws = match (context.provider(), &target.bootstrap) {
        (Provider::Aws, None) => Some(context.aws().await.clone()),
        _ => None,
    };
    TopicsOptions {
        target: TargetOptions {
            environment: context.environment.clone(),
            via: target.via,
            bootstrap: target.bootstrap,
            cluster_arn: target.cluster_arn,
            aws,
            batching: Batching::Batched,
        },
        profiles: context.profiles.clone(),
        tier: target.tier,
        scope: target.scope,
    }
}

pub async fn run(args: TopicsArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    match args.command {
        TopicsCommand::Plan { target, prune } => {
            let report = ops::plan_with_prune(&options(target, context).await, prune, console).await?;
            console.emit(&report, |c| views::topics::print_plan(c, &report))?;
            Ok(if report.plan.has_refusals() { Exit::Usage } else { Exit::Success })
        }
        TopicsCommand::Sync { target, dry_run, prune, yes } => {
            let options = TopicsSyncOptions { topics: options(target, context).await, dry_run, prune, assume_yes: yes };
            let report = ops::sync(&options, console).await?;
            console.emit(&report, |c| views::topics::print_sync(c, &report))?;
            Ok(Exit::Success)
        }
        TopicsCommand::Check { target } => {
            let report = ops::plan(&options(target, context).await, console).await?;
            console.emit(&report, |c| views::topics::print_plan(c, &report))?;
            Ok(if report.in_sync { Exit::Success } else { Exit::Drift })
        }
        TopicsCommand::Describe { target, topics } => {
            let report = topics_inspect::describe(&options(target, context).await, &topics, console).await?;
            console.emit(&report, |c| views::topics::print_describe(c, &report))?;
            Ok(Exit::Success)
        }
        TopicsCommand::Lag { target, groups } => {
            let report = topics_inspect::lag(&options(target, context).await, &groups, console).await?;
            console.emit(&report, |c| views::topics::print_lag(c, &report))?;
            Ok(Exit::Success)
        }
    }
}
