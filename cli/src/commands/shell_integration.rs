//! `forgectl version`, `forgectl completion SHELL` and `forgectl man`.

use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::build_info::build_info;
use crate::ops::shell_integration::{completion_script, write_man_pages};
use crate::views;

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// Shell to write the completion script for (to stdout).
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write the man pages into (created when missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

pub fn version(console: &Console) -> Result<Exit, CliError> {
    let info = build_info();
    console.emit(&info, |console| views::build_info::print(console, &info))?;
    Ok(Exit::Success)
}

pub fn completion(args: CompletionArgs, console: &Console) -> Result<Exit, CliError> {
    console.out(completion_script(Cli::command(), args.shell).trim_end());
    Ok(Exit::Success)
}

pub fn man(args: ManArgs, console: &Console) -> Result<Exit, CliError> {
    let pages = write_man_pages(Cli::command(), &args.out_dir)?;
    console.emit(&pages, |console| views::build_info::print_man_pages(console, &pages))?;
    Ok(Exit::Success)
}
