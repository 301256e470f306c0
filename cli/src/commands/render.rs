use std::path::{Path, PathBuf};

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

#[derive(Debug, Args)]
pub struct K8sArgs {
    /// IAM role for the pods (IRSA): written as the `eks.amazonaws.com/role-arn`
    /// annotation of every ServiceAccount, and the role KEDA assumes for
    /// MSK IAM lag reads.
    #[arg(long, value_name = "ARN")]
    pub irsa_role_arn: Option<String>,
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
    /// A docker-compose file for dev/UAT: Kafka with every topic (dead-letter topics too), PostgreSQL and the services.
    Compose,
    /// Kubernetes manifests: ServiceAccounts, ConfigMaps, Deployments (Pod Security `restricted`),
    /// PodDisruptionBudgets, the producer's Service and HPA, KEDA ScaledObjects and TriggerAuthentication.
    K8s(K8sArgs),
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

pub async fn run(args: RenderArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let environment = context.environment.clone();
    let profile = context.tier_profile(args.tier.as_deref())?.profile;
    let show_secrets = matches!(args.command, RenderCommand::Env { show_secrets: true, .. });
    let irsa_role_arn = match &args.command {
        RenderCommand::K8s(k8s) => k8s.irsa_role_arn.clone(),
        _ => None,
    };
    let options = RenderOptions {
        profile,
        environment,
        version: args.image_version,
        image_registry: args.image_registry,
        show_secrets,
        irsa_role_arn,
    };
    let json = console.format() == crate::console::OutputFormat::Json;
    let text = match args.command {
        RenderCommand::Env { role, .. } => {
            let (env, text) = ops::render_env(&options, role.into())?;
            if json && args.out.is_none() {
                return emit_json(console, &env, None, show_secrets);
            }
            text
        }
        RenderCommand::Compose => {
            let compose = ops::render_compose(&options)?;
            if json {
                return emit_json(console, &compose.body, args.out.as_deref(), false);
            }
            yaml_document(&compose.header, &compose.body, "compose file")?
        }
        RenderCommand::K8s(_) => {
            let kafka = ops::k8s_kafka(context).await?;
            let k8s = ops::render_k8s(&options, &kafka)?;
            if json {
                return emit_json(console, &k8s.body, args.out.as_deref(), false);
            }
            crate::render::k8s::to_yaml(&k8s.header, &k8s.body)?
        }
        RenderCommand::Prometheus => {
            if json {
                return Err(RenderError::NoJsonForm { what: "prometheus", format: "Prometheus rules (YAML)" }.into());
            }
            ops::render_prometheus(&options)?
        }
        // A Grafana dashboard is JSON already.
        RenderCommand::Grafana => ops::render_grafana(&options)?,
    };
    write_or_print(console, &text, args.out.as_deref(), show_secrets)
}

fn yaml_document<T: serde::Serialize>(header: &str, body: &T, what: &'static str) -> Result<String, CliError> {
    let yaml = serde_norway::to_string(body).map_err(|err| RenderError::Serialize { what, reason: err.to_string() })?;
    Ok(format!("{header}{yaml}"))
}

/// `--output json`: the value on stdout, or pretty JSON in `--out`.
fn emit_json<T: serde::Serialize>(
    console: &Console,
    value: &T,
    out: Option<&Path>,
    secret: bool,
) -> Result<Exit, CliError> {
    match out {
        None => {
            console.json(value)?;
            Ok(Exit::Success)
        }
        Some(_) => {
            let text = serde_json::to_string_pretty(value)
                .map_err(|err| RenderError::Serialize { what: "JSON output", reason: err.to_string() })?;
            write_or_print(console, &text, out, secret)
        }
    }
}

fn write_or_print(console: &Console, text: &str, out: Option<&Path>, secret: bool) -> Result<Exit, CliError> {
    match out {
        Some(path) => {
            write_file(path, text, secret)
                .map_err(|source| CliError::WriteFile { path: path.to_path_buf(), source })?;
            console.info(format!("wrote {}", path.display()));
        }
        None => console.out(text.trim_end()),
    }
    Ok(Exit::Success)
}

/// Writes `text` to `path`. A file holding secrets is created readable by
/// its owner only (0600) before a byte is written: a new file beside the
/// target, renamed over it, so an existing file's wider mode never applies.
fn write_file(path: &Path, text: &str, secret: bool) -> std::io::Result<()> {
    use std::io::Write;
    if !secret {
        return std::fs::write(path, text);
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // tempfile creates the file with O_EXCL and mode 0600.
    let mut file = tempfile::Builder::new().prefix(".forgectl-render-").tempfile_in(directory)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|err| err.error)?;
    Ok(())
}
