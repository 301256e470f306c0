//! The consume loop's state and steps: take messages into the batch, flush
//! it (dead letters, then MongoDB's documents when that sink is on, then rows
//! and offsets in one transaction, then the Kafka commit), react to
//! rebalances, and pause/resume around database outages.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{Offset, TopicPartitionList};

use forgectl_service_common::envelope::BATCH_ID_HEADER;

use crate::batch::{Batch, Item, Payload, Poison, Source};
use crate::context::{LoopContext, RebalanceEvent};
use crate::dlq::{DeadLetters, DlqError};
use crate::gaps::Gap;
use crate::inspect::{InspectError, Inspector};
use crate::mongo::{MongoError, MongoSink};
use crate::positions::{report, Suspect};
use crate::sink::{Sink, WriteError};

pub type KafkaConsumer = StreamConsumer<LoopContext>;

const MIN_BACKOFF: Duration = Duration::from_millis(250);
/// Retry cadence while the database is down; far below max.poll.interval.ms.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Doubling from MIN_BACKOFF up to MAX_BACKOFF, for as long as the outage lasts.
fn write_retry_backoff() -> ExponentialBackoff {
    ExponentialBuilder::default().with_min_delay(MIN_BACKOFF).with_max_delay(MAX_BACKOFF).without_max_times().build()
}

