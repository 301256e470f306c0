//! The one Kafka producer of the process, and the mapping from delivery
//! outcomes to errors the HTTP layer can answer with.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use forgectl_service_common::kafka_iam::{self, MskIam};
use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use forgectl_service_common::envelope::BATCH_ID_HEADER;

use crate::config::ProducerConfig;

#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    #[error("creating the Kafka producer: {0}")]
    Create(#[source] KafkaError),
    /// librdkafka's local queue is full: the brokers are slower than intake.
    #[error("the producer queue is full")]
    QueueFull,
    /// Too many upload bytes are waiting for acknowledgement.
    #[error("too many bytes in flight")]
    InflightCap,
    #[error("Kafka did not acknowledge topic {topic} within {timeout:?}")]
    Timeout { topic: String, timeout: Duration },
    /// Retrying the same message can never succeed (too large, not authorised).
    #[error("Kafka rejected the message for topic {topic}: {code}")]
    Rejected { topic: String, code: RDKafkaErrorCode },
    #[error("Kafka is unavailable for topic {topic}: {source}")]
    Unavailable {
        topic: String,
        #[source]
        source: KafkaError,
    },
}

impl ProduceError {
    /// Short label for the `reason` metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            ProduceError::Create(_) => "create",
            ProduceError::QueueFull => "queue_full",
            ProduceError::InflightCap => "inflight_cap",
            ProduceError::Timeout { .. } => "timeout",
            ProduceError::Rejected { .. } => "rejected",
            ProduceError::Unavailable { .. } => "unavailable",
        }
    }
}

/// Raised once librdkafka reports a fatal error (for the idempotent
/// producer: the broker fenced it or lost its sequence state). The client
/// can never send again, so the producer stops being ready and the server
/// shuts down to be replaced.
#[derive(Default)]
pub struct FatalSignal {
    raised: AtomicBool,
    notify: Notify,
}

impl FatalSignal {
    pub fn raise(&self) {
        if !self.raised.swap(true, Ordering::SeqCst) {
            metrics::gauge!("producer_kafka_fatal").set(1.0);
        }
        // notify_one keeps a permit, so a waiter that arrives later still wakes.
        self.notify.notify_one();
    }

    pub fn is_raised(&self) -> bool {
        self.raised.load(Ordering::SeqCst)
    }

    pub async fn raised(&self) {
        while !self.is_raised() {
            self.notify.notified().await;
        }
    }
}

/// The producer's client context: logs librdkafka's errors and raises the
/// fatal signal; everything else is the default behaviour.
pub struct WatchedContext {
    fatal: Arc<FatalSignal>,
    /// MSK IAM settings when the cluster authenticates with IAM.
    iam: Option<MskIam>,
}

impl ClientContext for WatchedContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn generate_oauth_token(&self, _config: Option<&str>) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        kafka_iam::oauth_token(self.iam.as_ref())
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal) {
            tracing::error!(%reason, "fatal Kafka producer error; the producer is no longer ready");
            self.fatal.raise();
        } else {
            tracing::warn!(error = %error, %reason, "librdkafka error");
        }
    }
}

pub struct Acked {
    pub partition: i32,
    pub offset: i64,
}

/// Wraps the process's single `FutureProducer` with an in-flight byte budget.
#[derive(Clone)]
pub struct UploadProducer {
    producer: FutureProducer<WatchedContext>,
    fatal: Arc<FatalSignal>,
    inflight: Arc<Semaphore>,
    /// High-water mark of reserved KiB, for the budget's metrics and tests.
    inflight_peak_kib: Arc<std::sync::atomic::AtomicU32>,
    /// Permits are KiB so the budget fits a semaphore's u32 count.
    inflight_kib: u32,
    delivery_timeout: Duration,
}

impl UploadProducer {
    pub fn new(cfg: &ProducerConfig) -> Result<Self, ProduceError> {
        let mut cc = cfg.kafka.client_config();
        cc
            // No acknowledged upload may be lost: all in-sync replicas, and
            // idempotence so librdkafka's retries never duplicate or reorder.
            .set("acks", "all")
            .set("enable.idempotence", "true")
            // Uploads are already batches of records, so a few ms of linger is
            // enough to pack concurrent uploads into one request per broker
            // without adding visible latency; see docs/benchmarks/services.md.
            .set("linger.ms", cfg.linger_ms.to_string())
            // lz4 by default: JSON compresses 3-5x at a CPU cost far below
            // zstd/gzip on both producer and consumer.
            .set("compression.type", &cfg.compression)
            .set("message.timeout.ms", cfg.delivery_timeout.as_millis().to_string())
            .set("queue.buffering.max.messages", cfg.queue_max_messages.to_string())
            .set("queue.buffering.max.kbytes", (cfg.max_inflight_bytes / 1024 + 1024).to_string())
            .set("message.max.bytes", (cfg.max_body_bytes + 64 * 1024).to_string())
            .set("statistics.interval.ms", "0");
        let fatal = Arc::new(FatalSignal::default());
        let producer: FutureProducer<WatchedContext> = cc
            .create_with_context(WatchedContext { fatal: fatal.clone(), iam: cfg.kafka.iam.clone() })
            .map_err(ProduceError::Create)?;
        let inflight_kib = u32::try_from(cfg.max_inflight_bytes / 1024).unwrap_or(u32::MAX).max(1);
        Ok(Self {
            producer,
            fatal,
            inflight: Arc::new(Semaphore::new(inflight_kib as usize)),
            inflight_peak_kib: Arc::default(),
            inflight_kib,
            delivery_timeout: cfg.delivery_timeout,
        })
    }

