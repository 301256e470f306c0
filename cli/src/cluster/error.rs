//! Errors of plan, provision, status and destroy, with the exit code and a
//! hint for each.

use std::time::Duration;

use crate::aws::AwsError;
use crate::console::format_elapsed;
use crate::exit::Exit;

#[derive(Debug, thiserror::Error)]
pub enum ControlPlaneError {
    #[error(transparent)]
    Aws(#[from] AwsError),

    /// The environment's network does not fit MSK (bad subnet, VPC mismatch).
    #[error("network: {message}")]
    Network { message: String, hint: String },

    /// The plan refuses a change; nothing was applied.
    #[error("environment `{env}`: the plan refuses {}", reasons.join("; "))]
    Refused { env: String, reasons: Vec<String> },

    #[error("cluster {name} is FAILED: {}", failure(code, message))]
    ClusterFailed { name: String, arn: String, code: Option<String>, message: Option<String> },

    #[error("cluster {name}: {operation} failed: {}", failure(code, message))]
    OperationFailed { name: String, operation: String, code: Option<String>, message: Option<String> },

    #[error("timed out after {} waiting for {what}", format_elapsed(*waited))]
    TimedOut { what: String, waited: Duration },

    #[error("interrupted while {what}")]
    Interrupted { what: String },

    #[error("{resource} disappeared while forgectl was working on it")]
    Vanished { resource: String },

    /// `adopt --cluster-arn/--cluster-name` names no provisioned cluster.
    #[error("no provisioned MSK cluster {cluster} in this account and region")]
    ClusterNotFound { cluster: String },

    /// Adopting would leave the environment in a state forgectl cannot manage.
    #[error("cluster {cluster} cannot be adopted into `{env}`: {}", reasons.join("; "))]
    AdoptionRefused { env: String, cluster: String, reasons: Vec<String> },

    /// `profiles from-cluster`: the cluster's answer lacks what a profile needs.
    #[error("cluster {cluster}: {field} {why}")]
    Unreadable { cluster: String, field: String, why: String },

    #[error("{path} exists")]
    OutputExists { path: String },

    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },

    #[error("destroying environment `{env}` without a terminal needs --yes --confirm {env}")]
    ConfirmationRequired { env: String },

    #[error("--confirm {given} does not match the environment being destroyed, `{env}`")]
    ConfirmationMismatch { env: String, given: String },
}

fn failure(code: &Option<String>, message: &Option<String>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(text), None) | (None, Some(text)) => text.clone(),
        (None, None) => "MSK gave no reason".into(),
    }
}

/// What a stopped `provision` leaves and how to continue.
const RESUME_HINT: &str = "everything created so far stays in place; run the same command again to resume \
                           (it picks up where this run stopped, without duplicates)";

impl ControlPlaneError {
    pub fn exit(&self) -> Exit {
        match self {
            ControlPlaneError::Network { .. }
            | ControlPlaneError::Refused { .. }
            | ControlPlaneError::ClusterNotFound { .. }
            | ControlPlaneError::AdoptionRefused { .. }
            | ControlPlaneError::OutputExists { .. }
            | ControlPlaneError::ConfirmationRequired { .. }
            | ControlPlaneError::ConfirmationMismatch { .. } => Exit::Usage,
            _ => Exit::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            ControlPlaneError::Aws(error) => error.hint(),
            ControlPlaneError::Network { hint, .. } => Some(hint.clone()),
            ControlPlaneError::Refused { .. } => Some(
                "nothing was changed; `forgectl plan` shows each resource and why; pick a tier that only grows the cluster"
                    .into(),
            ),
            ControlPlaneError::ClusterNotFound { .. } => Some(
                "check the ARN or name and --region; `aws kafka list-clusters-v2` lists the account's clusters".into(),
            ),
            ControlPlaneError::AdoptionRefused { .. } => Some(
                "nothing was tagged; resolve the reasons above (e.g. `--tier` of a profile written by \
                 `forgectl profiles from-cluster`, or the environment's `subnets`), then adopt again"
                    .into(),
            ),
            ControlPlaneError::Unreadable { .. } => {
                Some("wait for the cluster to be ACTIVE (`aws kafka describe-cluster-v2`), then run it again".into())
            }
            ControlPlaneError::OutputExists { .. } => Some("pass --force to replace it, or another --out".into()),
            ControlPlaneError::Write { .. } => Some("check that the directory exists and is writable".into()),
            ControlPlaneError::ClusterFailed { .. } => Some(
                "MSK cannot repair a FAILED cluster: fix the cause above (quota, subnet, KMS key access…), \
                 then `forgectl destroy` and `forgectl provision` again"
                    .into(),
            ),
            ControlPlaneError::OperationFailed { .. } => Some(
                "the cluster keeps its previous settings; fix the cause above and re-run provision".into(),
            ),
            ControlPlaneError::TimedOut { .. } | ControlPlaneError::Interrupted { .. } => Some(RESUME_HINT.into()),
            ControlPlaneError::Vanished { .. } => Some("someone else changed the environment; re-run to re-plan".into()),
            ControlPlaneError::ConfirmationRequired { env } | ControlPlaneError::ConfirmationMismatch { env, .. } => {
                Some(format!("pass --yes --confirm {env} to destroy without a prompt; nothing was deleted"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_cluster_shows_state_info_and_recovery() {
        let error = ControlPlaneError::ClusterFailed {
            name: "forgectl-prod".into(),
            arn: "arn:aws:kafka:eu-west-1:1:cluster/forgectl-prod/x".into(),
            code: Some("InsufficientCapacity".into()),
            message: Some("kafka.m7g.large is not available in euw1-az3".into()),
        };
        assert_eq!(
            error.to_string(),
            "cluster forgectl-prod is FAILED: InsufficientCapacity: kafka.m7g.large is not available in euw1-az3"
        );
        assert_eq!(error.exit(), Exit::Failure);
        assert!(error.hint().is_some_and(|hint| hint.contains("forgectl destroy")));
    }

    #[test]
    fn stops_say_how_to_resume_and_bad_input_exits_2() {
        let timeout =
            ControlPlaneError::TimedOut { what: "cluster x: creating".into(), waited: Duration::from_secs(5400) };
        assert_eq!(timeout.to_string(), "timed out after 90m00s waiting for cluster x: creating");
        assert!(timeout.hint().is_some_and(|hint| hint.contains("run the same command again")));
        let refused = ControlPlaneError::Refused { env: "e".into(), reasons: vec!["MSK cluster x: shrinking".into()] };
        assert_eq!(refused.exit(), Exit::Usage);
        let network = ControlPlaneError::Network { message: "subnet-1 is in vpc-2".into(), hint: String::new() };
        assert_eq!(network.exit(), Exit::Usage);
    }
}
