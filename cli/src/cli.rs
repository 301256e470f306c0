//! The argument surface: global flags and the subcommand list. Each
//! subcommand's own flags live in its file under `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::config::EnvironmentOverrides;
use crate::console::{ColorChoice, OutputFormat};

#[derive(Debug, Parser)]
#[command(
    name = "forgectl",
    version,
    about = "Provision and roll out the mobile-data sync pipeline from DAU-tier profiles"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Output format: human tables, or stable JSON for pipelines.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// Colour: `auto` on a terminal unless NO_COLOR is set; `always` and `never` override both.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Directory of tier profiles. Default: ./profiles when it exists, else the profiles built into forgectl.
    #[arg(long, global = true, env = "FORGECTL_PROFILES_DIR", value_name = "DIR")]
    pub profiles_dir: Option<PathBuf>,

    /// Apply the India switch: leave out the topics India deployments do not need.
    #[arg(long, global = true)]
    pub india: bool,

    /// Environment from the config file (default: its default_environment).
    #[arg(long = "env", global = true, env = "FORGECTL_ENV", value_name = "NAME")]
    pub env: Option<String>,

    /// Config file with the environments. Default: ./forgectl.yaml
    #[arg(long, global = true, env = "FORGECTL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// AWS region, overriding the environment's and the SDK chain's.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Named AWS profile for credentials.
    #[arg(long = "profile", global = true, value_name = "AWS_PROFILE")]
    pub aws_profile: Option<String>,
}

impl GlobalArgs {
    pub fn environment_overrides(&self) -> EnvironmentOverrides {
        EnvironmentOverrides {
            config: self.config.clone(),
            env: self.env.clone(),
            region: self.region.clone(),
            aws_profile: self.aws_profile.clone(),
            india: self.india,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented forgectl.yaml for an AWS account: region, default VPC and subnets, client auth, tier.
    Init(commands::init::InitArgs),
    /// List, show and validate DAU-tier profiles.
    Profiles(commands::profiles::ProfilesArgs),
    /// Render a role's .env, a docker-compose file or Kubernetes manifests.
    Render(commands::render::RenderArgs),
    /// Roll out the producer and consumers by the tier's ladder.
    Deploy(commands::deploy::DeployArgs),
    /// The services' ECR repositories and the registry login for `docker login`.
    Images(commands::images::ImagesArgs),
    /// The local provider's load balancer (started by deploy).
    #[command(hide = true)]
    LocalBalancer(commands::local_balancer::LocalBalancerArgs),
    /// Plan, sync and check the tier's Kafka topics; describe them and show consumer lag.
    Topics(commands::topics::TopicsArgs),
    /// Show what provision would create or change in AWS, resource by resource.
    Plan(commands::plan::PlanArgs),
    /// Create or update the MSK cluster and its security groups for a tier, then sync topics.
    Provision(commands::provision::ProvisionArgs),
    /// Take over an MSK cluster forgectl did not create (a runbook's): show how it differs from the tier, then tag it.
    Adopt(commands::adopt::AdoptArgs),
    /// The cluster, bootstrap brokers, security groups, topics and drift from the tier.
    Status(commands::status::StatusArgs),
    /// Delete the environment's cluster, configuration and security groups.
    Destroy(commands::destroy::DestroyArgs),
    /// This binary's version, git commit, build date and target.
    Version,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completion(commands::shell_integration::CompletionArgs),
    /// Write man pages for forgectl and every subcommand into a directory.
    Man(commands::shell_integration::ManArgs),
    /// The monthly AWS cost of a tier: MSK, EC2 at the ladder's min and max, load balancer, data transfer.
    Cost(commands::cost::CostArgs),
    /// Send canary uploads through the front door and check every record reaches the stores once.
    Verify(commands::verify::VerifyArgs),
    /// Drive the workload model at the tier's peak rate (open loop) and judge the run against its SLOs.
    Loadtest(commands::loadtest::LoadtestArgs),
    /// Measure uploads/s per producer and rows/s per consumer at 50% CPU on the local provider, and the ladder they imply.
    Capacity(commands::capacity::CapacityArgs),
    /// The producers' API keys in SSM: create (shown once), list (names only), revoke.
    ApiKeys(commands::api_keys::ApiKeysArgs),
    /// The least-privilege IAM policy (JSON) the identity running a command needs for this environment.
    IamPolicy(commands::iam_policy::IamPolicyArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Catches clashing flags (e.g. a subcommand's `--version`) at test time
    /// instead of as a panic in a user's hands.
    #[test]
    fn clap_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// `-y` wherever `--yes` exists, so CI scripts can use either everywhere.
    #[test]
    fn every_yes_flag_has_the_short_form() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                if arg.get_long() == Some("yes") && arg.get_short() != Some('y') {
                    missing.push(path.to_string());
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "forgectl", &mut missing);
        assert!(missing.is_empty(), "--yes without -y in: {missing:?}");
    }
}