    /// Reserves budget for a payload without waiting: a full budget is
    /// backpressure for the client, not a queue for the server.
    pub fn reserve(&self, bytes: usize) -> Result<OwnedSemaphorePermit, ProduceError> {
        let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).clamp(1, self.inflight_kib);
        let permit = self.inflight.clone().try_acquire_many_owned(kib).map_err(|_| ProduceError::InflightCap)?;
        let reserved = self.inflight_kib - self.inflight.available_permits() as u32;
        self.inflight_peak_kib.fetch_max(reserved, Ordering::Relaxed);
        Ok(permit)
    }

    /// The most bytes ever reserved at once; never above the budget.
    pub fn inflight_bytes_peak(&self) -> usize {
        self.inflight_peak_kib.load(Ordering::Relaxed) as usize * 1024
    }

    pub fn fatal(&self) -> &Arc<FatalSignal> {
        &self.fatal
    }

    pub fn inflight_bytes(&self) -> usize {
        (self.inflight_kib as usize - self.inflight.available_permits()) * 1024
    }

    pub fn queue_depth(&self) -> i32 {
        self.producer.in_flight_count()
    }

    /// Enqueues one message and waits for its acknowledgement. Never blocks on
    /// a full queue; the wait for the ack is bounded by the delivery timeout.
    pub async fn send(&self, topic: &str, key: &str, batch_id: &str, payload: &[u8]) -> Result<Acked, ProduceError> {
        let headers = OwnedHeaders::new().insert(Header { key: BATCH_ID_HEADER, value: Some(batch_id) });
        let record = FutureRecord::to(topic).key(key).payload(payload).headers(headers);
        let fut = match self.producer.send_result(record) {
            Ok(f) => f,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                return Err(ProduceError::QueueFull)
            }
            Err((e, _)) => return Err(self.classify(topic, e)),
        };
        // The producer's own message.timeout.ms fires first; this margin only
        // guards against a lost callback.
        let bound = self.delivery_timeout + Duration::from_secs(5);
        match tokio::time::timeout(bound, fut).await {
            Ok(Ok(Ok(d))) => Ok(Acked { partition: d.partition, offset: d.offset }),
            Ok(Ok(Err((e, _)))) => Err(self.classify(topic, e)),
            Ok(Err(_canceled)) => Err(ProduceError::Unavailable { topic: topic.into(), source: KafkaError::Canceled }),
            Err(_) => Err(ProduceError::Timeout { topic: topic.into(), timeout: bound }),
        }
    }

    /// Kafka as `/ready` sees it: a metadata round trip, and no fatal error.
    /// The error text is for logs and never leaves the process.
    pub async fn check_kafka(&self) -> Result<(), String> {
        if let Some((code, reason)) = self.producer.client().fatal_error() {
            self.fatal.raise();
            return Err(format!("fatal producer error {code}: {reason}"));
        }
        let producer = self.producer.clone();
        tokio::task::spawn_blocking(move || {
            producer.client().fetch_metadata(None, Duration::from_secs(2)).map(|_| ()).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// Waits for everything queued to be acknowledged (shutdown).
    pub async fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        let producer = self.producer.clone();
        tokio::task::spawn_blocking(move || producer.flush(Timeout::After(timeout)))
            .await
            .unwrap_or(Err(KafkaError::Canceled))
    }
}

impl UploadProducer {
    fn classify(&self, topic: &str, e: KafkaError) -> ProduceError {
        if e.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal) {
            self.fatal.raise();
        }
        classify(topic, e)
    }
}

fn classify(topic: &str, e: KafkaError) -> ProduceError {
    let code = e.rdkafka_error_code();
    match code {
        Some(RDKafkaErrorCode::QueueFull) => ProduceError::QueueFull,
        Some(RDKafkaErrorCode::MessageTimedOut) => {
            ProduceError::Timeout { topic: topic.into(), timeout: Duration::ZERO }
        }
        Some(
            c @ (RDKafkaErrorCode::MessageSizeTooLarge
            | RDKafkaErrorCode::InvalidMessageSize
            | RDKafkaErrorCode::TopicAuthorizationFailed
            | RDKafkaErrorCode::ClusterAuthorizationFailed
            | RDKafkaErrorCode::UnknownTopicOrPartition
            | RDKafkaErrorCode::UnknownTopic
            | RDKafkaErrorCode::InvalidRecord),
        ) => ProduceError::Rejected { topic: topic.into(), code: c },
        _ => ProduceError::Unavailable { topic: topic.into(), source: e },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fatal_error_raises_the_signal_once_and_wakes_late_waiters() {
        let fatal = Arc::new(FatalSignal::default());
        let context = WatchedContext { fatal: fatal.clone(), iam: None };
        context.error(KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure), "broker down");
        assert!(!fatal.is_raised(), "a transient error is not fatal");
        context.error(KafkaError::Global(RDKafkaErrorCode::Fatal), "producer fenced");
        assert!(fatal.is_raised());
        tokio::time::timeout(Duration::from_secs(5), fatal.raised()).await.unwrap();
    }
}
