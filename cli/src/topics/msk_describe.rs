//! `topics describe` through the MSK topic API: DescribeTopic for the
//! configs, DescribeTopicPartitions for leaders, replicas and ISR.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use super::{MskBackend, TopicsError};
use crate::kafka::PartitionMetadata;

/// DescribeTopicPartitions page size (the API's documented maximum).
const PARTITIONS_PAGE_SIZE: i32 = 100;

/// One topic as the MSK API describes it.
#[derive(Debug, Clone)]
pub struct MskTopicDetails {
    pub name: String,
    pub partitions: Vec<PartitionMetadata>,
    /// The topic's configs as DescribeTopic returns them. The API does not
    /// say where a value comes from (override or default).
    pub configs: BTreeMap<String, String>,
}

impl MskBackend {
    /// The cluster's broker count (DescribeClusterV2).
    pub async fn live_brokers_count(&self) -> Result<usize, TopicsError> {
        Ok(usize::try_from(self.live_brokers().await?).unwrap_or(usize::MAX))
    }

    /// Details of each existing topic of `names`, and the names not found.
    pub async fn describe_topics(&self, names: &[String]) -> Result<(Vec<MskTopicDetails>, Vec<String>), TopicsError> {
        let found = self
            .each(names, |name| async move {
                let Some(described) = self.describe(name).await? else {
                    return Ok((name.clone(), None));
                };
                let partitions = self.partitions(name).await?;
                Ok((name.clone(), Some(MskTopicDetails { name: name.clone(), partitions, configs: described.configs })))
            })
            .await?;
        let mut details = Vec::new();
        let mut missing = Vec::new();
        for (name, topic) in found {
            match topic {
                Some(topic) => details.push(topic),
                None => missing.push(name),
            }
        }
        details.sort_by(|a, b| a.name.cmp(&b.name));
        missing.sort();
        Ok((details, missing))
    }

    async fn partitions(&self, topic: &str) -> Result<Vec<PartitionMetadata>, TopicsError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .describe_topic_partitions()
            .cluster_arn(&self.cluster_arn)
            .topic_name(topic)
            .max_results(PARTITIONS_PAGE_SIZE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            self.reads.fetch_add(1, Ordering::Relaxed);
            let page = page.map_err(|err| self.error("kafka:DescribeTopicPartitions", Some(topic), err))?;
            out.extend(page.partitions().iter().map(|p| PartitionMetadata {
                id: p.partition().unwrap_or(-1),
                leader: p.leader().unwrap_or(-1),
                replicas: p.replicas().to_vec(),
                isr: p.isr().to_vec(),
            }));
        }
        out.sort_by_key(|p| p.id);
        Ok(out)
    }
}
