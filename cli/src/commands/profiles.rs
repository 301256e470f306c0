use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::GlobalArgs;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::cluster::adopt::ClusterRef;
use crate::ops::cluster::capture::{self, CaptureOptions};
use crate::ops::context::RunContext;
use crate::ops::profiles::{self as ops, ProfilesOptions};
use crate::profile::{ProfileSource, ResolveOptions};
use crate::views;

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    pub command: ProfilesCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// A table of every tier: DAU, brokers, broker type and the ladder per role.
    List,
    /// Everything in one tier, topics included.
    Show {
        /// Tier name, e.g. 50k.
        tier: String,
    },
    /// Validate the profiles directory, or the files given.
    Validate {
        /// Profile files to validate instead of the whole directory.
        files: Vec<PathBuf>,
    },
    /// Write a tier profile from a live MSK cluster: its brokers and its topics as the brokers hold them.
    FromCluster(FromClusterArgs),
}

#[derive(Debug, Args)]
pub struct FromClusterArgs {
    /// The cluster, by ARN (default: the environment's cluster).
    #[arg(long, value_name = "ARN", conflicts_with = "cluster_name")]
    pub cluster_arn: Option<String>,
    /// The cluster, by its exact name.
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,
    /// The tier whose topics are read and whose ladder is kept (default: the environment's `tier`).
    #[arg(long)]
    pub tier: Option<String>,
    /// The profile file to write; its name (without .yaml) is the new tier's name.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

pub async fn run(args: ProfilesArgs, global: &GlobalArgs, console: &Console) -> Result<Exit, CliError> {
    let options = ProfilesOptions {
        source: ProfileSource::resolve(global.profiles_dir.as_deref())?,
        resolve: ResolveOptions { india: global.india },
    };
    match args.command {
        ProfilesCommand::List => {
            let profiles = ops::list(&options)?;
            console.emit(&profiles, |console| views::profiles::print_list(console, &profiles))?;
            Ok(Exit::Success)
        }
        ProfilesCommand::Show { tier } => {
            let profile = ops::show(&options, &tier)?;
            console.emit(&profile, |console| views::profiles::print_show(console, &profile))?;
            Ok(Exit::Success)
        }
        ProfilesCommand::Validate { files } => {
            let report = ops::validate(&options, &files)?;
            console.emit(&report, |console| views::profiles::print_validation(console, &report))?;
            Ok(if report.valid { Exit::Success } else { Exit::Usage })
        }
        ProfilesCommand::FromCluster(args) => {
            // The only profiles command that reads an environment (its AWS account and tier).
            let context = RunContext::resolve(&global.environment_overrides(), global.profiles_dir.as_deref())?;
            from_cluster(args, &context, console).await
        }
    }
}

async fn from_cluster(args: FromClusterArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let cluster = ClusterRef::from_flags(args.cluster_arn, args.cluster_name);
    let options = CaptureOptions { cluster, tier: args.tier, out: args.out, force: args.force };
    let report = capture::from_cluster(context, &options, console).await?;
    console.emit(&report, |console| views::profiles::print_captured(console, &report))?;
    Ok(Exit::Success)
}
