use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use crate::commands::duration::parse_duration;
use crate::commands::render::RoleArg;
use crate::config::{ConfigError, Provider};
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::fleet::plan::FleetPlan;
use crate::fleet::roles::has_changes;
use crate::fleet::{self, FleetError};
use crate::local::release::{is_valid_version, Artifacts};
use crate::monitoring::plan::{MonitoringChange, MonitoringPlan};
use crate::ops::context::RunContext;
use crate::ops::cost::{tier_change, CostChange};
use crate::ops::deploy::aws::apply::{self as deploy_aws_apply, AwsDeployReport};
use crate::ops::deploy::aws::monitoring as deploy_aws_monitoring;
use crate::ops::deploy::aws::observe::{self as deploy_aws, AwsDeployOptions};
use crate::ops::deploy::local::{self as ops, LocalDeployOptions};
use crate::ops::render::{kafka_connection, mongodb_connection, postgres_connection};
use crate::views;

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Version (image tag) to roll out.
    #[arg(long = "version", value_name = "TAG")]
    pub version: String,

    /// Tier whose ladder sizes the roles (default: the environment's).
    #[arg(long)]
    pub tier: Option<String>,

    /// Only these roles (repeatable). Default: all four.
    #[arg(long = "role", value_enum)]
    pub roles: Vec<RoleArg>,

    /// Show the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Apply without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Local provider: take the service binaries from this directory instead of building them.
    #[arg(long, value_name = "DIR")]
    pub artifacts_dir: Option<PathBuf>,

    /// How long a batch of new instances may take to become healthy (local:
    /// to answer /ready) before the rollout stops and rolls back.
    /// A bare number is seconds; `90s`, `15m` work too.
    /// Default: 60s for local processes, 15m for EC2 instances.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub ready_timeout: Option<Duration>,
}

/// EC2 instances install Docker and pull the image before they answer.
const AWS_BATCH_TIMEOUT: Duration = Duration::from_secs(900);
const LOCAL_READY_TIMEOUT: Duration = Duration::from_secs(60);
/// DescribeInstanceRefreshes is rate limited per account; every few seconds is plenty.
const AWS_POLL_INTERVAL: Duration = Duration::from_secs(3);

pub async fn run(args: DeployArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let environment = context.environment.clone();
    if !is_valid_version(&args.version) {
        return Err(ConfigError::Invalid {
            env: environment.name.clone(),
            key: "--version".into(),
            message: format!("`{}` is not a valid version tag", args.version),
            hint: "use letters, digits, `.`, `_` and `-`, e.g. v1.4.2 or a commit hash".into(),
        }
        .into());
    }
    let profile = context.tier_profile(args.tier.as_deref())?.profile;
    if environment.provider == Provider::Aws {
        let cost = tier_change(&environment, &context.profiles, &profile);
        let options = AwsDeployOptions {
            environment,
            profile,
            version: args.version,
            roles: args.roles.into_iter().map(Into::into).collect(),
            batch_timeout: args.ready_timeout.unwrap_or(AWS_BATCH_TIMEOUT),
            poll_interval: AWS_POLL_INTERVAL,
        };
        return deploy_aws(context, options, cost, args.dry_run, args.yes, console).await;
    }
    let postgres = postgres_connection(&environment, true)?;
    if postgres.password.is_none() {
        let variable = environment.postgres.as_ref().map(|pg| pg.password_env.clone()).unwrap_or_default();
        return Err(ConfigError::MissingVariable {
            env: environment.name.clone(),
            key: "postgres.password_env".into(),
            variable,
            local: environment.provider == Provider::Local,
        }
        .into());
    }
    let mongodb = mongodb_connection(&environment, true);
    if let Some(variable) = environment.mongodb.as_ref().and_then(|mongo| mongo.password_env.clone()) {
        if mongodb.as_ref().is_some_and(|mongo| mongo.password.is_none()) {
            return Err(ConfigError::MissingVariable {
                env: environment.name.clone(),
                key: "mongodb.password_env".into(),
                variable,
                local: environment.provider == Provider::Local,
            }
            .into());
        }
    }
    let base_dir =
        std::env::current_dir().map_err(|source| CliError::WriteFile { path: PathBuf::from("."), source })?;
    let options = LocalDeployOptions {
        kafka: kafka_connection(&environment, true)?,
        postgres,
        mongodb,
        producer_port: environment.producer_port,
        scrape_dir: std::env::var_os(crate::local::scrape::SCRAPE_DIR_VAR).map(PathBuf::from),
        environment,
        profile,
        version: args.version,
        roles: args.roles.into_iter().map(Into::into).collect(),
        artifacts: args.artifacts_dir.map(Artifacts::Directory).unwrap_or(Artifacts::BuildWorkspace),
        ready_timeout: args.ready_timeout.unwrap_or(LOCAL_READY_TIMEOUT),
        base_dir,
    };

    let plans = ops::local_plan(&options)?;
    if args.dry_run || !has_changes(&plans) {
        console.emit(&plans, |console| views::deploy::print_plan(console, &plans))?;
        if !has_changes(&plans) {
            console.info("nothing to change");
        }
        return Ok(Exit::Success);
    }
    if console.format() == crate::console::OutputFormat::Table {
        views::deploy::print_plan(console, &plans);
    }
    console.confirm(&format!("Deploy {} to {}", options.version, options.environment.name), args.yes)?;
    let report = ops::apply(&options, plans, console).await?;
    console.emit(&report, |console| views::deploy::print_report(console, &report))?;
    Ok(Exit::Success)
}

