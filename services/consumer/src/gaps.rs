//! Gaps in a partition: messages that left Kafka before this consumer group
//! stored them. The comparison is pure (stored offset, topic id and the
//! partition's watermarks in, a verdict out) so every case has a unit test;
//! `positions.rs` gathers the inputs and acts on the verdict.
//!
//! "Lost" counts only what is known exactly: offsets that existed in the
//! partition the consumer was reading, that it never stored, and that Kafka
//! no longer has. Messages of a deleted topic past the stored offset cannot
//! be counted once the topic is gone; a recreation is reported as such (its
//! own cause, with the old and new topic ids) and counts only the new
//! topic's messages that expired before they were read.

use std::fmt;

/// A partition's log start (low watermark) and log end (high watermark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    pub low: i64,
    pub high: i64,
}

/// The group's stored position in one partition (`forgectl_consumer_offsets`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub next_offset: i64,
    /// `None` for rows written before topic ids were stored.
    pub topic_id: Option<String>,
}

/// Why a partition's position jumped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The log start moved past the stored offset (retention, or records
    /// deleted) while the consumer was stopped or not yet assigned.
    Retention,
    /// Same, observed while consuming: librdkafka's fetch fell out of range
    /// and reset to the log start.
    OutOfRange,
    /// The topic was deleted and created again: its id changed.
    Recreated,
    /// The stored offset is past the log end: a truncated log (unclean
    /// leader election) or, for a row without a topic id, a recreated topic.
    BeyondEnd,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Retention => "retention",
            Cause::OutOfRange => "out_of_range",
            Cause::Recreated => "recreated",
            Cause::BeyondEnd => "beyond_end",
        }
    }

    /// What the operator should suspect, for the error log.
    pub fn likely_reason(self) -> &'static str {
        match self {
            Cause::Retention | Cause::OutOfRange => {
                "the consumer was stopped or stalled longer than the topic's retention (retention.ms / retention.bytes)"
            }
            Cause::Recreated => "the topic was deleted and created again; the stored offset belonged to the old topic",
            Cause::BeyondEnd => {
                "the log was truncated (unclean leader election) or the topic was recreated before topic ids were stored"
            }
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One detected discontinuity, as logged, counted and recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub topic: String,
    pub partition: i32,
    pub cause: Cause,
    /// Where the group was (stored or next expected offset).
    pub stored_offset: i64,
    /// Where it continues.
    pub resumed_offset: i64,
    /// Messages known to be gone without having been stored.
    pub lost: i64,
    pub old_topic_id: Option<String>,
    pub topic_id: Option<String>,
}

/// Where a newly assigned partition starts, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// No stored offset: a new group (or partition) starts where Kafka's
    /// committed offset or `auto.offset.reset` puts it.
    Fresh,
    /// The stored offset is inside the log: continue from it. `adopt_id` is
    /// set when the row has no topic id yet (or none could be read before).
    Continue { from: i64, adopt_id: bool },
    /// The position moves; the gap says from where to where and how many
    /// messages are lost.
    Jump(Gap),
}

/// Compares a stored position with the partition as it is now.
///
/// `current_id` is `None` when the topic id could not be read (a broker
/// without topic ids); recreation is then detected by the stored offset being
/// past the log end, which is exact only when the new topic holds fewer
/// messages than the old one did at the stored offset.
pub fn judge(topic: &str, partition: i32, stored: Option<&Stored>, current_id: Option<&str>, wm: Watermarks) -> Start {
    let Some(stored) = stored else {
        return Start::Fresh;
    };
    let gap = |cause, resumed_offset: i64, lost: i64| {
        Start::Jump(Gap {
            topic: topic.to_string(),
            partition,
            cause,
            stored_offset: stored.next_offset,
            resumed_offset,
            lost,
            old_topic_id: stored.topic_id.clone(),
            topic_id: current_id.map(str::to_string),
        })
    };
    let ids_differ = matches!((stored.topic_id.as_deref(), current_id), (Some(old), Some(new)) if old != new);
    if ids_differ {
        // A new topic's offsets start at 0: whatever its log start is now
        // expired before this group read it.
        return gap(Cause::Recreated, wm.low, wm.low);
    }
    let adopt_id = current_id.is_some() && stored.topic_id.is_none();
    if stored.next_offset < wm.low {
        return gap(Cause::Retention, wm.low, wm.low - stored.next_offset);
    }
    if stored.next_offset > wm.high {
        // Same topic: the messages past the new end were stored before the
        // truncation, and the next message appended gets offset `high`, so
        // continue there. Without an id it may be a new topic: read all of
        // it (replays are idempotent) rather than skip its first messages.
        let from = if stored.topic_id.is_some() && current_id.is_some() { wm.high } else { wm.low };
        return gap(Cause::BeyondEnd, from, 0);
    }
    Start::Continue { from: stored.next_offset, adopt_id }
}

