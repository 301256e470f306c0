//! The MSK topic API backend (ListTopics, DescribeTopic, CreateTopic,
//! UpdateTopic, DeleteTopic): works from anywhere with IAM, no broker
//! access. The API is per topic, so "batched" here means concurrent calls
//! (bounded), and every write is followed by polling DescribeTopic until the
//! result is visible, because MSK reports topic changes with a delay.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use aws_sdk_kafka::types::TopicState;
use aws_sdk_kafka::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use base64::Engine;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::backend::{Batching, SETTLE_POLL_INTERVAL, SETTLE_TIMEOUT};
use super::{ActualTopic, BackendKind, ClusterState, RequestCounts, TopicBackend, TopicsError};
use crate::aws::{AwsError, AwsErrorKind};
use crate::kafka::is_internal_topic;
use crate::profile::TopicSpec;
use crate::progress::Progress;

/// Concurrent topic API calls. MSK's control-plane APIs are rate-limited
/// per account (a few requests per second sustained, with bursts); four in
/// flight stays inside the burst while cutting wall time for many topics.
const MSK_CONCURRENCY: usize = 4;

/// ListTopics page size (the API's documented maximum).
const LIST_PAGE_SIZE: i32 = 100;

pub struct MskBackend {
    pub(super) client: Client,
    pub(super) cluster_arn: String,
    batching: Batching,
    progress: Arc<dyn Progress>,
    pub(super) reads: AtomicU64,
    writes: AtomicU64,
}

/// What DescribeTopic says about one topic.
pub(super) struct Described {
    pub(super) partitions: u32,
    pub(super) settled: bool,
    pub(super) configs: BTreeMap<String, String>,
}

impl MskBackend {
    pub fn new(client: Client, cluster_arn: String, batching: Batching, progress: &dyn Progress) -> Self {
        Self {
            client,
            cluster_arn,
            batching,
            progress: progress.share(),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }
    }

    pub(super) fn error<E, R>(&self, action: &str, topic: Option<&str>, err: SdkError<E, R>) -> TopicsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        TopicsError::Aws(AwsError::from_sdk(action, self.resource(topic), err))
    }

    fn resource(&self, topic: Option<&str>) -> String {
        match topic {
            Some(topic) => format!("topic {topic} of cluster {}", self.cluster_arn),
            None => format!("cluster {}", self.cluster_arn),
        }
    }

    fn concurrency(&self) -> usize {
        match self.batching {
            Batching::Batched => MSK_CONCURRENCY,
            Batching::PerTopic => 1,
        }
    }

    /// Runs `call` for every item with bounded concurrency; first error wins.
    pub(super) async fn each<'a, T, R, Fut>(
        &self,
        items: &'a [T],
        call: impl Fn(&'a T) -> Fut,
    ) -> Result<Vec<R>, TopicsError>
    where
        Fut: Future<Output = Result<R, TopicsError>>,
    {
        stream::iter(items.iter().map(call)).buffer_unordered(self.concurrency()).try_collect().await
    }

    pub(super) async fn live_brokers(&self) -> Result<u32, TopicsError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let out = self
            .client
            .describe_cluster_v2()
            .cluster_arn(&self.cluster_arn)
            .send()
            .await
            .map_err(|err| self.error("kafka:DescribeClusterV2", None, err))?;
        out.cluster_info()
            .and_then(|c| c.provisioned())
            .and_then(|p| p.number_of_broker_nodes())
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| TopicsError::InvalidArgument {
                message: format!("{} is not a provisioned MSK cluster", self.cluster_arn),
                hint: "the MSK topic API needs a provisioned cluster".into(),
            })
    }

    async fn list(&self) -> Result<Vec<(String, u32, u16)>, TopicsError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_topics()
            .cluster_arn(&self.cluster_arn)
            .max_results(LIST_PAGE_SIZE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            self.reads.fetch_add(1, Ordering::Relaxed);
            let page = page.map_err(|err| self.error("kafka:ListTopics", None, err))?;
            for topic in page.topics() {
                if let Some(name) = topic.topic_name() {
                    let partitions = topic.partition_count().and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
                    let rf = topic.replication_factor().and_then(|n| u16::try_from(n).ok()).unwrap_or(0);
                    out.push((name.to_string(), partitions, rf));
                }
            }
        }
        Ok(out)
    }

    /// `None` when the topic does not exist.
    pub(super) async fn describe(&self, topic: &str) -> Result<Option<Described>, TopicsError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let result = self.client.describe_topic().cluster_arn(&self.cluster_arn).topic_name(topic).send().await;
        let out = match result {
            Ok(out) => out,
            Err(err) => {
                return match self.error("kafka:DescribeTopic", Some(topic), err) {
                    TopicsError::Aws(aws) if aws.is(AwsErrorKind::NotFound) => Ok(None),
                    other => Err(other),
                }
            }
        };
        let configs = match out.configs() {
            Some(encoded) => decode_configs(encoded).map_err(|message| {
                TopicsError::Aws(AwsError::malformed(
                    "kafka:DescribeTopic",
                    self.resource(Some(topic)),
                    &format!("valid configs ({message})"),
                ))
            })?,
            None => BTreeMap::new(),
        };
        Ok(Some(Described {
            partitions: out.partition_count().and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
            settled: matches!(out.status(), Some(TopicState::Active) | None),
            configs,
        }))
    }

    /// Polls DescribeTopic for every topic until `done` holds for each,
    /// bounded by [`SETTLE_TIMEOUT`].
    async fn wait_for(
        &self,
        what: &str,
        topics: &[String],
        done: impl Fn(&str, Option<&Described>) -> bool,
    ) -> Result<(), TopicsError> {
        let mut waiting = self.progress.wait(what);
        let started = Instant::now();
        let mut pending: Vec<String> = topics.to_vec();
        loop {
            let states =
                self.each(&pending, |topic| async move { Ok((topic.clone(), self.describe(topic).await?)) }).await?;
            pending = states
                .into_iter()
                .filter(|(topic, state)| !done(topic, state.as_ref()))
                .map(|(topic, _)| topic)
                .collect();
            pending.sort();
            if pending.is_empty() {
                waiting.finish("MSK reports it");
                return Ok(());
            }
            if started.elapsed() >= SETTLE_TIMEOUT {
                return Err(TopicsError::WaitTimeout {
                    what: format!("{what} ({} still pending)", pending.join(", ")),
                    waited: started.elapsed(),
                });
            }
            waiting.update(&format!("{} topic(s) not settled yet", pending.len()));
            tokio::time::sleep(SETTLE_POLL_INTERVAL).await;
        }
    }
}

