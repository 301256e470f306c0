//! `forgectl init`: answers from flags, or from prompts on a terminal for
//! what the flags left out, then the init operation and its report.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::GlobalArgs;
use crate::config::ClientAuth;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::init::{self, Discovery, InitOptions};
use crate::profile::ProfileSource;
use crate::views;

const DEFAULT_NAME: &str = "production";
const DEFAULT_TIER: &str = "50k";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The environment's name; it becomes part of AWS resource names. Default: production.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// The DAU tier commands use by default. Default: 50k.
    #[arg(long, value_name = "TIER")]
    pub tier: Option<String>,

    /// How clients authenticate to the brokers. Default: unauthenticated (TLS only).
    #[arg(long, value_enum, value_name = "MODE")]
    pub client_auth: Option<ClientAuthArg>,

    /// The file to write. Default: --config, else ./forgectl.yaml.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,

    /// Do not look up the region's default VPC; leave vpc_id and subnets to fill in.
    #[arg(long)]
    pub no_discover: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientAuthArg {
    Unauthenticated,
    Mtls,
    SaslScram,
    Iam,
}

impl From<ClientAuthArg> for ClientAuth {
    fn from(arg: ClientAuthArg) -> Self {
        match arg {
            ClientAuthArg::Unauthenticated => ClientAuth::Unauthenticated,
            ClientAuthArg::Mtls => ClientAuth::Mtls,
            ClientAuthArg::SaslScram => ClientAuth::SaslScram,
            ClientAuthArg::Iam => ClientAuth::Iam,
        }
    }
}

pub async fn run(args: InitArgs, global: &GlobalArgs, console: &Console) -> Result<Exit, CliError> {
    let profiles = ProfileSource::resolve(global.profiles_dir.as_deref())?;
    let options = answers(args, global, console)?;
    let checked = init::check(&options, &profiles)?;
    let found = if options.discover {
        console.info(format!("looking up the default VPC's subnets in {}", checked.region));
        init::discover(&options, &checked).await?
    } else {
        Discovery::default()
    };
    let region = checked.region;
    let text = init::render(&options, &region, &found);
    init::write(&options.out, &text)?;
    let report = init::report(&options, &region, &found);
    console.emit(&report, |console| views::init::print(console, &report))?;
    Ok(Exit::Success)
}

/// Flags first; on a terminal, a question for each value they left out.
fn answers(args: InitArgs, global: &GlobalArgs, console: &Console) -> Result<InitOptions, CliError> {
    let ask = |question: &str, given: Option<String>, default: &str| -> Result<String, CliError> {
        match given {
            Some(value) => Ok(value),
            None if console.is_interactive() => Ok(console.ask(question, default)?),
            None => Ok(default.to_string()),
        }
    };
    let name = ask("Environment name", args.name, DEFAULT_NAME)?;
    let region_default = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION")).ok();
    let region = match (&global.region, &region_default) {
        (Some(region), _) => Some(region.clone()),
        (None, default) if console.is_interactive() => {
            Some(console.ask("AWS region", default.as_deref().unwrap_or("ap-south-1"))?)
        }
        (None, default) => default.clone(),
    };
    let tier = ask("DAU tier", args.tier, DEFAULT_TIER)?;
    let client_auth = match args.client_auth {
        Some(arg) => arg.into(),
        None if console.is_interactive() => {
            let answer = console.ask("Client auth (unauthenticated, mtls, sasl-scram, iam)", "unauthenticated")?;
            ClientAuthArg::from_str(&answer, true)
                .map(Into::into)
                .map_err(|_| CliError::Init(init::InitError::BadClientAuth { answer }))?
        }
        None => ClientAuth::Unauthenticated,
    };
    Ok(InitOptions {
        name,
        region,
        aws_profile: global.aws_profile.clone(),
        tier,
        client_auth,
        discover: !args.no_discover,
        out: args.out.or_else(|| global.config.clone()).unwrap_or_else(|| PathBuf::from("forgectl.yaml")),
        force: args.force,
    })
}
