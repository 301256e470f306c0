//! The open-loop scheduler. Arrival `i` is due at `i / rate` after the start,
//! whatever happened to the requests before it: a slow or stalled server
//! does not slow the sender down (that would hide the stall, the
//! "coordinated omission" of closed-loop load generators). Each request's
//! latency runs from its *scheduled* time, so time spent waiting to be sent
//! counts as well.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

/// A constant arrival rate for a bounded time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub rate_per_second: f64,
    pub duration: Duration,
}

impl Schedule {
    pub fn arrivals(&self) -> u64 {
        if self.rate_per_second.is_nan() || self.rate_per_second <= 0.0 {
            return 0;
        }
        (self.rate_per_second * self.duration.as_secs_f64()).floor() as u64
    }

    /// When arrival `index` is due, counted from the start.
    pub fn due(&self, index: u64) -> Duration {
        Duration::from_secs_f64(index as f64 / self.rate_per_second)
    }
}

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// The server answered with this HTTP status.
    Status(u16),
    /// No answer: the reason, short and stable (`timeout`, `connect`, ...).
    Failed(String),
    /// Not sent: the in-flight limit was reached. Counted as an error, never
    /// queued, so the schedule holds.
    NotSent,
}

impl Outcome {
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Status(status) if (200..300).contains(status))
    }

    /// The key errors are grouped by in reports.
    pub fn label(&self) -> String {
        match self {
            Outcome::Status(status) => status.to_string(),
            Outcome::Failed(reason) => reason.clone(),
            Outcome::NotSent => "not sent (in-flight limit)".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub index: u64,
    /// Due time, from the start.
    pub scheduled: Duration,
    /// When the request actually left, from the start.
    pub sent: Duration,
    /// From the scheduled time to the answer.
    pub latency: Duration,
    pub outcome: Outcome,
}

/// Sends every arrival of `schedule` through `send` (given the arrival's
/// index) and hands each completion to `record`, in completion order.
/// At most `max_in_flight` requests are outstanding; an arrival beyond that
/// is recorded as `NotSent` at once instead of waiting.
pub async fn run_open_loop<S, F, R>(schedule: Schedule, max_in_flight: usize, send: S, mut record: R)
where
    S: Fn(u64) -> F,
    F: Future<Output = Outcome> + Send + 'static,
    R: FnMut(Completion),
{
    let (completions, mut received) = mpsc::unbounded_channel::<Completion>();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let dispatch = async move {
        for index in 0..schedule.arrivals() {
            let scheduled = schedule.due(index);
            let due = start + scheduled;
            tokio::time::sleep_until(due).await;
            let sent = Instant::now().duration_since(start);
            if in_flight.load(Ordering::Acquire) >= max_in_flight {
                let _ = completions.send(Completion {
                    index,
                    scheduled,
                    sent,
                    latency: Duration::ZERO,
                    outcome: Outcome::NotSent,
                });
                continue;
            }
            in_flight.fetch_add(1, Ordering::AcqRel);
            let request = send(index);
            let (completions, in_flight) = (completions.clone(), in_flight.clone());
            tokio::spawn(async move {
                let outcome = request.await;
                let latency = Instant::now().duration_since(due);
                in_flight.fetch_sub(1, Ordering::AcqRel);
                let _ = completions.send(Completion { index, scheduled, sent, latency, outcome });
            });
        }
        // `completions` drops here; the channel closes once the last spawned
        // request has reported.
    };
    let drain = async {
        while let Some(completion) = received.recv().await {
            record(completion);
        }
    };
    tokio::join!(dispatch, drain);
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;

    use tokio::sync::watch;

    use super::*;

    const RATE: f64 = 200.0;
    /// Arrivals 100..200 (0.5 s to 1 s) meet a stalled server.
    const STALLED: std::ops::Range<u64> = 100..200;

    type Answer = Pin<Box<dyn Future<Output = Outcome> + Send>>;

    /// A fake server that answers at once, except that requests in `STALLED`
    /// hang until `gate` opens.
    fn stalled_server(gate: watch::Receiver<bool>) -> impl Fn(u64) -> Answer {
        move |index| {
            let mut gate = gate.clone();
            Box::pin(async move {
                if STALLED.contains(&index) {
                    // A closed gate that is dropped ends the stall too.
                    let _ = gate.wait_for(|open| *open).await;
                }
                Outcome::Status(200)
            })
        }
    }

    /// The stall lasts until the server has *received* the last arrival of
    /// the stalled window: an open-loop sender gets there on schedule, a
    /// closed-loop one (waiting for answers) never would, and the timeout
    /// says so. No assertion depends on how fast this machine is: the
    /// latency bounds follow from causality (a stalled request cannot be
    /// answered before the last one was sent, which is not before it was due).
    #[tokio::test]
    async fn a_stall_shows_up_as_latency_not_as_a_lower_send_rate() {
        let schedule = Schedule { rate_per_second: RATE, duration: Duration::from_millis(1500) };
        let (open, gate) = watch::channel(false);
        let server = stalled_server(gate);
        let send = |index: u64| {
            if index + 1 == STALLED.end {
                let _ = open.send(true);
            }
            server(index)
        };
        let mut completions = Vec::new();
        let run = run_open_loop(schedule, 10_000, send, |completion| completions.push(completion));
        tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .unwrap_or_else(|_| panic!("the sender waited for the stalled server: closed loop"));

        assert_eq!(completions.len(), 300);
        assert!(completions.iter().all(|c| c.outcome.is_success()));
        let by_index = |index: u64| completions.iter().find(|c| c.index == index).cloned();
        let first = by_index(STALLED.start).unwrap_or_else(|| panic!("no completion for {}", STALLED.start));
        let answered_at = first.scheduled + first.latency;
        // Every stalled arrival was sent while the first one was still hanging.
        for index in STALLED {
            let completion = by_index(index).unwrap_or_else(|| panic!("no completion for {index}"));
            assert!(completion.sent <= answered_at, "arrival {index} waited for the stall");
            let stall_left = schedule.due(STALLED.end - 1).saturating_sub(schedule.due(index));
            assert!(completion.latency >= stall_left, "arrival {index}: {:?} < {stall_left:?}", completion.latency);
        }
        let mut histogram = super::super::histogram::LatencyHistogram::new(3).unwrap_or_else(|err| panic!("{err}"));
        completions.iter().for_each(|c| histogram.record(c.latency));
        assert!(histogram.percentile_ms(99.0) >= 480.0, "p99 shows the stall: {:?}", histogram.percentiles());
    }

    /// The in-flight limit is the only brake, and what it holds back is
    /// counted as not sent, never queued for later.
    #[tokio::test]
    async fn arrivals_over_the_in_flight_limit_are_counted_not_queued() {
        let schedule = Schedule { rate_per_second: RATE, duration: Duration::from_millis(1500) };
        let (open, gate) = watch::channel(false);
        let mut outcomes = Vec::new();
        let mut not_sent = 0;
        // The stall ends once every arrival past the 10 stuck ones was refused.
        let run = run_open_loop(schedule, 10, stalled_server(gate), |completion| {
            if completion.outcome == Outcome::NotSent {
                not_sent += 1;
                if not_sent == 90 {
                    let _ = open.send(true);
                }
            }
            outcomes.push(completion);
        });
        tokio::time::timeout(Duration::from_secs(60), run).await.unwrap_or_else(|_| panic!("the run did not end"));
        assert_eq!(outcomes.len(), 300);
        let refused: Vec<u64> = outcomes
            .iter()
            .filter(|c| c.outcome == Outcome::NotSent && STALLED.contains(&c.index))
            .map(|c| c.index)
            .collect();
        assert_eq!(refused.len(), 90, "10 stuck in flight, the other 90 arrivals of the stall not sent");
        assert!(outcomes.iter().filter(|c| c.index < STALLED.start).all(|c| c.outcome.is_success()));
    }

    #[test]
    fn arrivals_are_spread_evenly() {
        let schedule = Schedule { rate_per_second: 4.0, duration: Duration::from_millis(2500) };
        assert_eq!(schedule.arrivals(), 10);
        assert_eq!(schedule.due(3), Duration::from_millis(750));
        assert_eq!(Schedule { rate_per_second: 0.0, duration: Duration::from_secs(1) }.arrivals(), 0);
    }
}
