//! The argument surface: global flags and the subcommand list. Each
//! subcommand's own flags live in its file under `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;
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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, show and validate DAU-tier profiles.
    Profiles(commands::profiles::ProfilesArgs),
}
