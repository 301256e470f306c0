use std::time::Duration;

use clap::Args;

use crate::commands::prove_context::ProveContext;
use crate::config::Provider;
use crate::console::Console;
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::capacity::{self, CapacityOptions};
use crate::ops::context::RunContext;
use crate::profile::{load_all, ResolveOptions};
use crate::prove::workload::Workload;
use crate::prove::ProveError;
use crate::views;

#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// Tier whose peak rate the steps multiply (default: the environment's).
    #[arg(long)]
    pub tier: Option<String>,

    /// The ramp: rising multiples of the tier's peak upload rate, one step each.
    #[arg(long, value_name = "X,Y,...", value_delimiter = ',', default_value = "0.5,1,2,4")]
    pub steps: Vec<f64>,

    /// How long each step sends load (the consumers' drain comes after it).
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = crate::commands::duration::parse_duration)]
    pub step_duration: Duration,

    /// vCPUs of the nodes the ladder is computed for (the runbooks' production nodes have 4).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub node_vcpus: u32,
}

pub async fn run(args: CapacityArgs, run_context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    let context = ProveContext::resolve(run_context, args.tier.as_deref()).await?;
    if context.environment.provider != Provider::Local {
        return Err(ProveError::Invalid {
            message: format!(
                "environment `{}` is on AWS: capacity reads each process's CPU time, which only the local provider can",
                context.environment.name
            ),
            hint: "measure on a local environment of the same build; `forgectl loadtest` proves an AWS environment"
                .into(),
        }
        .into());
    }
    let tiers = load_all(&run_context.profiles, ResolveOptions { india: context.environment.india })?;
    let state = crate::commands::local_provider::state_dir(&context.environment)?;
    let kinds = context.kinds();
    let options = CapacityOptions {
        environment: context.environment.name.clone(),
        front_door: context.targets.front_door.clone(),
        kafka: context.targets.kafka.clone(),
        workload: Workload::builtin()?.restricted_to(&kinds),
        instances: state.instances()?.into_iter().filter(|instance| instance.is_alive()).collect(),
        profile: context.profile,
        tiers,
        steps: args.steps,
        step_duration: args.step_duration,
        node_vcpus: args.node_vcpus,
    };
    let plan = capacity::plan(&options)?;
    console.info(format!(
        "{} steps of {} at {} uploads/s, through {}",
        plan.steps.len(),
        humantime::format_duration(options.step_duration),
        plan.steps.iter().map(|step| format!("{:.1}", step.rate_per_second)).collect::<Vec<_>>().join(", "),
        options.front_door.url
    ));
    let report = capacity::run(&options, console).await?;
    console.emit(&report, |console| views::capacity::print_capacity(console, &report))?;
    Ok(if report.unmeasured.is_empty() { Exit::Success } else { Exit::Failure })
}
