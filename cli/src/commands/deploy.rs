use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::cli::GlobalArgs;
use crate::commands::render::RoleArg;
use crate::config::{select_environment, ConfigError, Provider};
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::local::release::{is_valid_version, Artifacts};
use crate::ops::deploy_local::{self as ops, LocalDeployOptions};
use crate::ops::deploy_plan::has_changes;
use crate::ops::render::{kafka_connection, postgres_connection};
use crate::profile::{load_tier, ProfileSource, ResolveOptions};
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
    #[arg(long)]
    pub yes: bool,

    /// Local provider: take the service binaries from this directory instead of building them.
    #[arg(long, value_name = "DIR")]
    pub artifacts_dir: Option<PathBuf>,

    /// How long a new instance may take to answer /ready before the rollout stops and rolls back.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub ready_timeout: u64,
}

pub async fn run(args: DeployArgs, global: &GlobalArgs, console: &Console) -> Result<Exit, CliError> {
    let environment = select_environment(&global.environment_overrides())?;
    if !is_valid_version(&args.version) {
        return Err(ConfigError::Invalid {
            env: environment.name.clone(),
            key: "--version".into(),
            message: format!("`{}` is not a valid version tag", args.version),
            hint: "use letters, digits, `.`, `_` and `-`, e.g. v1.4.2 or a commit hash".into(),
        }
        .into());
    }
    if environment.provider == Provider::Aws {
        return Err(CliError::Unsupported {
            what: "deploy to the aws provider".into(),
            hint: "the AWS rollout (ECR, Auto Scaling groups, load balancer) is not built yet; use an environment with provider local, or `forgectl render k8s|compose|env` to deploy elsewhere".into(),
        });
    }
    let tier = environment.tier_or(args.tier.as_deref())?;
    let source = ProfileSource::resolve(global.profiles_dir.as_deref())?;
    let profile = load_tier(&source, &tier, ResolveOptions { india: environment.india })?;
    let postgres = postgres_connection(&environment, true)?;
    if postgres.password.is_none() {
        let variable = environment.postgres.as_ref().map(|pg| pg.password_env.clone()).unwrap_or_default();
        return Err(ConfigError::MissingVariable { env: environment.name.clone(), key: "postgres.password_env".into(), variable }.into());
    }
    let base_dir = std::env::current_dir().map_err(|source| CliError::WriteFile { path: PathBuf::from("."), source })?;
    let options = LocalDeployOptions {
        kafka: kafka_connection(&environment)?,
        postgres,
        producer_port: environment.producer_port,
        environment,
        profile,
        version: args.version,
        roles: args.roles.into_iter().map(Into::into).collect(),
        artifacts: args.artifacts_dir.map(Artifacts::Directory).unwrap_or(Artifacts::BuildWorkspace),
        ready_timeout: Duration::from_secs(args.ready_timeout),
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
