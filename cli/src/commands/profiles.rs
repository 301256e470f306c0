use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::GlobalArgs;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
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
}

pub fn run(args: ProfilesArgs, global: &GlobalArgs, console: &Console) -> Result<Exit, CliError> {
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
    }
}
