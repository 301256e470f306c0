//! What every command that acts on an environment starts from, resolved
//! once per run: the environment, where the profiles come from, and (for an
//! AWS environment, on first use) one set of AWS clients whose call log
//! covers the whole run. Operations receive it instead of re-reading the
//! config file, re-loading a profile or reconnecting to AWS.

use std::path::Path;

use tokio::sync::OnceCell;

use crate::aws::AwsClients;
use crate::config::{self, ConfigError, Environment, EnvironmentOverrides, Provider};
use crate::profile::{self, Profile, ProfileError, ProfileSource, ResolveOptions};

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
}

impl ContextError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ContextError::Config(err) => err.hint(),
            ContextError::Profile(err) => err.hint(),
        }
    }
}

/// The tier a command works on and its resolved profile.
#[derive(Debug, Clone)]
pub struct TierProfile {
    pub tier: String,
    pub profile: Profile,
}

#[derive(Debug)]
pub struct RunContext {
    pub environment: Environment,
    pub profiles: ProfileSource,
    aws: OnceCell<AwsClients>,
}

impl RunContext {
    /// Reads the config file and picks the environment; nothing on the network.
    pub fn resolve(overrides: &EnvironmentOverrides, profiles_dir: Option<&Path>) -> Result<Self, ContextError> {
        let environment = config::select_environment(overrides)?;
        let profiles = ProfileSource::resolve(profiles_dir)?;
        Ok(Self::new(environment, profiles))
    }

    pub fn new(environment: Environment, profiles: ProfileSource) -> Self {
        RunContext { environment, profiles, aws: OnceCell::new() }
    }

    pub fn provider(&self) -> Provider {
        self.environment.provider
    }

    /// `--tier`, else the environment's `tier:`.
    pub fn tier(&self, requested: Option<&str>) -> Result<String, ConfigError> {
        self.environment.tier_or(requested)
    }

    /// Loads `tier`'s profile the way the environment resolves it (the India switch).
    pub fn load_profile(&self, tier: &str) -> Result<Profile, ProfileError> {
        profile::load_tier(&self.profiles, tier, ResolveOptions { india: self.environment.india })
    }

    /// The requested tier (or the environment's) and its profile.
    pub fn tier_profile(&self, requested: Option<&str>) -> Result<TierProfile, ContextError> {
        let tier = self.tier(requested)?;
        let profile = self.load_profile(&tier)?;
        Ok(TierProfile { tier, profile })
    }

    /// The run's AWS clients, connected on first use and shared after.
    pub async fn aws(&self) -> &AwsClients {
        self.aws.get_or_init(|| AwsClients::connect(&self.environment)).await
    }
}
