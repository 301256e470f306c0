//! Where each assigned partition starts, and the jumps seen while consuming:
//! the two places a gap (gaps.rs) can show, detected, logged, counted and
//! recorded exactly once.
//!
//! Why positions are compared instead of setting `auto.offset.reset=error`:
//! librdkafka reports that reset as a consumer error carrying the topic,
//! partition and offset, but rdkafka's Rust API hands the application only
//! the error code, so the consumer could not tell which partition to count
//! or where it was. With `earliest`, a reset is a jump from the offset this
//! consumer expects next to the first offset that arrives, and the
//! partition's log start says how much of that jump expired unread.

use std::collections::{BTreeSet, HashMap};

use crate::gaps::{judge, jumped, Cause, Gap, Start};
use crate::worker::{FlushError, Worker};

type Tp = (String, i32);

/// A jump from `expected` to `arrived`, waiting for the log start that says
/// how much of it was lost.
#[derive(Debug, Clone)]
pub struct Suspect {
    pub tp: Tp,
    pub expected: i64,
    pub arrived: i64,
}

/// Logs a recorded gap and counts it; called once the gap is in PostgreSQL.
pub fn report(gap: &Gap) {
    let what = match gap.cause {
        Cause::Recreated => format!(
            "topic {} was recreated: stored offset {} of partition {} belonged to the old topic, whose messages after it \
             cannot be counted now that it is gone; resuming at {} of the new topic, {} of whose messages expired unread",
            gap.topic, gap.stored_offset, gap.partition, gap.resumed_offset, gap.lost
        ),
        Cause::BeyondEnd => format!(
            "stored offset {} of {}[{}] is past the log end; resuming at {}, {} message(s) known lost",
            gap.stored_offset, gap.topic, gap.partition, gap.resumed_offset, gap.lost
        ),
        Cause::Retention | Cause::OutOfRange => format!(
            "{} message(s) of {}[{}] lost: offsets {}..{} left Kafka before this group stored them",
            gap.lost,
            gap.topic,
            gap.partition,
            gap.stored_offset,
            gap.stored_offset + gap.lost
        ),
    };
    tracing::error!(
        topic = %gap.topic,
        partition = gap.partition,
        cause = %gap.cause,
        stored_offset = gap.stored_offset,
        resumed_offset = gap.resumed_offset,
        lost = gap.lost,
        old_topic_id = gap.old_topic_id.as_deref().unwrap_or("-"),
        topic_id = gap.topic_id.as_deref().unwrap_or("-"),
        likely_cause = gap.cause.likely_reason(),
        "{what}"
    );
    metrics::counter!("consumer_messages_lost_total", "topic" => gap.topic.clone()).increment(gap.lost.max(0) as u64);
    metrics::counter!("consumer_offset_gaps_total", "topic" => gap.topic.clone(), "cause" => gap.cause.as_str())
        .increment(1);
}

/// Registers the loss counters at zero, so the first loss is an increase
/// Prometheus sees rather than a series that appears at its first value.
pub fn register_counters(topics: &[String]) {
    for topic in topics {
        metrics::counter!("consumer_messages_lost_total", "topic" => topic.clone()).increment(0);
    }
}

impl Worker {
    /// Judges every assigned partition not judged yet against its stored
    /// position, and records the jumps. Partitions stay pending when the
    /// database or Kafka does not answer; the next flush tries again first.
    pub async fn check_assignments(&mut self) -> Result<(), FlushError> {
        if self.unchecked.is_empty() {
            return Ok(());
        }
        let parts: Vec<Tp> = self.unchecked.iter().cloned().collect();
        let stored = self.sink.load_offsets(&parts).await?;
        let topics: Vec<String> = parts.iter().map(|(t, _)| t.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let ids = match self.inspector.topic_ids(&topics).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "could not read topic ids; recreation is detected by offsets alone");
                HashMap::new()
            }
        };
        for topic in &topics {
            match ids.get(topic) {
                Some(Ok(id)) => {
                    self.sink.topic_ids.insert(topic.clone(), id.clone());
                }
                Some(Err(reason)) => tracing::warn!(topic, reason, "no topic id"),
                None => {}
            }
        }
        for tp in parts {
            let current_id = self.sink.topic_ids.get(&tp.0).cloned();
            let wm = self.inspector.watermarks(&tp.0, tp.1).await?;
            let from = match judge(&tp.0, tp.1, stored.get(&tp), current_id.as_deref(), wm) {
                Start::Fresh => None,
                Start::Continue { from, adopt_id } => {
                    if let (true, Some(id)) = (adopt_id, &current_id) {
                        self.sink.adopt_topic_id(&tp.0, id).await?;
                    }
                    Some(from)
                }
                Start::Jump(gap) => {
                    if !self.sink.record_jump(&gap).await? {
                        // Another consumer moved the row since it was read:
                        // judge it again from what it wrote.
                        tracing::info!(topic = %tp.0, partition = tp.1, "stored offset changed meanwhile; checking again");
                        continue;
                    }
                    report(&gap);
                    Some(gap.resumed_offset)
                }
            };
            if let Some(from) = from {
                self.durable.insert(tp.clone(), from);
                let expected = self.expected.entry(tp.clone()).or_insert(from);
                *expected = (*expected).max(from);
            }
            self.unchecked.remove(&tp);
        }
        Ok(())
    }

    /// Measures the log start behind each jump seen since the last call and
    /// adds the jumps that lost messages to the batch, whose transaction
    /// records them with the offsets that move past them.
    pub async fn settle_jumps(&mut self) -> Result<(), FlushError> {
        while let Some(suspect) = self.suspects.first().cloned() {
            let (topic, partition) = suspect.tp.clone();
            let wm = self.inspector.watermarks(&topic, partition).await?;
            self.suspects.remove(0);
            let lost = jumped(suspect.expected, suspect.arrived, wm.low);
            if lost == 0 {
                tracing::debug!(
                    topic,
                    partition,
                    from = suspect.expected,
                    to = suspect.arrived,
                    "offset jump with nothing expired (transaction markers or compaction)"
                );
                continue;
            }
            let id = self.sink.topic_ids.get(&topic).cloned();
            self.batch.gaps.push(Gap {
                topic,
                partition,
                cause: Cause::OutOfRange,
                stored_offset: suspect.expected,
                resumed_offset: suspect.arrived,
                lost,
                old_topic_id: id.clone(),
                topic_id: id,
            });
        }
        Ok(())
    }

    /// Notes where `offset` leaves the partition's expected next offset; a
    /// jump forward becomes a suspect for `settle_jumps`.
    pub(crate) fn track(&mut self, tp: &Tp, offset: i64) {
        if let Some(&expected) = self.expected.get(tp) {
            if offset > expected {
                self.suspects.push(Suspect { tp: tp.clone(), expected, arrived: offset });
            }
        }
        let next = offset + 1;
        let expected = self.expected.entry(tp.clone()).or_insert(next);
        *expected = (*expected).max(next);
    }
}
