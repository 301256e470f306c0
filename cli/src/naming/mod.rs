//! How forgectl names and tags what it creates. There is no state file:
//! these names and tags are how a later run, on any machine, finds the
//! environment's resources again.

/// The names of what `deploy` creates: instance role, load balancer, groups.
pub mod fleet;

use std::collections::BTreeMap;

use crate::config::Environment;

pub const TAG_ENV: &str = "forgectl:env";
pub const TAG_MANAGED_BY: &str = "forgectl:managed-by";
pub const TAG_TIER: &str = "forgectl:tier";
pub const MANAGED_BY: &str = "forgectl";
/// The EC2 console shows this tag as the resource's name.
pub const TAG_NAME: &str = "Name";
/// The prefix MSK requires of a SCRAM secret's name.
pub const SCRAM_SECRET_PREFIX: &str = "AmazonMSK_";

/// MSK configurations cannot carry tags, so forgectl marks its own in the
/// description, which a later run reads back.
pub fn configuration_marker(env: &str) -> String {
    format!("{TAG_MANAGED_BY}={MANAGED_BY} {TAG_ENV}={env}")
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Names {
    pub cluster: String,
    pub configuration: String,
    pub broker_sg: String,
    pub client_sg: String,
    /// `client_auth: sasl-scram`: the Secrets Manager secret with the
    /// services' login. MSK only accepts names starting `AmazonMSK_`.
    pub scram_secret: String,
    /// The alias of the customer managed KMS key that encrypts it (when
    /// the environment names no `kms_key_arn`).
    pub scram_key_alias: String,
}

impl Names {
    pub fn for_env(environment: &Environment) -> Self {
        let prefix = &environment.name_prefix;
        Names {
            cluster: prefix.clone(),
            configuration: prefix.clone(),
            broker_sg: format!("{prefix}-brokers"),
            client_sg: format!("{prefix}-clients"),
            scram_secret: format!("{SCRAM_SECRET_PREFIX}{prefix}-clients"),
            scram_key_alias: format!("alias/{prefix}-msk-scram"),
        }
    }
}

/// The tags every resource of the environment carries: the environment's
/// own, then forgectl's, which win.
pub fn common_tags(environment: &Environment, tier: &str) -> BTreeMap<String, String> {
    let mut tags = environment_tags(environment);
    tags.insert(TAG_TIER.into(), tier.into());
    tags
}

/// [`common_tags`] without the tier: for what `deploy` creates, where the
/// tier is a per-run choice and a tag would turn every tier change into a
/// tag change on every resource.
pub fn environment_tags(environment: &Environment) -> BTreeMap<String, String> {
    let mut tags = environment.tags.clone();
    tags.insert(TAG_ENV.into(), environment.name.clone());
    tags.insert(TAG_MANAGED_BY.into(), MANAGED_BY.into());
    tags
}

/// Whether the tags mark a resource as forgectl's for `env`.
pub fn is_managed(tags: &BTreeMap<String, String>, env: &str) -> bool {
    tags.get(TAG_ENV).is_some_and(|value| value == env)
        && tags.get(TAG_MANAGED_BY).is_some_and(|value| value == MANAGED_BY)
}
