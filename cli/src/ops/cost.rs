//! `forgectl cost`: the monthly cost of a tier, and the change a tier switch
//! makes (shown by `plan` and `deploy --dry-run`).

use serde::Serialize;

use crate::config::{self, Environment, EnvironmentOverrides};
use crate::cost::live::{self, Needs, SdkPriceList};
use crate::cost::{self, CostDelta, CostEstimate, PriceOrigin, PriceTable, Workload, DEFAULT_REGION};
use crate::error::CliError;
use crate::profile::{self, Profile, ProfileSource, ResolveOptions};

#[derive(Debug, Clone)]
pub struct CostOptions {
    pub overrides: EnvironmentOverrides,
    pub profiles: ProfileSource,
    /// `--tier`; the environment's `tier` when `None`.
    pub tier: Option<String>,
    /// Ask the AWS Price List API instead of the built-in table.
    pub live: bool,
}

pub async fn cost(options: &CostOptions) -> Result<CostEstimate, CliError> {
    let environment = config::select_environment(&options.overrides)?;
    let tier = environment.tier_or(options.tier.as_deref())?;
    let profile = profile::load_tier(&options.profiles, &tier, ResolveOptions { india: environment.india })?;
    let workload = Workload::builtin()?;
    let region = priced_region(&environment);
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
    let api = SdkPriceList::connect(&environment).await;
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
    let priced = || -> Result<CostDelta, CliError> {
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
