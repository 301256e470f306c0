use std::time::Duration;

use crate::aws::AwsError;
use crate::config::ConfigError;
use crate::console::ConsoleError;
use crate::exit::Exit;
use crate::kafka::KafkaError;
use crate::profile::ProfileError;

/// Everything `forgectl topics …` can fail with.
#[derive(Debug, thiserror::Error)]
pub enum TopicsError {
    #[error(transparent)]
    Kafka(#[from] KafkaError),

    #[error(transparent)]
    Aws(#[from] AwsError),

    #[error("the plan has {count} refused change(s); nothing was changed. First: {topic} {field}: {reason}")]
    Refused { count: usize, topic: String, field: String, reason: String },

    #[error("timed out after {}s waiting for {what}", waited.as_secs())]
    WaitTimeout { what: String, waited: Duration },

    #[error("the brokers still disagree after {}s: {detail}", waited.as_secs())]
    BrokersDisagree { detail: String, waited: Duration },

    #[error("{message}")]
    NoTarget { message: String, hint: String },

    #[error("{message}")]
    InvalidArgument { message: String, hint: String },

    #[error(transparent)]
    Profile(#[from] ProfileError),

    #[error(transparent)]
    Config(#[from] ConfigError),

    #[error(transparent)]
    Console(#[from] ConsoleError),
}

impl TopicsError {
    pub fn exit(&self) -> Exit {
        match self {
            TopicsError::Refused { .. }
            | TopicsError::NoTarget { .. }
            | TopicsError::InvalidArgument { .. }
            | TopicsError::Profile(_)
            | TopicsError::Config(_)
            | TopicsError::Console(ConsoleError::ConfirmationRequired { .. }) => Exit::Usage,
            TopicsError::Kafka(KafkaError::InvalidInput { .. } | KafkaError::Unsupported { .. }) => Exit::Usage,
            _ => Exit::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            TopicsError::Kafka(err) => err.hint(),
            TopicsError::Refused { .. } => Some(
                "fix the profile (partitions can only grow; RF changes need a reassignment) and run plan again".into(),
            ),
            TopicsError::WaitTimeout { .. } => Some(
                "the change was requested and may still complete; run `forgectl topics check` to see where it stands"
                    .into(),
            ),
            TopicsError::BrokersDisagree { .. } => Some(
                "a change is still reaching the brokers, or one broker is stuck replaying the metadata log; \
                 run the command again, and check the brokers' logs if it persists"
                    .into(),
            ),
            TopicsError::NoTarget { hint, .. } | TopicsError::InvalidArgument { hint, .. } => Some(hint.clone()),
            TopicsError::Profile(err) => err.hint(),
            TopicsError::Config(err) => err.hint(),
            TopicsError::Console(err) => err.hint(),
            TopicsError::Aws(err) => err.hint(),
        }
    }
}
