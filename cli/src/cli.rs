//! The argument surface: global flags and the subcommand list. Each
//! subcommand's own flags live in its file under `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::config::EnvironmentOverrides;
use crate::console::OutputFormat;

#[derive(Debug, Parser)]
#[command(
    name = "forgectl",
    version,
    about = "Provision and roll out the mobile-data sync pipeline from DAU-tier profiles",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Output format: human tables, or stable JSON for pipelines.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// Directory of tier profiles. Default: ./profiles when it exists, else the profiles built into forgectl.
    #[arg(long, global = true, env = "FORGECTL_PROFILES_DIR", value_name = "DIR")]
    pub profiles_dir: Option<PathBuf>,

    /// Apply the India switch: leave out the topics India deployments do not need.
    #[arg(long, global = true)]
    pub india: bool,

    /// Environment from the config file (default: its default_environment).
    #[arg(long = "env", global = true, env = "FORGECTL_ENV", value_name = "NAME")]
    pub env: Option<String>,

    /// Config file with the environments. Default: ./forgectl.yaml
    #[arg(long, global = true, env = "FORGECTL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// AWS region, overriding the environment's and the SDK chain's.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Named AWS profile for credentials.
    #[arg(long = "profile", global = true, value_name = "AWS_PROFILE")]
    pub aws_profile: Option<String>,
}

impl GlobalArgs {
    pub fn environment_overrides(&self) -> EnvironmentOverrides {
        EnvironmentOverrides {
            config: self.config.clone(),
            env: self.env.clone(),
            region: self.region.clone(),
            aws_profile: self.aws_profile.clone(),
            india: self.india,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, show and validate DAU-tier profiles.
    Profiles(commands::profiles::ProfilesArgs),
}
