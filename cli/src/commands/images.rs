use clap::{Args, Subcommand};

use crate::config::{ConfigError, Provider};
use crate::console::{Console, OutputFormat};
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::context::RunContext;
use crate::ops::images;
use crate::views;

#[derive(Debug, Args)]
pub struct ImagesArgs {
    #[command(subcommand)]
    pub command: ImagesCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImagesCommand {
    /// Create the producer and consumer ECR repositories (scan on push, lifecycle policy).
    Init,
    /// Print the registry password for `docker login --password-stdin` (JSON: registry, username, password).
    Login,
}

pub async fn run(args: ImagesArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let environment = &context.environment;
    if environment.provider != Provider::Aws {
        return Err(ConfigError::Invalid {
            env: environment.name.clone(),
            key: "provider".into(),
            message: "images live in ECR, which only aws environments use".into(),
            hint: "pick an aws environment with --env".into(),
        }
        .into());
    }
    let clients = context.aws().await;
    match args.command {
        ImagesCommand::Init => {
            let results = images::init(clients, environment.services.keep_images).await?;
            console.emit(&results, |console| views::images::print_init(console, &results))?;
        }
        ImagesCommand::Login => {
            let login = images::login(clients).await?;
            if console.format() == OutputFormat::Json {
                console.json(&login)?;
            } else {
                // Like `aws ecr get-login-password`: only the password on
                // stdout, so it can be piped; the rest goes to stderr.
                console.info(format!(
                    "pipe this into: docker login --username {} --password-stdin {}",
                    login.username, login.registry
                ));
                console.out(&login.password);
            }
        }
    }
    Ok(Exit::Success)
}
