//! The deploy plan: per role, what runs now against what the tier and the
//! requested version ask for. Pure, so it is tested without processes.

use serde::Serialize;

use crate::profile::{Profile, RoleName};

/// What runs of one role now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningRole {
    pub role: RoleName,
    /// One entry per live instance: its version.
    pub versions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleAction {
    /// Nothing runs: start the ladder's minimum.
    Start,
    /// Another version runs: replace instances one at a time.
    RollingUpdate,
    /// The version is current, the count is outside the ladder.
    Scale,
    NoOp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolePlan {
    pub role: RoleName,
    pub current_versions: Vec<String>,
    pub current_count: u32,
    pub new_version: String,
    pub new_count: u32,
    pub min: u32,
    pub max: u32,
    pub action: RoleAction,
}

/// Plans the roles in `roles` (all of the tier's when empty). The count
/// starts at the ladder's minimum and is otherwise kept, within min..=max:
/// a deploy never scales in what is running inside the ladder.
pub fn plan(profile: &Profile, running: &[RunningRole], roles: &[RoleName], version: &str) -> Vec<RolePlan> {
    profile
        .roles
        .iter()
        .filter(|spec| roles.is_empty() || roles.contains(&spec.name))
        .map(|spec| {
            let versions = running.iter().find(|r| r.role == spec.name).map(|r| r.versions.clone()).unwrap_or_default();
            let current_count = u32::try_from(versions.len()).unwrap_or(u32::MAX);
            let new_count = if current_count == 0 { spec.min } else { current_count.clamp(spec.min, spec.max) };
            let action = if current_count == 0 {
                if new_count == 0 {
                    RoleAction::NoOp
                } else {
                    RoleAction::Start
                }
            } else if versions.iter().any(|v| v != version) {
                RoleAction::RollingUpdate
            } else if new_count != current_count {
                RoleAction::Scale
            } else {
                RoleAction::NoOp
            };
            let mut current_versions = versions;
            current_versions.sort();
            current_versions.dedup();
            RolePlan {
                role: spec.name,
                current_versions,
                current_count,
                new_version: version.to_string(),
                new_count,
                min: spec.min,
                max: spec.max,
                action,
            }
        })
        .collect()
}

pub fn has_changes(plans: &[RolePlan]) -> bool {
    plans.iter().any(|plan| plan.action != RoleAction::NoOp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{load_tier, ProfileSource, ResolveOptions};

    fn tier(name: &str) -> Profile {
        load_tier(&ProfileSource::Builtin, name, ResolveOptions::default()).unwrap_or_else(|err| panic!("{err}"))
    }

    fn running(role: RoleName, versions: &[&str]) -> RunningRole {
        RunningRole { role, versions: versions.iter().map(|v| v.to_string()).collect() }
    }

    #[test]
    fn first_deploy_starts_the_ladder_minimum() {
        let plans = plan(&tier("50k"), &[], &[], "v1");
        let counts: Vec<(RoleName, u32, RoleAction)> = plans.iter().map(|p| (p.role, p.new_count, p.action)).collect();
        assert_eq!(
            counts,
            [
                (RoleName::Producer, 2, RoleAction::Start),
                (RoleName::SmsConsumer, 2, RoleAction::Start),
                (RoleName::EventsConsumer, 1, RoleAction::Start),
                (RoleName::CommonConsumer, 1, RoleAction::Start),
            ]
        );
    }

    #[test]
    fn same_version_and_count_is_a_no_op() {
        let now = [running(RoleName::Producer, &["v1", "v1"])];
        let plans = plan(&tier("50k"), &now, &[RoleName::Producer], "v1");
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].action, RoleAction::NoOp);
        assert!(!has_changes(&plans));
    }

    #[test]
    fn new_version_rolls_and_keeps_a_scaled_out_count() {
        let now = [running(RoleName::SmsConsumer, &["v1", "v1", "v1", "v1", "v1"])];
        let plans = plan(&tier("50k"), &now, &[RoleName::SmsConsumer], "v2");
        assert_eq!((plans[0].action, plans[0].current_count, plans[0].new_count), (RoleAction::RollingUpdate, 5, 5));
        assert_eq!(plans[0].current_versions, ["v1"]);
    }

    #[test]
    fn a_bigger_tier_scales_up_to_its_minimum() {
        let now = [running(RoleName::Producer, &["v1", "v1"])];
        let plans = plan(&tier("100k"), &now, &[RoleName::Producer], "v1");
        assert_eq!((plans[0].action, plans[0].new_count), (RoleAction::Scale, 4));
    }

    #[test]
    fn above_the_ladder_maximum_scales_in_to_it() {
        let now = [running(RoleName::EventsConsumer, &["v1"; 4])];
        let plans = plan(&tier("25k"), &now, &[RoleName::EventsConsumer], "v1");
        assert_eq!((plans[0].action, plans[0].new_count), (RoleAction::Scale, 2));
    }
}
