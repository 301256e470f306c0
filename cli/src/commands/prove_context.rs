//! What `verify` and `loadtest` need from the environment, resolved once:
//! the environment, the tier's profile and the prove targets.

use forgectl_contract::Kind;

use crate::cli::GlobalArgs;
use crate::config::{select_environment, Environment};
use crate::error::CliError;
use crate::profile::{load_tier, Profile, ProfileSource, ResolveOptions};
use crate::prove::endpoint::{self, ProveTargets};

pub struct ProveContext {
    pub environment: Environment,
    pub profile: Profile,
    pub targets: ProveTargets,
}

impl ProveContext {
    pub async fn resolve(global: &GlobalArgs, tier: Option<&str>) -> Result<ProveContext, CliError> {
        let environment = select_environment(&global.environment_overrides())?;
        let tier = environment.tier_or(tier)?;
        let source = ProfileSource::resolve(global.profiles_dir.as_deref())?;
        let profile = load_tier(&source, &tier, ResolveOptions { india: environment.india })?;
        let targets = endpoint::resolve(&environment).await?;
        Ok(ProveContext { environment, profile, targets })
    }

    /// The kinds whose topics the tier has (the India switch drops some).
    pub fn kinds(&self) -> Vec<Kind> {
        Kind::ALL.into_iter().filter(|kind| self.profile.topic(kind.topic()).is_some()).collect()
    }
}
