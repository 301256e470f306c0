//! What `verify` and `loadtest` need from the environment, resolved once:
//! the environment, the tier's profile and the prove targets.

use forgectl_contract::Kind;

use crate::config::{Environment, Provider};
use crate::error::CliError;
use crate::ops::context::RunContext;
use crate::profile::Profile;
use crate::prove::endpoint::{self, ProveTargets};

pub struct ProveContext {
    pub environment: Environment,
    pub profile: Profile,
    pub targets: ProveTargets,
}

impl ProveContext {
    pub async fn resolve(context: &RunContext, tier: Option<&str>) -> Result<ProveContext, CliError> {
        let profile = context.tier_profile(tier)?.profile;
        let aws = match context.provider() {
            Provider::Aws => Some(context.aws().await),
            Provider::Local => None,
        };
        let targets = endpoint::resolve(&context.environment, aws).await?;
        Ok(ProveContext { environment: context.environment.clone(), profile, targets })
    }

    /// The kinds whose topics the tier has (the India switch drops some).
    pub fn kinds(&self) -> Vec<Kind> {
        Kind::ALL.into_iter().filter(|kind| self.profile.topic(kind.topic()).is_some()).collect()
    }
}