#[derive(Debug, thiserror::Error)]
pub enum FlushError {
    #[error(transparent)]
    Db(#[from] WriteError),
    #[error(transparent)]
    Dlq(#[from] DlqError),
    #[error(transparent)]
    Mongo(#[from] MongoError),
    /// Kafka did not say where a partition's log starts: gap checks wait.
    #[error(transparent)]
    Inspect(#[from] InspectError),
}

impl FlushError {
    /// The store that failed, for the per-sink error metric.
    pub fn sink(&self) -> &'static str {
        match self {
            FlushError::Db(_) => "postgres",
            FlushError::Dlq(_) => "dead_letters",
            FlushError::Mongo(_) => "mongodb",
            FlushError::Inspect(_) => "kafka",
        }
    }
}

impl FlushError {
    /// Why retrying cannot succeed until an operator acts, for `/ready`.
    pub fn permanent_reason(&self) -> Option<String> {
        match self {
            FlushError::Db(e @ WriteError::Permanent(_)) => Some(e.to_string()),
            FlushError::Db(_) => None,
            FlushError::Dlq(e) => e.permanent_reason(),
            // MongoDB outages are retried paused, as PostgreSQL's are; a
            // document MongoDB rejects as data is dead-lettered instead.
            FlushError::Mongo(_) => None,
            FlushError::Inspect(_) => None,
        }
    }
}

type Tp = (String, i32);

pub struct Worker {
    pub consumer: KafkaConsumer,
    pub sink: Sink,
    /// The second store, written before `sink` (which holds the offsets).
    pub mongo: Option<MongoSink>,
    pub dlq: DeadLetters,
    pub batch: Batch,
    pub max_rows: usize,
    pub max_wait: Duration,
    /// Larger messages are dead-lettered without their value.
    pub max_message_bytes: usize,
    assigned: BTreeSet<Tp>,
    /// Next offsets known to be durable in PostgreSQL.
    pub(crate) durable: HashMap<Tp, i64>,
    /// Assigned partitions whose start is not judged yet (positions.rs).
    pub(crate) unchecked: BTreeSet<Tp>,
    /// The offset each partition should deliver next.
    pub(crate) expected: HashMap<Tp, i64>,
    /// Jumps past the expected offset, not yet measured.
    pub(crate) suspects: Vec<Suspect>,
    pub(crate) inspector: Inspector,
    sought: HashSet<Tp>,
    pub paused: bool,
    pub retry_at: Option<Instant>,
    /// Pauses between write retries while the database is down.
    backoff: ExponentialBackoff,
}

impl Worker {
    pub fn new(
        consumer: KafkaConsumer,
        sink: Sink,
        dlq: DeadLetters,
        inspector: Inspector,
        max_rows: usize,
        max_wait: Duration,
    ) -> Self {
        Self {
            consumer,
            sink,
            mongo: None,
            dlq,
            batch: Batch::default(),
            max_rows,
            max_wait,
            max_message_bytes: usize::MAX,
            assigned: BTreeSet::new(),
            durable: HashMap::new(),
            unchecked: BTreeSet::new(),
            expected: HashMap::new(),
            suspects: Vec::new(),
            inspector,
            sought: HashSet::new(),
            paused: false,
            retry_at: None,
            backoff: write_retry_backoff(),
        }
    }

    pub fn with_mongo(mut self, mongo: Option<MongoSink>) -> Self {
        self.mongo = mongo;
        self
    }

    /// Whether every store answers (probed while paused with nothing to write).
    pub async fn ping(&self) -> Result<(), FlushError> {
        self.sink.ping().await?;
        if let Some(mongo) = &self.mongo {
            mongo.ping().await?;
        }
        Ok(())
    }

    /// When the loop must wake up even without a message.
    pub fn next_wake(&self) -> Option<Instant> {
        if self.paused {
            self.retry_at
        } else {
            self.batch.oldest.map(|t| t + self.max_wait)
        }
    }

    fn tpl(parts: impl IntoIterator<Item = Tp>) -> TopicPartitionList {
        let mut tpl = TopicPartitionList::new();
        for (t, p) in parts {
            tpl.add_partition(&t, p);
        }
        tpl
    }

    /// Acts on what the rebalance callbacks recorded.
    pub async fn handle_rebalances(&mut self) {
        for ev in self.consumer.context().take_events() {
            match ev {
                RebalanceEvent::Assigned(parts) => {
                    tracing::info!(partitions = ?parts, "partitions assigned");
                    self.assigned.extend(parts.iter().cloned());
                    self.unchecked.extend(parts.iter().cloned());
                    // Not fatal: rows are idempotent, so starting from the
                    // Kafka-committed offset (never ahead of PostgreSQL) only
                    // re-reads what is already stored, and the next flush
                    // checks again before it writes.
                    if let Err(e) = self.check_assignments().await {
                        tracing::warn!(error = %e, "could not check the stored offsets of new partitions");
                    }
                    if self.paused {
                        if let Err(e) = self.consumer.pause(&Self::tpl(parts)) {
                            tracing::warn!(error = %e, "pausing newly assigned partitions");
                        }
                    }
                }
                RebalanceEvent::Revoked(parts) => {
                    tracing::info!(partitions = ?parts, "partitions revoked");
                    let revoked: HashSet<Tp> = parts.into_iter().collect();
                    self.suspects.retain(|s| !revoked.contains(&s.tp));
                    for tp in &revoked {
                        self.assigned.remove(tp);
                        self.durable.remove(tp);
                        self.unchecked.remove(tp);
                        self.expected.remove(tp);
                        self.sought.remove(tp);
                        metrics::gauge!("consumer_lag", "topic" => tp.0.clone(), "partition" => tp.1.to_string())
                            .set(0.0);
                    }
                    self.batch.retain_partitions(&revoked);
                }
                RebalanceEvent::Error(e) => tracing::warn!(error = %e, "rebalance error"),
            }
        }
        metrics::gauge!("consumer_assigned_partitions").set(self.assigned.len() as f64);
    }

    /// Takes one message into the batch, or skips it if PostgreSQL already
    /// holds it (after a rebalance or restart).
    pub fn take(&mut self, msg: &OwnedMessage) {
        let source = Source { topic: msg.topic().to_string(), partition: msg.partition(), offset: msg.offset() };
        let tp = (source.topic.clone(), source.partition);
        if let Some(&durable) = self.durable.get(&tp) {
            if source.offset < durable {
                if self.sought.insert(tp.clone()) {
                    tracing::info!(topic = %tp.0, partition = tp.1, from = source.offset, to = durable, "seeking to stored offset");
                    if let Err(e) = self.consumer.seek(&tp.0, tp.1, Offset::Offset(durable), Duration::from_secs(2)) {
                        // Skipping message by message below is still correct.
                        tracing::warn!(error = %e, "seek failed; skipping instead");
                    }
                }
                metrics::counter!("consumer_messages_skipped_total", "topic" => source.topic.clone()).increment(1);
                return;
            }
        }
        self.track(&tp, source.offset);
        metrics::counter!("consumer_messages_consumed_total", "topic" => source.topic.clone()).increment(1);
        let payload = crate::decode::decode(msg, self.max_message_bytes);
        self.batch.push(Item { source, payload });
    }

    pub fn should_flush(&self) -> bool {
        !self.batch.is_empty()
            && (self.batch.rows >= self.max_rows
                || self.batch.items.len() >= self.max_rows
                || self.batch.oldest.is_some_and(|t| t.elapsed() >= self.max_wait))
    }

    /// Dead letters first (acked), then MongoDB's documents, then rows and
    /// offsets in one transaction, then the Kafka commit for lag tools. On
    /// any error the batch is kept; both stores skip what they already hold.
    pub async fn flush(&mut self) -> Result<(), FlushError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        // Offsets may only move past what the gap checks have judged.
        self.check_assignments().await?;
        self.settle_jumps().await?;
        self.dlq.send_pending(&mut self.batch.items).await?;
        self.write_mongo().await?;
        let started = Instant::now();
        match self.sink.write(&self.batch.items, &self.batch.gaps).await {
            Ok(stats) => {
                self.record_written(stats, started);
                let offsets = self.batch.next_offsets();
                self.batch.gaps.iter().for_each(report);
                self.batch.clear();
                self.committed(offsets);
                Ok(())
            }
            Err(WriteError::Data { topic, source }) => {
                tracing::warn!(topic, error = %source, "batch rejected by PostgreSQL; writing message by message");
                self.isolate().await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the batch one message per transaction so that only the message
    /// PostgreSQL rejects is dead-lettered.
    async fn isolate(&mut self) -> Result<(), FlushError> {
        let mut done = 0;
        // Each gap goes with the first transaction that moves its
        // partition's offset.
        let mut gaps = std::mem::take(&mut self.batch.gaps);
        let result = loop {
            if done == self.batch.items.len() {
                break Ok(());
            }
            let one = done..done + 1;
            let source = &self.batch.items[done].source;
            let (mine, others): (Vec<Gap>, Vec<Gap>) =
                gaps.drain(..).partition(|g| g.topic == source.topic && g.partition == source.partition);
            gaps = others;
            let started = Instant::now();
            match self.sink.write(&self.batch.items[one.clone()], &mine).await {
                Ok(stats) => {
                    self.record_written(stats, started);
                    mine.iter().for_each(report);
                }
                Err(WriteError::Data { source, .. }) => {
                    if let Err(e) = self.forget_in_mongo(&self.batch.items[done]).await {
                        gaps.extend(mine);
                        break Err(e);
                    }
                    let item = &mut self.batch.items[done];
                    if let Payload::Rows(env) = &item.payload {
                        item.payload = Payload::Poison(Poison {
                            key: Some(env.device_id.clone().into_bytes()),
                            payload: serde_json::to_vec(env).ok(),
                            headers: vec![(BATCH_ID_HEADER.into(), env.batch_id.clone().into_bytes())],
                            error: format!("rejected by PostgreSQL: {source}"),
                            dlq_sent: false,
                        });
                    }
                    if let Err(e) = self.dlq.send_pending(&mut self.batch.items[one.clone()]).await {
                        gaps.extend(mine);
                        break Err(e.into());
                    }
                    // Now only the offset is written for this message.
                    if let Err(e) = self.sink.write(&self.batch.items[one.clone()], &mine).await {
                        gaps.extend(mine);
                        break Err(e.into());
                    }
                    mine.iter().for_each(report);
                }
                Err(e) => {
                    gaps.extend(mine);
                    break Err(e.into());
                }
            }
            done += 1;
        };
        let written: Vec<Item> = self.batch.items.drain(..done).collect();
        let offsets = crate::batch::next_offsets(written.iter());
        self.committed(offsets);
        let rest: Vec<Item> = std::mem::take(&mut self.batch.items);
        self.batch.clear();
        for item in rest {
            self.batch.push(item);
        }
        self.batch.gaps = gaps;
        result
    }

    fn record_written(&self, stats: crate::sink::WriteStats, started: Instant) {
        let sink = "postgres";
        metrics::histogram!("consumer_batch_write_seconds", "sink" => sink).record(started.elapsed().as_secs_f64());
        metrics::counter!("consumer_rows_written_total", "sink" => sink).increment(stats.inserted);
        metrics::counter!("consumer_rows_duplicate_total", "sink" => sink).increment(stats.rows - stats.inserted);
        metrics::counter!("consumer_batches_written_total", "sink" => sink).increment(1);
    }

    /// Records durable offsets and mirrors them to Kafka, asynchronously: a
    /// failed Kafka commit only means the next owner re-reads (and skips).
    fn committed(&mut self, offsets: std::collections::BTreeMap<Tp, i64>) {
        let mut tpl = TopicPartitionList::new();
        for ((t, p), o) in offsets {
            if self.assigned.contains(&(t.clone(), p)) {
                let _ = tpl.add_partition_offset(&t, p, Offset::Offset(o));
            }
            let e = self.durable.entry((t, p)).or_insert(o);
            *e = (*e).max(o);
        }
        if tpl.count() > 0 {
            // The outcome arrives in the context's commit callback.
            if let Err(e) = self.consumer.commit(&tpl, CommitMode::Async) {
                metrics::counter!("consumer_kafka_commit_failures_total").increment(1);
                tracing::warn!(error = %e, "kafka offset commit not sent");
            }
        }
    }

    pub fn pause(&mut self, why: &str) {
        if !self.paused {
            tracing::warn!(
                reason = why,
                partitions = self.assigned.len(),
                "pausing partitions until the write succeeds"
            );
            if let Err(e) = self.consumer.pause(&Self::tpl(self.assigned.iter().cloned())) {
                tracing::warn!(error = %e, "pause failed");
            }
            self.paused = true;
            self.backoff = write_retry_backoff();
            metrics::gauge!("consumer_paused").set(1.0);
        }
        self.retry_at = Some(Instant::now() + self.backoff.next().unwrap_or(MAX_BACKOFF));
    }

    pub fn resume(&mut self) {
        if self.paused {
            tracing::info!("write succeeded; resuming partitions");
            // Resume whatever we own now: the assignment may have changed
            // while paused.
            let tpl = match self.consumer.assignment() {
                Ok(tpl) => tpl,
                Err(_) => Self::tpl(self.assigned.iter().cloned()),
            };
            if let Err(e) = self.consumer.resume(&tpl) {
                tracing::warn!(error = %e, "resume failed");
            }
            self.paused = false;
            self.retry_at = None;
            self.backoff = write_retry_backoff();
            metrics::gauge!("consumer_paused").set(0.0);
        }
    }
}