/// MSK sends configs as base64 of Java-properties text (`key=value` lines).
pub fn encode_configs(configs: &BTreeMap<String, String>) -> String {
    let text: Vec<String> = configs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    base64::engine::general_purpose::STANDARD.encode(text.join("\n"))
}

pub fn decode_configs(encoded: &str) -> Result<BTreeMap<String, String>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|err| format!("configs are not valid base64: {err}"))?;
    let text = String::from_utf8(bytes).map_err(|_| "configs are not UTF-8".to_string())?;
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!')) {
        let (key, value) = line.split_once('=').ok_or_else(|| format!("config line `{line}` is not key=value"))?;
        out.insert(key.trim().to_string(), value.trim().to_string());
    }
    Ok(out)
}

fn to_i32(topic: &str, what: &str, value: u32) -> Result<i32, TopicsError> {
    i32::try_from(value).map_err(|_| TopicsError::InvalidArgument {
        message: format!("{topic}: {what} {value} is out of range"),
        hint: "use a smaller value".into(),
    })
}

impl TopicBackend for MskBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Msk
    }

    async fn read_state(&self, desired: &[String]) -> Result<ClusterState, TopicsError> {
        let live_brokers = self.live_brokers().await?;
        let listed = self.list().await?;
        // Configs are only in DescribeTopic, one call per topic; only the
        // desired topics that exist need them.
        let wanted: Vec<String> =
            desired.iter().filter(|d| listed.iter().any(|(name, _, _)| name == *d)).cloned().collect();
        let described =
            self.each(&wanted, |topic| async move { Ok((topic.clone(), self.describe(topic).await?)) }).await?;
        let mut overrides: BTreeMap<String, BTreeMap<String, String>> =
            described.into_iter().filter_map(|(topic, d)| Some((topic, d?.configs))).collect();
        let topics = listed
            .into_iter()
            .map(|(name, partitions, replication_factor)| ActualTopic {
                overrides: if is_internal_topic(&name) {
                    BTreeMap::new()
                } else {
                    overrides.remove(&name).unwrap_or_default()
                },
                name,
                partitions,
                replication_factor,
            })
            .collect();
        Ok(ClusterState { topics, live_brokers })
    }

    async fn create_topics(&self, topics: &[TopicSpec]) -> Result<(), TopicsError> {
        self.each(topics, |spec| async move {
            self.writes.fetch_add(1, Ordering::Relaxed);
            let mut call = self
                .client
                .create_topic()
                .cluster_arn(&self.cluster_arn)
                .topic_name(&spec.name)
                .partition_count(to_i32(&spec.name, "partitions", spec.partitions)?)
                .replication_factor(i32::from(spec.replication_factor));
            if !spec.configs.is_empty() {
                call = call.configs(encode_configs(&spec.configs));
            }
            call.send().await.map_err(|err| self.error("kafka:CreateTopic", Some(&spec.name), err))?;
            Ok(())
        })
        .await?;
        let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
        self.wait_for(&format!("creation of {} topic(s)", names.len()), &names, |name, state| {
            let expected = topics.iter().find(|t| t.name == name).map(|t| t.partitions);
            state.is_some_and(|s| s.settled && Some(s.partitions) == expected)
        })
        .await
    }

    async fn increase_partitions(&self, changes: &[(String, u32)]) -> Result<(), TopicsError> {
        self.each(changes, |(topic, total)| async move {
            self.writes.fetch_add(1, Ordering::Relaxed);
            self.client
                .update_topic()
                .cluster_arn(&self.cluster_arn)
                .topic_name(topic)
                .partition_count(to_i32(topic, "partitions", *total)?)
                .send()
                .await
                .map_err(|err| self.error("kafka:UpdateTopic", Some(topic), err))?;
            Ok(())
        })
        .await?;
        let names: Vec<String> = changes.iter().map(|(t, _)| t.clone()).collect();
        self.wait_for(&format!("new partitions on {} topic(s)", names.len()), &names, |name, state| {
            let expected = changes.iter().find(|(t, _)| t == name).map(|(_, n)| *n);
            state.is_some_and(|s| s.settled && Some(s.partitions) == expected)
        })
        .await
    }

    async fn set_configs(&self, changes: &BTreeMap<String, BTreeMap<String, String>>) -> Result<(), TopicsError> {
        let list: Vec<(&String, &BTreeMap<String, String>)> = changes.iter().collect();
        self.each(&list, |(topic, set)| async move {
            self.writes.fetch_add(1, Ordering::Relaxed);
            self.client
                .update_topic()
                .cluster_arn(&self.cluster_arn)
                .topic_name(topic.as_str())
                .configs(encode_configs(set))
                .send()
                .await
                .map_err(|err| self.error("kafka:UpdateTopic", Some(topic), err))?;
            Ok(())
        })
        .await?;
        let names: Vec<String> = changes.keys().cloned().collect();
        self.wait_for(&format!("new configs on {} topic(s)", names.len()), &names, |name, state| {
            let expected = changes.get(name);
            state.is_some_and(|s| {
                s.settled && expected.is_some_and(|set| set.iter().all(|(k, v)| s.configs.get(k) == Some(v)))
            })
        })
        .await
    }

    async fn delete_topics(&self, names: &[String]) -> Result<(), TopicsError> {
        self.each(names, |topic| async move {
            self.writes.fetch_add(1, Ordering::Relaxed);
            self.client
                .delete_topic()
                .cluster_arn(&self.cluster_arn)
                .topic_name(topic)
                .send()
                .await
                .map_err(|err| self.error("kafka:DeleteTopic", Some(topic), err))?;
            Ok(())
        })
        .await?;
        self.wait_for(&format!("deletion of {} topic(s)", names.len()), names, |_, state| state.is_none()).await
    }

    fn requests(&self) -> RequestCounts {
        RequestCounts { reads: self.reads.load(Ordering::Relaxed), writes: self.writes.load(Ordering::Relaxed) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_round_trip_as_base64_properties() {
        let configs: BTreeMap<String, String> =
            [("retention.ms".to_string(), "1800000".to_string()), ("cleanup.policy".into(), "delete".into())].into();
        let encoded = encode_configs(&configs);
        assert_eq!(decode_configs(&encoded), Ok(configs));
        // AWS's documented example.
        let aws = decode_configs("Y29tcHJlc3Npb24udHlwZT1wcm9kdWNlcgpyZXRlbnRpb24ubXM9NjA0ODAwMDAw")
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(aws.get("retention.ms").map(String::as_str), Some("604800000"));
        assert_eq!(aws.get("compression.type").map(String::as_str), Some("producer"));
        assert!(decode_configs("not base64!").is_err());
    }
}
