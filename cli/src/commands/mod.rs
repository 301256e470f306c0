//! Thin subcommands: each turns its arguments into an options struct, calls
//! an operation in `ops` with the run's context, and prints the report
//! through a view. Nothing here talks to AWS or Kafka.

pub mod adopt;
pub mod api_keys;
pub mod capacity;
pub mod cost;
pub mod deploy;
pub mod destroy;
pub mod duration;
pub mod iam_policy;
pub mod images;
pub mod init;
pub mod loadtest;
pub mod local_balancer;
mod local_provider;
pub mod plan;
pub mod profiles;
mod prove_context;
pub mod provision;
pub mod render;
pub mod shell_integration;
pub mod status;
pub mod topics;
pub mod verify;

use crate::cli::{Cli, Command};
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::context::RunContext;

pub async fn run(cli: Cli, console: &Console) -> Result<Exit, CliError> {
    let global = &cli.global;
    // Resolved once, here, for the commands that act on an environment.
    let context = || RunContext::resolve(&global.environment_overrides(), global.profiles_dir.as_deref());
    match cli.command {
        Command::Profiles(args) => profiles::run(args, global, console).await,
        Command::Render(args) => render::run(args, &context()?, console).await,
        Command::Deploy(args) => deploy::run(args, &context()?, console).await,
        Command::Images(args) => images::run(args, &context()?, console).await,
        Command::LocalBalancer(args) => local_balancer::run(args).await,
        Command::Topics(args) => topics::run(args, &context()?, console).await,
        Command::Plan(args) => plan::run(args, &context()?, console).await,
        Command::Provision(args) => provision::run(args, &context()?, console).await,
        Command::Adopt(args) => adopt::run(args, &context()?, console).await,
        Command::Status(args) => status::run(args, &context()?, console).await,
        Command::Destroy(args) => destroy::run(args, &context()?, console).await,
        Command::Init(args) => init::run(args, global, console).await,
        Command::Version => shell_integration::version(console),
        Command::Completion(args) => shell_integration::completion(args, console),
        Command::Man(args) => shell_integration::man(args, console),
        Command::Cost(args) => cost::run(args, &context()?, console).await,
        Command::Verify(args) => verify::run(args, &context()?, console).await,
        Command::Loadtest(args) => loadtest::run(args, &context()?, console).await,
        Command::Capacity(args) => capacity::run(args, &context()?, console).await,
        Command::ApiKeys(args) => api_keys::run(args, &context()?, console).await,
        Command::IamPolicy(args) => iam_policy::run(args, &context()?, console),
    }
}
