//! Shell completion scripts and man pages, generated from the same clap
//! definition the binary parses with, so they cannot drift from it.

use std::path::{Path, PathBuf};

use clap::Command;
use clap_complete::Shell;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ShellIntegrationError {
    #[error("cannot render the man page of `{command}`: {source}")]
    Render { command: String, source: std::io::Error },
    #[error("cannot create {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// The completion script for `shell`, as text for stdout.
pub fn completion_script(mut command: Command, shell: Shell) -> String {
    let name = command.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

#[derive(Debug, Clone, Serialize)]
pub struct ManPage {
    pub command: String,
    pub path: PathBuf,
}

/// One page per command and subcommand (`forgectl.1`, `forgectl-topics-sync.1`,
/// …), as `man` and packagers expect; hidden commands are left out.
pub fn write_man_pages(command: Command, out_dir: &Path) -> Result<Vec<ManPage>, ShellIntegrationError> {
    std::fs::create_dir_all(out_dir)
        .map_err(|source| ShellIntegrationError::CreateDir { path: out_dir.to_path_buf(), source })?;
    let mut command = command;
    command.build();
    let mut pages = Vec::new();
    write_page(&command, command.get_name(), out_dir, &mut pages)?;
    Ok(pages)
}

fn write_page(
    command: &Command,
    qualified: &str,
    out_dir: &Path,
    pages: &mut Vec<ManPage>,
) -> Result<(), ShellIntegrationError> {
    let page_name = qualified.replace(' ', "-");
    let mut text = Vec::new();
    clap_mangen::Man::new(command.clone().display_name(page_name.as_str()))
        .render(&mut text)
        .map_err(|source| ShellIntegrationError::Render { command: qualified.into(), source })?;
    let path = out_dir.join(format!("{page_name}.1"));
    std::fs::write(&path, text).map_err(|source| ShellIntegrationError::Write { path: path.clone(), source })?;
    pages.push(ManPage { command: qualified.into(), path });
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        write_page(sub, &format!("{qualified} {}", sub.get_name()), out_dir, pages)?;
    }
    Ok(())
}
