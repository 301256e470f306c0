//! Consumer lag over time, through the Kafka protocol: the groups' committed
//! offsets against the partitions' high watermarks, read without joining
//! the groups (see `kafka::offsets`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::ProveError;
use crate::kafka::{self, Admin, KafkaConnection};
use crate::profile::Profile;

/// How long one metadata or offsets call may take.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(10);

/// One reading: total lag per consumer group.
#[derive(Debug, Clone, Serialize)]
pub struct LagSample {
    /// From the start of the load.
    pub seconds: f64,
    pub groups: BTreeMap<String, i64>,
}

/// The tier's consumer groups and the partitions they read.
#[derive(Debug, Clone)]
pub struct LagProbe {
    connection: KafkaConnection,
    /// group -> (topic, partition count)
    groups: BTreeMap<String, Vec<(String, i32)>>,
}

impl LagProbe {
    /// Reads the partition counts from the cluster (the tier's counts may
    /// differ from what the cluster has); topics it lacks are left out.
    pub async fn connect(connection: &KafkaConnection, profile: &Profile) -> Result<LagProbe, ProveError> {
        let admin = Admin::connect(connection)?;
        let metadata = admin.metadata(KAFKA_TIMEOUT, None).await?;
        let partitions: BTreeMap<&str, i32> = metadata
            .topics
            .iter()
            .filter(|topic| topic.error.is_none())
            .map(|topic| (topic.name.as_str(), i32::try_from(topic.partitions.len()).unwrap_or(i32::MAX)))
            .collect();
        let groups = profile
            .roles
            .iter()
            .filter_map(|role| {
                let group = role.group.clone()?;
                let topics: Vec<(String, i32)> = role
                    .topics
                    .iter()
                    .filter_map(|topic| Some((topic.clone(), *partitions.get(topic.as_str())?)))
                    .collect();
                (!topics.is_empty()).then_some((group, topics))
            })
            .collect();
        Ok(LagProbe { connection: connection.clone(), groups })
    }

    pub fn group_names(&self) -> Vec<String> {
        self.groups.keys().cloned().collect()
    }

    /// Total lag per group, now.
    pub async fn sample(&self) -> Result<BTreeMap<String, i64>, ProveError> {
        let mut totals = BTreeMap::new();
        for (group, partitions) in &self.groups {
            let offsets = kafka::group_offsets(&self.connection, group, partitions, KAFKA_TIMEOUT).await?;
            totals.insert(group.clone(), offsets.partitions.iter().map(|p| p.lag()).sum());
        }
        Ok(totals)
    }
}

/// Drained: every group is back at or below its lag before the load (other
/// traffic on a shared cluster may keep a group above zero).
pub fn is_drained(baseline: &BTreeMap<String, i64>, now: &BTreeMap<String, i64>) -> bool {
    now.iter().all(|(group, lag)| *lag <= baseline.get(group).copied().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drained_means_back_to_the_baseline() {
        let baseline: BTreeMap<String, i64> = [("a".to_string(), 5), ("b".to_string(), 0)].into();
        let busy: BTreeMap<String, i64> = [("a".to_string(), 5), ("b".to_string(), 1)].into();
        let calm: BTreeMap<String, i64> = [("a".to_string(), 3), ("b".to_string(), 0)].into();
        assert!(!is_drained(&baseline, &busy));
        assert!(is_drained(&baseline, &calm));
    }
}
