//! `provision` for the local provider: there is no cluster to create, so it
//! checks that the environment's Kafka answers and has enough brokers for
//! the tier's replication factor, then syncs the tier's topics.

use std::time::Duration;

use serde::Serialize;

use crate::kafka::{Admin, KafkaConnection};
use crate::local::LocalError;
use crate::ops::local::LocalOpError;
use crate::ops::topics::reconcile::{self as topics, SyncReport, TopicsOptions, TopicsSyncOptions};
use crate::progress::Progress;
use crate::topics::TopicsError;

/// A local Kafka that does not answer in this long is down or misaddressed.
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct LocalProvisionOptions {
    pub topics: TopicsOptions,
    pub connection: KafkaConnection,
    pub dry_run: bool,
    pub assume_yes: bool,
    pub skip_topics: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocalProvisionReport {
    pub environment: String,
    pub bootstrap_servers: String,
    pub brokers: usize,
    pub required_brokers: u16,
    pub topics: Option<SyncReport>,
}

pub async fn provision(
    options: &LocalProvisionOptions,
    progress: &dyn Progress,
) -> Result<LocalProvisionReport, LocalOpError> {
    let profile = topics::desired(&options.topics)?;
    let admin = Admin::connect(&options.connection).map_err(TopicsError::from)?;
    let metadata = admin.metadata(METADATA_TIMEOUT, None).await.map_err(TopicsError::from)?;
    let required = profile.managed_topics().iter().map(|topic| topic.replication_factor).max().unwrap_or(1);
    let brokers = metadata.brokers.len();
    if brokers < usize::from(required) {
        return Err(LocalError::NotEnoughBrokers {
            bootstrap: options.connection.bootstrap_servers.clone(),
            brokers,
            required,
            tier: profile.tier,
        }
        .into());
    }
    progress.info(format!(
        "Kafka at {} answers with {brokers} broker(s); tier {} needs {required}",
        options.connection.bootstrap_servers, profile.tier
    ));
    let topics = if options.skip_topics {
        None
    } else {
        let sync = TopicsSyncOptions {
            topics: options.topics.clone(),
            dry_run: options.dry_run,
            prune: false,
            assume_yes: options.assume_yes,
        };
        Some(topics::sync(&sync, progress).await?)
    };
    Ok(LocalProvisionReport {
        environment: options.topics.target.environment.name.clone(),
        bootstrap_servers: options.connection.bootstrap_servers.clone(),
        brokers,
        required_brokers: required,
        topics,
    })
}