/// The aws plan with the monthly change of the tier, as `--dry-run` shows it.
#[derive(Serialize)]
struct FleetPlanWithCost<'a> {
    #[serde(flatten)]
    plan: &'a FleetPlan,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<&'a CostChange>,
    /// The alarm topic, alarms and dashboard: their own section of the plan.
    monitoring: &'a MonitoringPlan,
}

/// What an aws deploy did: the fleet's report when the fleet changed, and
/// the monitoring resources it created, updated or deleted.
#[derive(Serialize)]
struct AwsDeployOutcome {
    #[serde(flatten)]
    fleet: Option<AwsDeployReport>,
    monitoring: Vec<MonitoringChange>,
}

async fn deploy_aws(
    context: &RunContext,
    options: AwsDeployOptions,
    cost: Option<CostChange>,
    dry_run: bool,
    yes: bool,
    console: &Console,
) -> Result<Exit, CliError> {
    let clients = context.aws().await;
    let actual = deploy_aws::observe(clients, &options).await?;
    let plan = fleet::plan::plan(&actual, &options.target())?;
    let (target, observed) =
        deploy_aws_monitoring::observe(clients, &options.environment, &options.profile, plan.serves_producer).await?;
    let monitoring = crate::monitoring::plan::plan(&target, &observed);
    if let Some(refusal) = deploy_aws_monitoring::refusal(&options.environment, &monitoring) {
        if console.format() == crate::console::OutputFormat::Table {
            views::monitoring::print_plan(console, &monitoring);
        }
        return Err(refusal.into());
    }
    if let Some(refusal) = plan.refusal() {
        // Shown like provision shows a refused plan; nothing was changed.
        if console.format() == crate::console::OutputFormat::Table {
            views::deploy::print_fleet_plan(console, &plan);
        }
        return Err(FleetError::from(refusal.clone()).into());
    }
    let has_changes = plan.has_changes() || monitoring.has_changes();
    if dry_run || !has_changes {
        let shown = FleetPlanWithCost { plan: &plan, cost: cost.as_ref(), monitoring: &monitoring };
        console.emit(&shown, |console| {
            views::deploy::print_fleet_plan(console, &plan);
            views::monitoring::print_plan(console, &monitoring);
            if let Some(cost) = &cost {
                console.out(views::cost::change_line(cost));
            }
        })?;
        if !has_changes {
            console.info("nothing to change");
        }
        return Ok(Exit::Success);
    }
    deploy_aws::require_secrets(&actual, &options.environment.name)?;
    if console.format() == crate::console::OutputFormat::Table {
        views::deploy::print_fleet_plan(console, &plan);
        views::monitoring::print_plan(console, &monitoring);
    }
    console.confirm(&format!("Deploy {} to {}", options.version, options.environment.name), yes)?;
    // The fleet first: the alarms name the load balancer it may create.
    let fleet = match plan.has_changes() {
        true => Some(deploy_aws_apply::apply(clients, &options, &plan, console).await?),
        false => None,
    };
    let monitoring = deploy_aws_monitoring::apply(clients, &options.environment, &monitoring, console).await?;
    let outcome = AwsDeployOutcome { fleet, monitoring };
    console.emit(&outcome, |console| {
        if let Some(report) = &outcome.fleet {
            views::deploy::print_fleet_report(console, report);
        }
        views::monitoring::print_applied(console, &outcome.monitoring);
    })?;
    Ok(Exit::Success)
}
