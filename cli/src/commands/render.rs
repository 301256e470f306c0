use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::context::RunContext;
use crate::ops::render::{self as ops, RenderOptions};
use crate::profile::RoleName;
use crate::render::RenderError;

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(subcommand)]
    pub command: RenderCommand,

    /// Tier to render (default: the environment's).
    #[arg(long, global = true)]
    pub tier: Option<String>,

    /// Image tag of the producer and consumer images.
    #[arg(long = "version", global = true, value_name = "TAG", default_value = env!("CARGO_PKG_VERSION"))]
    pub image_version: String,

    /// Registry prefix for the images, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com
    #[arg(long, global = true, value_name = "REGISTRY")]
    pub image_registry: Option<String>,

    /// Write to this file instead of stdout.
    #[arg(long = "out", global = true, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RenderCommand {
    /// A role's .env file, for `docker run --env-file`.
    Env {
        /// producer, sms-consumer, events-consumer or common-consumer.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Print secrets instead of <redacted>.
        #[arg(long)]
        show_secrets: bool,
    },
    /// A docker-compose file for dev/UAT: Kafka, PostgreSQL and the services.
    Compose,
    /// Kubernetes Deployments, Service, HPA and KEDA ScaledObjects.
    K8s,
    /// Prometheus alert rules for the tier (thresholds from its profile's `alerts:`).
    Prometheus,
    /// A Grafana dashboard (JSON) for the environment.
    Grafana,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Producer,
    SmsConsumer,
    EventsConsumer,
    CommonConsumer,
}

impl From<RoleArg> for RoleName {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Producer => RoleName::Producer,
            RoleArg::SmsConsumer => RoleName::SmsConsumer,
            RoleArg::EventsConsumer => RoleName::EventsConsumer,
            RoleArg::CommonConsumer => RoleName::CommonConsumer,
        }
    }
}

pub fn run(args: RenderArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let environment = context.environment.clone();
    let profile = context.tier_profile(args.tier.as_deref())?.profile;
    let show_secrets = matches!(args.command, RenderCommand::Env { show_secrets: true, .. });
    let options = RenderOptions {
        profile,
        environment,
        version: args.image_version,
        image_registry: args.image_registry,
        show_secrets,
    };
    let json = console.format() == crate::console::OutputFormat::Json;
    let refuse_json = |what: &'static str, format: &'static str| -> Result<(), CliError> {
        if json {
            return Err(RenderError::NoJsonForm { what, format }.into());
        }
        Ok(())
    };
    let text = match args.command {
        RenderCommand::Env { role, .. } => {
            let (env, text) = ops::render_env(&options, role.into())?;
            if args.out.is_none() && json {
                console.json(&env)?;
                return Ok(Exit::Success);
            }
            text
        }
        RenderCommand::Compose => {
            refuse_json("compose", "a Compose file (YAML)")?;
            ops::render_compose(&options)?
        }
        RenderCommand::K8s => {
            refuse_json("k8s", "Kubernetes manifests (YAML)")?;
            ops::render_k8s(&options)?
        }
        RenderCommand::Prometheus => {
            refuse_json("prometheus", "Prometheus rules (YAML)")?;
            ops::render_prometheus(&options)?
        }
        // A Grafana dashboard is JSON already.
        RenderCommand::Grafana => ops::render_grafana(&options)?,
    };
    match args.out {
        Some(path) => {
            write_file(&path, &text, show_secrets)
                .map_err(|source| CliError::WriteFile { path: path.clone(), source })?;
            console.info(format!("wrote {}", path.display()));
        }
        None => console.out(text.trim_end()),
    }
    Ok(Exit::Success)
}

/// Writes `text` to `path`; a file holding secrets is readable by its owner
/// only (0600), also when it existed before with a wider mode.
fn write_file(path: &std::path::Path, text: &str, secret: bool) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if secret {
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    if secret {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())
}
