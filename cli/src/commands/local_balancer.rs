use std::path::PathBuf;

use clap::Args;

use crate::error::CliError;
use crate::exit::Exit;
use crate::local::balancer;

/// Runs the local provider's load balancer; started by `forgectl deploy`.
#[derive(Debug, Args)]
pub struct LocalBalancerArgs {
    #[arg(long)]
    pub listen: String,
    #[arg(long)]
    pub targets: PathBuf,
}

pub async fn run(args: LocalBalancerArgs) -> Result<Exit, CliError> {
    balancer::serve(&args.listen, args.targets).await?;
    Ok(Exit::Success)
}
