//! Setting up and running the consume loop until cancelled.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use tokio_util::sync::CancellationToken;

use forgectl_service_common::telemetry::{metrics_handle, LATENCY_BUCKETS};

use crate::config::ConsumerOptions;
use crate::context::LoopContext;
use crate::dlq::{DeadLetters, DlqError};
use crate::http::{self, Health};
use crate::inspect::{InspectError, Inspector};
use crate::mongo::{MongoError, MongoSink};
use crate::schema;
use crate::sink::Sink;
use crate::worker::{KafkaConsumer, Worker};

/// How long shutdown keeps trying to write the in-flight batch.
const SHUTDOWN_FLUSH_BUDGET: Duration = Duration::from_secs(15);
/// Schema migration retries while the database is still starting.
const MIGRATION_RETRY_MIN: Duration = Duration::from_millis(250);
const MIGRATION_RETRY_MAX: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error(transparent)]
    Pool(#[from] forgectl_service_common::postgres::PoolError),
    #[error("creating the Kafka consumer: {0}")]
    Create(#[source] KafkaError),
    #[error("subscribing to {topics:?}: {source}")]
    Subscribe {
        topics: Vec<String>,
        #[source]
        source: KafkaError,
    },
    #[error(transparent)]
    Dlq(#[from] DlqError),
    #[error(transparent)]
    Http(#[from] http::HttpError),
    #[error(transparent)]
    Mongo(#[from] MongoError),
    #[error(transparent)]
    Inspect(#[from] InspectError),
}

fn kafka_consumer(opts: &ConsumerOptions) -> Result<KafkaConsumer, ConsumerError> {
    let mut cfg: ClientConfig = opts.kafka.client_config();
    cfg.set("group.id", &opts.group)
        // Offsets move only after PostgreSQL has the rows.
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        // A reset is never silent: the loop sees the jump from the offset
        // it expects to the log start and counts it (positions.rs).
        .set("auto.offset.reset", "earliest")
        .set("max.poll.interval.ms", opts.max_poll_interval.as_millis().to_string())
        .set("session.timeout.ms", opts.session_timeout.as_millis().to_string())
        .set("statistics.interval.ms", "5000")
        .set("allow.auto.create.topics", "false");
    cfg.create_with_context(LoopContext::new(opts.kafka.iam.clone())).map_err(ConsumerError::Create)
}

/// Runs the consumer until `cancel` fires, then writes and commits the
/// in-flight batch and leaves the group.
pub async fn run(opts: ConsumerOptions, cancel: CancellationToken) -> Result<(), ConsumerError> {
    let metrics = metrics_handle(LATENCY_BUCKETS);
    let mongo = match &opts.mongodb {
        Some(settings) => {
            tracing::info!(host = %settings.host, port = settings.port, database = %settings.database,
                sources = ?settings.enabled, "MongoDB sink on");
            Some(MongoSink::new(settings)?)
        }
        None => None,
    };
    let pool = opts.pg.pool(&opts.pg.sync_database, 2)?;
    let health = Arc::new(Health::default());
    let http_task = match opts.metrics_listen {
        Some(addr) => Some(http::serve(addr, health.clone(), pool.clone(), metrics, cancel.clone()).await?),
        None => None,
    };

    // The schema must exist before the first write; the database may still
    // be starting, so retry until it answers or we are told to stop.
    let migrate = || async {
        let mut client = pool.get().await.map_err(|e| e.to_string())?;
        schema::migrate(&mut client, &opts.topics).await.map_err(|e| e.to_string())
    };
    let until_migrated = migrate
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(MIGRATION_RETRY_MIN)
                .with_max_delay(MIGRATION_RETRY_MAX)
                .without_max_times(),
        )
        .notify(|e, _| tracing::warn!(error = %e, "schema migration failed; retrying"));
    tokio::select! {
        _ = cancel.cancelled() => return Ok(()),
        // Retries without a limit, so it only ever returns Ok.
        _ = until_migrated => {}
    }

    let consumer = kafka_consumer(&opts)?;
    let topics: Vec<&str> = opts.topics.iter().map(String::as_str).collect();
    consumer.subscribe(&topics).map_err(|source| ConsumerError::Subscribe { topics: opts.topics.clone(), source })?;
    tracing::info!(group = %opts.group, topics = ?opts.topics, "consumer subscribed");
    let sink = Sink::new(pool, &opts.group, &opts.topics);
    let dlq = DeadLetters::new(&opts.kafka, &opts.dead_letter_suffix)?;
    let inspector = Inspector::new(&opts.kafka)?;
    crate::positions::register_counters(&opts.topics);
    let mut worker =
        Worker::new(consumer, sink, dlq, inspector, opts.batch_max_rows, opts.batch_max_wait).with_mongo(mongo);
    worker.max_message_bytes = opts.max_message_bytes;
    health.running.store(true, Ordering::Relaxed);

    consume(&mut worker, &health, &cancel).await;

    shutdown(&mut worker).await;
    health.running.store(false, Ordering::Relaxed);
    if let Some(task) = http_task {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    Ok(())
}

async fn consume(worker: &mut Worker, health: &Health, cancel: &CancellationToken) {
    let far = Duration::from_secs(3600);
    let context = worker.consumer.context().clone();
    loop {
        worker.handle_rebalances().await;
        let wake = worker.next_wake().map(tokio::time::Instant::from_std);
        let sleep_until = wake.unwrap_or_else(|| tokio::time::Instant::now() + far);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return,
            msg = worker.consumer.recv() => match msg {
                Ok(msg) => {
                    // Owned so the borrow of the consumer ends here.
                    let msg = msg.detach();
                    worker.handle_rebalances().await;
                    worker.take(&msg);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "kafka receive error");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            // Handled at the top of the loop.
            _ = context.recorded.notified() => {}
            _ = tokio::time::sleep_until(sleep_until) => {}
        }
        if worker.paused {
            if worker.retry_at.is_some_and(|t| Instant::now() >= t) {
                let result = if worker.batch.is_empty() { worker.ping().await } else { worker.flush().await };
                match result {
                    Ok(()) => {
                        health.set_blocked(None);
                        worker.resume();
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "still cannot write");
                        health.set_blocked(e.permanent_reason());
                        worker.pause("write failed");
                    }
                }
            }
        } else if worker.should_flush() {
            if let Err(e) = worker.flush().await {
                metrics::counter!("consumer_write_errors_total", "sink" => e.sink()).increment(1);
                health.set_blocked(e.permanent_reason());
                worker.pause(&e.to_string());
            }
        }
    }
}

async fn shutdown(worker: &mut Worker) {
    let deadline = Instant::now() + SHUTDOWN_FLUSH_BUDGET;
    worker.handle_rebalances().await;
    while !worker.batch.is_empty() {
        match worker.flush().await {
            Ok(()) => break,
            Err(e) if Instant::now() < deadline => {
                tracing::warn!(error = %e, "final flush failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                // Nothing is lost: the uncommitted messages are re-read by
                // the next owner of the partitions.
                tracing::error!(error = %e, "giving up on the final flush");
                break;
            }
        }
    }
    worker.consumer.unsubscribe();
    tracing::info!("consumer stopped");
}
