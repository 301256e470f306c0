//! `provision`, `status` and `destroy` on an environment with provider
//! `local`: the same commands, with options for the local operations.

use crate::cluster::ControlPlaneError;
use crate::commands::destroy::DestroyArgs;
use crate::commands::provision::ProvisionArgs;
use crate::commands::status::StatusArgs;
use crate::config::Environment;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::kafka::KafkaConnection;
use crate::local::state::StateDir;
use crate::ops::context::RunContext;
use crate::ops::local::provision::{self as provision_local, LocalProvisionOptions};
use crate::ops::local::runtime as local_runtime;
use crate::ops::local::status::{self as status_local, LocalStatusOptions};
use crate::ops::render::{kafka_connection, mongodb_connection, postgres_connection};
use crate::ops::topics::reconcile::{TopicsOptions, Via};
use crate::views;

/// The local Kafka straight: a local environment has no MSK to fall back on.
fn topics_options(context: &RunContext, tier: Option<String>) -> TopicsOptions {
    TopicsOptions::for_tier(context, tier, Via::Kafka)
}

pub(crate) fn state_dir(environment: &Environment) -> Result<StateDir, CliError> {
    let base = std::env::current_dir()
        .map_err(|source| CliError::WriteFile { path: std::path::PathBuf::from("."), source })?;
    Ok(StateDir::new(&base, &environment.name))
}

pub async fn provision(args: ProvisionArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let connection: KafkaConnection = kafka_connection(&context.environment, true)?;
    let options = LocalProvisionOptions {
        topics: topics_options(context, args.tier),
        connection,
        dry_run: args.dry_run,
        assume_yes: args.yes,
        skip_topics: args.skip_topics,
    };
    let report = provision_local::provision(&options, console).await?;
    console.emit(&report, |console| views::local::print_provision(console, &report))?;
    Ok(Exit::Success)
}

pub async fn status(args: StatusArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let environment = &context.environment;
    let options = LocalStatusOptions {
        state: state_dir(environment)?,
        postgres: postgres_connection(environment, true)?,
        mongodb: mongodb_connection(environment, true),
        topics: topics_options(context, args.tier),
    };
    let report = status_local::status(&options, console).await?;
    console.emit(&report, |console| views::local::print_status(console, &report))?;
    Ok(Exit::Success)
}

pub async fn destroy(args: DestroyArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let environment = &context.environment;
    let env = environment.name.clone();
    if let Some(given) = args.confirm.as_deref().filter(|given| *given != env) {
        return Err(ControlPlaneError::ConfirmationMismatch { env, given: given.to_string() }.into());
    }
    let confirmed = args.yes && args.confirm.as_deref() == Some(env.as_str());
    if !confirmed {
        if !console.is_interactive() {
            return Err(ControlPlaneError::ConfirmationRequired { env }.into());
        }
        console.confirm(&format!("Stop every forgectl service process of environment {env}"), false)?;
    }
    let state = state_dir(environment)?;
    let teardown = local_runtime::destroy(&state, &env).await?;
    let scrape_dir = std::env::var_os(crate::local::scrape::SCRAPE_DIR_VAR).map(std::path::PathBuf::from);
    crate::local::scrape::withdraw(&state, scrape_dir.as_deref(), &env)?;
    console.emit(&teardown, |console| views::local::print_teardown(console, &teardown))?;
    Ok(Exit::Success)
}
