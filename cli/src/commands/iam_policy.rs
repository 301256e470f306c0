use clap::{Args, ValueEnum};

use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::context::RunContext;
use crate::ops::iam_policy::{self as ops, PolicyCommand};
use crate::views;

#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    /// The command the policy is for; `ci-plan` is the pipeline's read-only plan and `topics check --via msk`.
    #[arg(long = "for", value_enum, value_name = "COMMAND")]
    pub command: PolicyFor,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PolicyFor {
    Plan,
    Provision,
    Deploy,
    Destroy,
    CiPlan,
}

pub fn run(args: IamPolicyArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let command = match args.command {
        PolicyFor::Plan => PolicyCommand::Plan,
        PolicyFor::Provision => PolicyCommand::Provision,
        PolicyFor::Deploy => PolicyCommand::Deploy,
        PolicyFor::Destroy => PolicyCommand::Destroy,
        PolicyFor::CiPlan => PolicyCommand::CiPlan,
    };
    let policy = ops::iam_policy(&context.environment, command)?;
    views::iam_policy::print(console, &policy)?;
    Ok(Exit::Success)
}
