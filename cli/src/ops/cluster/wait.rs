//! Bounded waits on MSK: a cluster reaching ACTIVE, a cluster operation
//! finishing, a cluster going away. Each polls with a growing interval,
//! shows progress, and gives up at the command's deadline with a message
//! that says re-running resumes.

use std::future::Future;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::aws::api::MskApi;
use crate::aws::{msk, AwsClients};
use crate::cluster::ControlPlaneError;
use crate::progress::Progress;

/// First poll soon after a change: the emulator and small updates finish in
/// seconds.
const POLL_FIRST: Duration = Duration::from_secs(1);
/// Polls back off to this. MSK's Describe* APIs are rate-limited per account
/// (a few calls per second, shared with every other tool); one call every 15 s
/// is negligible against that, and a 30-60 minute create loses at most 15 s.
const POLL_MAX: Duration = Duration::from_secs(15);

/// When the command as a whole must stop waiting.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    started: Instant,
    until: Instant,
}

impl Deadline {
    pub fn after(timeout: Duration) -> Self {
        let started = Instant::now();
        Deadline { started, until: started + timeout }
    }

    /// The earlier of the two.
    pub fn min(self, other: Deadline) -> Deadline {
        if other.until < self.until {
            other
        } else {
            self
        }
    }

    fn remaining(&self) -> Duration {
        self.until.saturating_duration_since(Instant::now())
    }
}

pub enum Poll<T> {
    Done(T),
    /// Not yet; the text says where things stand.
    Pending(String),
}

/// Calls `check` until it is done, the deadline passes, or it fails.
pub async fn poll<T, F, Fut>(
    progress: &dyn Progress,
    label: &str,
    deadline: Deadline,
    mut check: F,
) -> Result<T, ControlPlaneError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ControlPlaneError>>,
{
    let mut waiting = progress.wait(label);
    let mut intervals =
        ExponentialBuilder::default().with_min_delay(POLL_FIRST).with_max_delay(POLL_MAX).without_max_times().build();
    loop {
        match check().await {
            Ok(Poll::Done(value)) => {
                waiting.finish("done");
                return Ok(value);
            }
            Ok(Poll::Pending(status)) => waiting.update(&status),
            Err(error) => {
                waiting.finish("failed");
                return Err(error);
            }
        }
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            waiting.finish("timed out");
            return Err(ControlPlaneError::TimedOut { what: label.to_string(), waited: deadline.started.elapsed() });
        }
        let interval = intervals.next().unwrap_or(POLL_MAX);
        tokio::time::sleep(interval.min(remaining)).await;
    }
}

/// Waits for the cluster to be ACTIVE; a FAILED cluster is an error with
/// MSK's reason.
pub async fn until_active(
    aws: &impl MskApi,
    progress: &dyn Progress,
    arn: &str,
    name: &str,
    why: &str,
    deadline: Deadline,
) -> Result<msk::MskCluster, ControlPlaneError> {
    let label = format!("cluster {name}: {why}");
    poll(progress, &label, deadline, || async {
        let Some(cluster) = aws.describe_cluster(arn).await? else {
            return Err(ControlPlaneError::Vanished { resource: format!("cluster {name}") });
        };
        match cluster.state.as_str() {
            "ACTIVE" => Ok(Poll::Done(cluster)),
            "FAILED" => Err(ControlPlaneError::ClusterFailed {
                name: name.to_string(),
                arn: arn.to_string(),
                code: cluster.state_info.as_ref().and_then(|i| i.code.clone()),
                message: cluster.state_info.as_ref().and_then(|i| i.message.clone()),
            }),
            "DELETING" => Err(ControlPlaneError::Vanished { resource: format!("cluster {name} (being deleted)") }),
            state => Ok(Poll::Pending(format!("{state}, waiting for ACTIVE"))),
        }
    })
    .await
}

/// Follows a cluster operation (DescribeClusterOperation) to its end.
pub async fn operation(
    aws: &impl MskApi,
    progress: &dyn Progress,
    operation_arn: &str,
    name: &str,
    what: &str,
    deadline: Deadline,
) -> Result<(), ControlPlaneError> {
    let label = format!("cluster {name}: {what}");
    poll(progress, &label, deadline, || async {
        let status = aws.describe_operation(operation_arn).await?;
        match status.state.as_str() {
            "UPDATE_COMPLETE" => Ok(Poll::Done(())),
            "UPDATE_FAILED" | "FAILED" => Err(ControlPlaneError::OperationFailed {
                name: name.to_string(),
                operation: status.operation_type.unwrap_or_else(|| what.to_string()),
                code: status.error_code,
                message: status.error_message,
            }),
            state => Ok(Poll::Pending(format!("operation {state}"))),
        }
    })
    .await
}

/// Waits until DescribeClusterV2 no longer finds the cluster.
pub async fn until_gone(
    clients: &AwsClients,
    progress: &dyn Progress,
    arn: &str,
    name: &str,
    deadline: Deadline,
) -> Result<(), ControlPlaneError> {
    let label = format!("cluster {name}: deleting");
    poll(progress, &label, deadline, || async {
        match msk::describe_cluster(&clients.kafka, arn).await? {
            None => Ok(Poll::Done(())),
            Some(cluster) => Ok(Poll::Pending(format!("{}, waiting for it to go", cluster.state))),
        }
    })
    .await
}
