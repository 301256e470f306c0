use std::process::ExitCode;

use clap::Parser;
use forgectl::cli::Cli;
use forgectl::console::Console;
use forgectl::exit::Exit;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with 2, our code for bad input.
    let cli = Cli::parse();
    let console = Console::with_colour(cli.global.output, cli.global.color);
    match run(cli, &console) {
        Ok(exit) => exit.into(),
        Err(error) => {
            let hint = match error.downcast_ref::<forgectl::error::CliError>() {
                Some(cli_error) => cli_error.hint(),
                None => None,
            };
            console.error(error.as_ref(), hint.as_deref());
            match error.downcast_ref::<forgectl::error::CliError>() {
                Some(cli_error) => cli_error.exit().into(),
                None => Exit::Failure.into(),
            }
        }
    }
}

fn run(cli: Cli, console: &Console) -> anyhow::Result<Exit> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    Ok(runtime.block_on(forgectl::commands::run(cli, console))?)
}
