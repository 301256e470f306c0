use clap::Args;

use crate::console::{Console, ConsoleError, OutputFormat};
use crate::error::CliError;
use crate::exit::Exit;
use crate::ops::cluster::adopt::{self as ops, AdoptOptions, AdoptReport, ClusterRef};
use crate::ops::context::RunContext;
use crate::views;

#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// The cluster to adopt, by ARN.
    #[arg(long, value_name = "ARN", required_unless_present = "cluster_name", conflicts_with = "cluster_name")]
    pub cluster_arn: Option<String>,
    /// The cluster to adopt, by its exact name.
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,
    /// Tier to compare with (default: the environment's `tier`).
    #[arg(long)]
    pub tier: Option<String>,
    /// Tag without asking (required when there is no terminal, as in CI).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub async fn run(args: AdoptArgs, context: &RunContext, console: &Console) -> Result<Exit, CliError> {
    // clap requires one of the two flags, so `None` does not reach here.
    let Some(cluster) = ClusterRef::from_flags(args.cluster_arn, args.cluster_name) else {
        return Ok(Exit::Usage);
    };
    let options = AdoptOptions { cluster, tier: args.tier };
    let report = ops::adopt(context, &options, &ReviewInConsole { console, assume_yes: args.yes }, console).await?;
    console.emit(&report, |console| views::adopt::print_adopted(console, &report))?;
    Ok(Exit::Success)
}

/// Shows the adoption as tables and asks before tagging. Without a
/// terminal and without `--yes` the run stops after showing it (JSON output
/// gets the report, as the run emits nothing else).
struct ReviewInConsole<'a> {
    console: &'a Console,
    assume_yes: bool,
}

impl ops::AdoptReview for ReviewInConsole<'_> {
    fn review(&self, report: &AdoptReport, will_apply: bool) -> Result<(), ConsoleError> {
        // The runs that end here: refused, or nobody to approve the tags.
        let stops_here =
            report.adoption.refused() || (will_apply && !self.assume_yes && !self.console.is_interactive());
        match self.console.format() {
            OutputFormat::Table => views::adopt::print_review(self.console, report),
            OutputFormat::Json if stops_here => self.console.json(report)?,
            OutputFormat::Json => {}
        }
        if will_apply {
            let action =
                format!("Tag cluster {} as environment {}'s", report.adoption.cluster_name, report.adoption.env);
            self.console.confirm(&action, self.assume_yes)?;
        }
        Ok(())
    }
}
