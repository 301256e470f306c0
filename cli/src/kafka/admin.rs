//! The admin client, returning forgectl's own types. Every method is one
//! admin request (a round trip to a broker), and counts itself, so callers
//! can prove that a no-op sync only reads and that creation is batched.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{
    AdminClient, AdminOptions, ConfigSource, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;

use super::login;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde::Serialize;

use super::incremental::{incremental_alter_topic_configs, TopicConfigChange};
use super::{KafkaConnection, KafkaError};

/// How long one admin request may take. Creation and deletion also wait
/// this long for the controller to finish (`operation_timeout`), so a
/// success means the controller has committed the change.
pub const ADMIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Admin {
    client: Arc<AdminClient<DefaultClientContext>>,
    connection: KafkaConnection,
    bootstrap: String,
    reads: AtomicU64,
    writes: AtomicU64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterMetadata {
    pub brokers: Vec<BrokerMetadata>,
    pub topics: Vec<TopicMetadata>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BrokerMetadata {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicMetadata {
    pub name: String,
    pub partitions: Vec<PartitionMetadata>,
    /// Set when the broker reported an error for this topic (e.g. it is
    /// still being created or deleted).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartitionMetadata {
    pub id: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

impl TopicMetadata {
    /// The replica count of the first partition; Kafka keeps it uniform
    /// unless someone reassigned partitions by hand.
    pub fn replication_factor(&self) -> u16 {
        self.partitions.iter().map(|p| p.replicas.len()).max().and_then(|n| u16::try_from(n).ok()).unwrap_or(0)
    }
}

/// One config entry and where its value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigValue {
    pub name: String,
    pub value: Option<String>,
    /// Kafka's config source name, e.g. DYNAMIC_TOPIC_CONFIG or DEFAULT_CONFIG.
    pub source: &'static str,
}

impl ConfigValue {
    /// A topic-level override: the only kind forgectl compares, so broker
    /// defaults never show up as drift.
    pub fn is_topic_override(&self) -> bool {
        self.source == "DYNAMIC_TOPIC_CONFIG"
    }
}

/// A topic to create.
#[derive(Debug, Clone)]
pub struct NewTopicSpec {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u16,
    pub configs: BTreeMap<String, String>,
}

fn source_name(source: &ConfigSource) -> &'static str {
    match source {
        ConfigSource::Unknown => "UNKNOWN",
        ConfigSource::DynamicTopic => "DYNAMIC_TOPIC_CONFIG",
        ConfigSource::DynamicBroker => "DYNAMIC_BROKER_CONFIG",
        ConfigSource::DynamicDefaultBroker => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        ConfigSource::StaticBroker => "STATIC_BROKER_CONFIG",
        ConfigSource::Default => "DEFAULT_CONFIG",
    }
}

impl Admin {
    pub fn connect(connection: &KafkaConnection) -> Result<Self, KafkaError> {
        let bootstrap = connection.bootstrap_servers.clone();
        let client = connection
            .client_config()?
            .create::<AdminClient<DefaultClientContext>>()
            .map_err(|source| KafkaError::Client { bootstrap: bootstrap.clone(), source })?;
        Ok(Self {
            client: Arc::new(client),
            connection: connection.clone(),
            bootstrap,
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        })
    }

    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// Admin requests sent so far: (reads, writes).
    pub fn request_counts(&self) -> (u64, u64) {
        (self.reads.load(Ordering::Relaxed), self.writes.load(Ordering::Relaxed))
    }

    fn read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    fn options(&self) -> AdminOptions {
        AdminOptions::new().request_timeout(Some(ADMIN_REQUEST_TIMEOUT)).operation_timeout(Some(ADMIN_REQUEST_TIMEOUT))
    }

    fn request_error(&self, operation: &'static str, source: rdkafka::error::KafkaError) -> KafkaError {
        KafkaError::Request { operation, bootstrap: self.bootstrap.clone(), source }
    }

    /// Brokers and topics in one Metadata request (`topic` narrows it to one
    /// topic, for the one-request-per-topic baseline). librdkafka's call
    /// blocks, so it runs on the blocking pool.
    pub async fn metadata(&self, timeout: Duration, topic: Option<&str>) -> Result<ClusterMetadata, KafkaError> {
        self.read();
        let client = Arc::clone(&self.client);
        let topic = topic.map(str::to_string);
        let fetched = tokio::task::spawn_blocking(move || client.inner().fetch_metadata(topic.as_deref(), timeout))
            .await
            .map_err(|err| KafkaError::Native { operation: "Metadata", message: err.to_string() })?;
        match fetched {
            Ok(fetched) => Ok(owned_metadata(&fetched)),
            Err(source) => Err(self.explain_failure(source, timeout).await),
        }
    }

    /// A refused SASL login reaches a request only as a transport failure;
    /// with a login configured, ask once more with a client that listens
    /// for the reason, so the error names the login rather than the network.
    async fn explain_failure(&self, source: rdkafka::error::KafkaError, timeout: Duration) -> KafkaError {
        let Some(username) = self.connection.sasl.as_ref().map(|login| login.username.clone()) else {
            return self.request_error("Metadata", source);
        };
        let Ok(config) = self.connection.client_config() else { return self.request_error("Metadata", source) };
        let refused = tokio::task::spawn_blocking(move || login::refused_login(&config, timeout)).await.ok().flatten();
        match refused {
            Some(reason) => KafkaError::Authentication { bootstrap: self.bootstrap.clone(), username, reason },
            None => self.request_error("Metadata", source),
        }
    }

    /// Each broker's own view of the cluster, one Metadata request per
    /// broker. Brokers learn about topic changes independently (KRaft
    /// brokers replay the metadata log at their own pace), so "visible" has
    /// to mean visible on every broker: otherwise the next command may ask
    /// one that has not caught up and see the old state.
    pub async fn metadata_on_each_broker(&self, timeout: Duration) -> Result<Vec<ClusterMetadata>, KafkaError> {
        let cluster = self.metadata(timeout, None).await?;
        let mut views = Vec::with_capacity(cluster.brokers.len());
        for broker in &cluster.brokers {
            self.read();
            // A fresh client knows only this broker, so its first Metadata
            // request can only go there.
            let single = KafkaConnection {
                bootstrap_servers: format!("{}:{}", broker.host, broker.port),
                ..self.connection.clone()
            };
            let consumer: BaseConsumer = single
                .client_config()?
                .create()
                .map_err(|source| KafkaError::Client { bootstrap: single.bootstrap_servers.clone(), source })?;
            let fetched = tokio::task::spawn_blocking(move || consumer.fetch_metadata(None, timeout))
                .await
                .map_err(|err| KafkaError::Native { operation: "Metadata", message: err.to_string() })?
                .map_err(|source| KafkaError::Request {
                    operation: "Metadata",
                    bootstrap: single.bootstrap_servers,
                    source,
                })?;
            views.push(owned_metadata(&fetched));
        }
        Ok(views)
    }

    /// Config entries as one broker sees them (`None`: any broker).
    pub async fn topic_configs_on(
        &self,
        topics: &[String],
        broker: Option<i32>,
    ) -> Result<BTreeMap<String, Vec<ConfigValue>>, KafkaError> {
        self.describe_configs(topics, broker).await
    }
}

fn owned_metadata(fetched: &rdkafka::metadata::Metadata) -> ClusterMetadata {
    ClusterMetadata {
        brokers: fetched
            .brokers()
            .iter()
            .map(|b| BrokerMetadata { id: b.id(), host: b.host().to_string(), port: b.port() })
            .collect(),
        topics: fetched
            .topics()
            .iter()
            .map(|t| TopicMetadata {
                name: t.name().to_string(),
                error: t.error().map(|code| format!("{:?}", rdkafka::error::RDKafkaErrorCode::from(code))),
                partitions: t
                    .partitions()
                    .iter()
                    .map(|p| PartitionMetadata {
                        id: p.id(),
                        leader: p.leader(),
                        replicas: p.replicas().to_vec(),
                        isr: p.isr().to_vec(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

impl Admin {
    /// Every config entry of each topic, in one DescribeConfigs request.
    pub async fn topic_configs(&self, topics: &[String]) -> Result<BTreeMap<String, Vec<ConfigValue>>, KafkaError> {
        self.describe_configs(topics, None).await
    }

    async fn describe_configs(
        &self,
        topics: &[String],
        broker: Option<i32>,
    ) -> Result<BTreeMap<String, Vec<ConfigValue>>, KafkaError> {
        if topics.is_empty() {
            return Ok(BTreeMap::new());
        }
        self.read();
        let specifiers: Vec<ResourceSpecifier<'_>> = topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
        let results = self
            .client
            .describe_configs(&specifiers, &self.options().broker_id(broker))
            .await
            .map_err(|source| self.request_error("DescribeConfigs", source))?;
        let mut out = BTreeMap::new();
        for (topic, result) in topics.iter().zip(results) {
            let resource = result.map_err(|code| KafkaError::Topic {
                operation: "DescribeConfigs",
                topic: topic.clone(),
                code,
                message: None,
            })?;
            let values = resource
                .entries
                .iter()
                .map(|e| ConfigValue { name: e.name.clone(), value: e.value.clone(), source: source_name(&e.source) })
                .collect();
            out.insert(topic.clone(), values);
        }
        Ok(out)
    }

    /// Creates all `topics` in one CreateTopics request. Fails naming the
    /// first topic the controller refused; the others may have been created
    /// (Kafka's CreateTopics is not transactional), and a re-run picks up
    /// from there.
    pub async fn create_topics(&self, topics: &[NewTopicSpec]) -> Result<(), KafkaError> {
        if topics.is_empty() {
            return Ok(());
        }
        self.write();
        let mut new_topics = Vec::with_capacity(topics.len());
        for spec in topics {
            let partitions = i32::try_from(spec.partitions).map_err(|_| KafkaError::InvalidInput {
                operation: "CreateTopics",
                what: "partitions",
                message: format!("{} partitions for {}", spec.partitions, spec.name),
            })?;
            let mut topic =
                NewTopic::new(&spec.name, partitions, TopicReplication::Fixed(i32::from(spec.replication_factor)));
            for (key, value) in &spec.configs {
                topic = topic.set(key, value);
            }
            new_topics.push(topic);
        }
        let results = self
            .client
            .create_topics(&new_topics, &self.options())
            .await
            .map_err(|source| self.request_error("CreateTopics", source))?;
        first_topic_error("CreateTopics", results)
    }

    /// Raises partition counts, all topics in one CreatePartitions request.
    pub async fn create_partitions(&self, changes: &[(String, u32)]) -> Result<(), KafkaError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.write();
        let new_partitions: Vec<NewPartitions<'_>> = changes
            .iter()
            .map(|(topic, total)| NewPartitions::new(topic, usize::try_from(*total).unwrap_or(usize::MAX)))
            .collect();
        let results = self
            .client
            .create_partitions(&new_partitions, &self.options())
            .await
            .map_err(|source| self.request_error("CreatePartitions", source))?;
        first_topic_error("CreatePartitions", results)
    }

    /// Sets only the given keys, all topics in one IncrementalAlterConfigs request.
    pub async fn alter_configs(&self, changes: &[TopicConfigChange]) -> Result<(), KafkaError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.write();
        let outcomes = incremental_alter_topic_configs(&self.client, changes, ADMIN_REQUEST_TIMEOUT).await?;
        for outcome in outcomes {
            if let Err((code, message)) = outcome.result {
                return Err(KafkaError::Topic {
                    operation: "IncrementalAlterConfigs",
                    topic: outcome.topic,
                    code,
                    message: Some(message).filter(|m| !m.is_empty()),
                });
            }
        }
        Ok(())
    }

    /// Deletes the topics in one DeleteTopics request.
    pub async fn delete_topics(&self, topics: &[String]) -> Result<(), KafkaError> {
        if topics.is_empty() {
            return Ok(());
        }
        self.write();
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        let results = self
            .client
            .delete_topics(&names, &self.options())
            .await
            .map_err(|source| self.request_error("DeleteTopics", source))?;
        first_topic_error("DeleteTopics", results)
    }
}

fn first_topic_error(operation: &'static str, results: Vec<rdkafka::admin::TopicResult>) -> Result<(), KafkaError> {
    for result in results {
        if let Err((topic, code)) = result {
            return Err(KafkaError::Topic { operation, topic, code, message: None });
        }
    }
    Ok(())
}
