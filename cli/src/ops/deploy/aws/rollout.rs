//! Follows the instance refreshes of a rollout, all roles at once, and
//! rolls a role back when a batch does not become healthy in time.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::aws::autoscaling::{self, RefreshPlan};
use crate::aws::AwsClients;
use crate::console::format_elapsed;
use crate::fleet::FleetError;
use crate::profile::RoleName;
use crate::progress::Progress;

/// Half of a group in service while the other half is replaced: with the
/// ladder's minimum of 1–4 per role that is one or two instances a batch.
pub const REFRESH_PLAN: RefreshPlan = RefreshPlan { min_healthy_percent: 50, warmup_seconds: 60 };

#[derive(Debug, Clone)]
pub struct PendingRollout {
    pub role: RoleName,
    pub group: String,
    pub refresh_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum RolloutOutcome {
    Replaced { refresh_id: String },
    RolledBack { refresh_id: String, reason: String },
    Failed { refresh_id: String, status: String, reason: Option<String> },
}

struct Tracked {
    rollout: PendingRollout,
    status: String,
    percentage: u32,
    to_update: u32,
    last_progress: Instant,
    /// Why forgectl asked for a rollback, once it did.
    rollback_reason: Option<String>,
}

impl Tracked {
    fn describe(&self) -> String {
        match self.status.as_str() {
            "InProgress" | "Pending" => {
                format!("{} {}% ({} to replace)", self.rollout.role, self.percentage, self.to_update)
            }
            status => format!("{} {status}", self.rollout.role),
        }
    }
}

/// Polls every refresh until each has finished. A refresh whose progress
/// stands still for longer than `batch_timeout` is rolled back.
pub async fn follow(
    clients: &AwsClients,
    rollouts: Vec<PendingRollout>,
    batch_timeout: Duration,
    poll_interval: Duration,
    progress: &dyn Progress,
) -> Result<BTreeMap<RoleName, RolloutOutcome>, FleetError> {
    let mut outcomes = BTreeMap::new();
    if rollouts.is_empty() {
        return Ok(outcomes);
    }
    let now = Instant::now();
    let mut active: Vec<Tracked> = rollouts
        .into_iter()
        .map(|rollout| Tracked {
            rollout,
            status: "Pending".into(),
            percentage: 0,
            to_update: 0,
            last_progress: now,
            rollback_reason: None,
        })
        .collect();
    let mut waiting = progress.wait("rolling update");
    while !active.is_empty() {
        let mut still_active = Vec::new();
        for mut tracked in active {
            let refresh = autoscaling::describe_refresh(
                &clients.autoscaling,
                &tracked.rollout.group,
                &tracked.rollout.refresh_id,
            )
            .await?;
            let Some(refresh) = refresh else {
                outcomes.insert(
                    tracked.rollout.role,
                    RolloutOutcome::Failed {
                        refresh_id: tracked.rollout.refresh_id.clone(),
                        status: "missing".into(),
                        reason: Some("the instance refresh is no longer listed".into()),
                    },
                );
                continue;
            };
            let moved = refresh.status != tracked.status
                || refresh.percentage_complete != tracked.percentage
                || refresh.instances_to_update != tracked.to_update;
            if moved {
                tracked.last_progress = Instant::now();
                tracked.status = refresh.status.clone();
                tracked.percentage = refresh.percentage_complete;
                tracked.to_update = refresh.instances_to_update;
            }
            if refresh.is_finished() {
                let refresh_id = refresh.id.clone();
                let outcome = match refresh.status.as_str() {
                    "Successful" if tracked.rollback_reason.is_none() => RolloutOutcome::Replaced { refresh_id },
                    "RollbackSuccessful" => RolloutOutcome::RolledBack {
                        refresh_id,
                        reason: tracked
                            .rollback_reason
                            .clone()
                            .or(refresh.reason.clone())
                            .unwrap_or_else(|| "AWS rolled the refresh back".into()),
                    },
                    status => RolloutOutcome::Failed {
                        refresh_id,
                        status: status.to_string(),
                        reason: refresh.reason.clone(),
                    },
                };
                progress.info(format!("{}: instance refresh {}", tracked.rollout.role, refresh.status));
                outcomes.insert(tracked.rollout.role, outcome);
                continue;
            }
            let stalled = tracked.last_progress.elapsed() > batch_timeout;
            if stalled && tracked.rollback_reason.is_none() {
                let reason = format!(
                    "no batch became healthy within {} (stopped at {}%{})",
                    format_elapsed(batch_timeout),
                    tracked.percentage,
                    refresh.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                );
                progress.warn(format!("{}: {reason}; rolling back", tracked.rollout.role));
                let id = autoscaling::rollback_refresh(&clients.autoscaling, &tracked.rollout.group).await?;
                tracked.rollout.refresh_id = id;
                tracked.rollback_reason = Some(reason);
                tracked.last_progress = Instant::now();
            } else if stalled {
                // The rollback itself stands still: report rather than wait forever.
                outcomes.insert(
                    tracked.rollout.role,
                    RolloutOutcome::Failed {
                        refresh_id: tracked.rollout.refresh_id.clone(),
                        status: tracked.status.clone(),
                        reason: Some(format!("the rollback made no progress for {}", format_elapsed(batch_timeout))),
                    },
                );
                continue;
            }
            still_active.push(tracked);
        }
        active = still_active;
        if !active.is_empty() {
            let summary: Vec<String> = active.iter().map(Tracked::describe).collect();
            waiting.update(&summary.join(" · "));
            tokio::time::sleep(poll_interval).await;
        }
    }
    waiting.finish("all instance refreshes finished");
    Ok(outcomes)
}

/// The error for a rollout that did not fully land, if any role's did not.
pub fn failures(outcomes: &BTreeMap<RoleName, RolloutOutcome>, version: &str, env: &str) -> Option<FleetError> {
    if let Some((role, RolloutOutcome::Failed { status, reason, .. })) =
        outcomes.iter().find(|(_, outcome)| matches!(outcome, RolloutOutcome::Failed { .. }))
    {
        return Some(FleetError::RolloutFailed {
            version: version.to_string(),
            role: role.to_string(),
            status: status.clone(),
            reason: reason.clone(),
        });
    }
    let rolled_back: Vec<(String, String)> = outcomes
        .iter()
        .filter_map(|(role, outcome)| match outcome {
            RolloutOutcome::RolledBack { reason, .. } => Some((role.to_string(), reason.clone())),
            _ => None,
        })
        .collect();
    (!rolled_back.is_empty()).then(|| FleetError::RolledBack {
        version: version.to_string(),
        roles: rolled_back.iter().map(|(role, _)| role.clone()).collect(),
        reasons: rolled_back.into_iter().map(|(role, reason)| format!("{role}: {reason}")).collect(),
        env: env.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rolled_back_role_fails_the_deploy_and_is_named() {
        let outcomes = BTreeMap::from([
            (RoleName::Producer, RolloutOutcome::Replaced { refresh_id: "r1".into() }),
            (RoleName::SmsConsumer, RolloutOutcome::RolledBack { refresh_id: "r2".into(), reason: "stalled".into() }),
        ]);
        match failures(&outcomes, "v2", "prod") {
            Some(FleetError::RolledBack { roles, reasons, .. }) => {
                assert_eq!(roles, ["sms-consumer"]);
                assert_eq!(reasons, ["sms-consumer: stalled"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failed_refresh_wins_over_a_rollback_and_all_replaced_is_success() {
        let failed = BTreeMap::from([
            (RoleName::Producer, RolloutOutcome::RolledBack { refresh_id: "r1".into(), reason: "x".into() }),
            (
                RoleName::EventsConsumer,
                RolloutOutcome::Failed { refresh_id: "r2".into(), status: "RollbackFailed".into(), reason: None },
            ),
        ]);
        assert!(matches!(failures(&failed, "v2", "prod"), Some(FleetError::RolloutFailed { .. })));
        let fine = BTreeMap::from([(RoleName::Producer, RolloutOutcome::Replaced { refresh_id: "r1".into() })]);
        assert!(failures(&fine, "v2", "prod").is_none());
    }
}
