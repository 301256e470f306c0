//! `forgectl cost`: the monthly cost of a tier, and the change a tier switch
//! makes (shown by `plan` and `deploy --dry-run`).

use serde::Serialize;

use crate::config::Environment;
use crate::cost::live::{self, Needs, SdkPriceList};
use crate::cost::{self, CostDelta, CostError, CostEstimate, PriceOrigin, PriceTable, Workload, DEFAULT_REGION};
use crate::exit::Exit;
use crate::ops::context::{ContextError, RunContext};
use crate::profile::{self, Profile, ProfileError, ProfileSource, ResolveOptions};

#[derive(Debug, Clone)]
pub struct CostOptions {
    /// `--tier`; the environment's `tier` when `None`.
    pub tier: Option<String>,
    /// Ask the AWS Price List API instead of the built-in table.
    pub live: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CostOpError {
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error(transparent)]
    Cost(#[from] CostError),
}

impl From<ProfileError> for CostOpError {
    fn from(error: ProfileError) -> Self {
        CostOpError::Context(error.into())
    }
}

impl CostOpError {
    pub fn exit(&self) -> Exit {
        match self {
            CostOpError::Context(_) => Exit::Usage,
            CostOpError::Cost(err) => err.exit(),
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            CostOpError::Context(err) => err.hint(),
            CostOpError::Cost(err) => err.hint(),
        }
    }
}

pub async fn cost(context: &RunContext, options: &CostOptions) -> Result<CostEstimate, CostOpError> {
    let environment = &context.environment;
    let profile = context.tier_profile(options.tier.as_deref())?.profile;
    let workload = Workload::builtin()?;
    let region = priced_region(environment);
    if !options.live {
        let table = PriceTable::builtin(region)?;
        return Ok(cost::estimate(
            &profile,
            environment.services.instance_size,
            &table,
            PriceOrigin::Table,
            &workload,
        )?);
    }
    let api = SdkPriceList::connect(environment).await;
    let table = live::live_table(&api, region, &needs(&profile)).await?;
    Ok(cost::estimate(&profile, environment.services.instance_size, &table, PriceOrigin::Live, &workload)?)
}

/// The region a tier is priced in: the environment's (or `--region`), else
/// the repository's default; the local provider is priced as if on AWS there.
pub fn priced_region(environment: &Environment) -> &str {
    environment.region.as_deref().unwrap_or(DEFAULT_REGION)
}

fn needs(profile: &Profile) -> Needs {
    let mut needs = Needs::default();
    needs.broker_types.insert(profile.kafka.broker_type.clone());
    for role in &profile.roles {
        needs.instance_types.insert(role.instance_types.dev.clone());
        needs.instance_types.insert(role.instance_types.production.clone());
    }
    needs
}

/// What `plan` and `deploy --dry-run` say about the bill.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum CostChange {
    Priced(CostDelta),
    /// No price for the region or a type: the plan goes on, and says why.
    Unpriced {
        reason: String,
    },
}

/// The monthly change from the environment's tier to `requested`, priced
/// from the built-in table. `None` when the environment names no tier. A
/// missing price must not stop a plan, so errors become `Unpriced`.
pub fn tier_change(environment: &Environment, profiles: &ProfileSource, requested: &Profile) -> Option<CostChange> {
    let current_tier = environment.tier.as_deref()?;
    let priced = || -> Result<CostDelta, CostOpError> {
        let current = profile::load_tier(profiles, current_tier, ResolveOptions { india: environment.india })?;
        let workload = Workload::builtin()?;
        let table = PriceTable::builtin(priced_region(environment))?;
        let size = environment.services.instance_size;
        let before = cost::estimate(&current, size, &table, PriceOrigin::Table, &workload)?;
        let after = cost::estimate(requested, size, &table, PriceOrigin::Table, &workload)?;
        Ok(CostDelta::between(&before, &after))
    };
    Some(match priced() {
        Ok(delta) => CostChange::Priced(delta),
        Err(error) => CostChange::Unpriced { reason: error.to_string() },
    })
}