/// Messages lost between the next expected offset and the offset that
/// arrived instead, given the partition's log start measured afterwards.
///
/// Offsets below the log start were deleted before this consumer read them;
/// a jump that the log start does not explain (transaction markers,
/// compaction) loses nothing. The log start only grows, so measuring it
/// after the jump over-counts nothing below `arrived`.
pub fn jumped(expected: i64, arrived: i64, log_start: i64) -> i64 {
    if arrived <= expected {
        return 0;
    }
    log_start.clamp(expected, arrived) - expected
}

#[cfg(test)]
mod tests {
    use super::*;

    const WM: Watermarks = Watermarks { low: 100, high: 200 };

    fn stored(next_offset: i64, id: Option<&str>) -> Stored {
        Stored { next_offset, topic_id: id.map(str::to_string) }
    }

    fn jump(start: Start) -> Gap {
        match start {
            Start::Jump(g) => g,
            other => panic!("expected a jump, got {other:?}"),
        }
    }

    #[test]
    fn inside_the_log_continues_and_adopts_a_missing_id() {
        assert_eq!(judge("t", 0, None, Some("A"), WM), Start::Fresh);
        for at in [100, 150, 200] {
            assert_eq!(
                judge("t", 0, Some(&stored(at, Some("A"))), Some("A"), WM),
                Start::Continue { from: at, adopt_id: false }
            );
        }
        assert_eq!(
            judge("t", 0, Some(&stored(150, None)), Some("A"), WM),
            Start::Continue { from: 150, adopt_id: true }
        );
        assert_eq!(
            judge("t", 0, Some(&stored(150, Some("A"))), None, WM),
            Start::Continue { from: 150, adopt_id: false }
        );
    }

    #[test]
    fn a_log_start_past_the_stored_offset_loses_exactly_the_difference() {
        let g = jump(judge("t", 3, Some(&stored(40, Some("A"))), Some("A"), WM));
        assert_eq!((g.cause, g.stored_offset, g.resumed_offset, g.lost), (Cause::Retention, 40, 100, 60));
        assert_eq!((g.topic.as_str(), g.partition), ("t", 3));
        // Everything expired: the log is empty at 200.
        let empty = Watermarks { low: 200, high: 200 };
        assert_eq!(jump(judge("t", 0, Some(&stored(40, None)), None, empty)).lost, 160);
    }

    #[test]
    fn a_new_topic_id_is_a_recreation_that_counts_only_the_new_topics_expired_messages() {
        let g = jump(judge("t", 0, Some(&stored(5000, Some("A"))), Some("B"), Watermarks { low: 0, high: 30 }));
        assert_eq!((g.cause, g.resumed_offset, g.lost), (Cause::Recreated, 0, 0));
        assert_eq!((g.old_topic_id.as_deref(), g.topic_id.as_deref()), (Some("A"), Some("B")));
        // Recreated, and retention already removed 7 of the new topic's messages.
        let g = jump(judge("t", 0, Some(&stored(3, Some("A"))), Some("B"), Watermarks { low: 7, high: 30 }));
        assert_eq!((g.cause, g.resumed_offset, g.lost), (Cause::Recreated, 7, 7));
    }

    #[test]
    fn beyond_the_end_resumes_at_the_end_for_the_same_topic_and_at_the_start_otherwise() {
        let same = jump(judge("t", 0, Some(&stored(250, Some("A"))), Some("A"), WM));
        assert_eq!((same.cause, same.resumed_offset, same.lost), (Cause::BeyondEnd, 200, 0));
        let unknown = jump(judge("t", 0, Some(&stored(250, None)), Some("A"), WM));
        assert_eq!((unknown.cause, unknown.resumed_offset), (Cause::BeyondEnd, 100));
        let no_id_now = jump(judge("t", 0, Some(&stored(250, Some("A"))), None, WM));
        assert_eq!(no_id_now.resumed_offset, 100);
    }

    #[test]
    fn a_jump_loses_only_what_the_log_start_explains() {
        assert_eq!(jumped(10, 10, 50), 0, "the next offset is no jump");
        assert_eq!(jumped(10, 11, 50), 1);
        assert_eq!(jumped(10, 5, 50), 0, "going back is a replay");
        assert_eq!(jumped(10, 60, 60), 50);
        assert_eq!(jumped(10, 60, 80), 50, "the log start moved on after the jump");
        assert_eq!(jumped(10, 60, 30), 20, "the rest were markers, not messages");
        assert_eq!(jumped(10, 12, 0), 0, "a transaction marker");
    }
}
