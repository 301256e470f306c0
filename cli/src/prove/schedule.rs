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
    use super::*;

    /// A fake server that answers in 2 ms, except between 1 s and 2 s after
    /// the start, when it stalls: whatever arrives then is answered at 2 s.
    fn stalled_server(start: Instant) -> impl Fn(u64) -> std::pin::Pin<Box<dyn Future<Output = Outcome> + Send>> {
        move |_index| {
            Box::pin(async move {
                let now = Instant::now().duration_since(start);
                if now >= Duration::from_secs(1) && now < Duration::from_secs(2) {
                    tokio::time::sleep_until(start + Duration::from_secs(2)).await;
                } else {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                Outcome::Status(200)
            })
        }
    }

    /// Tokio's paused clock makes this exact: no real time passes, and the
    /// assertions are about counts per second and latencies, not speed.
    #[tokio::test(start_paused = true)]
    async fn a_stall_shows_up_as_latency_not_as_a_lower_send_rate() {
        let schedule = Schedule { rate_per_second: 100.0, duration: Duration::from_secs(3) };
        let start = Instant::now();
        let mut completions = Vec::new();
        run_open_loop(schedule, 10_000, stalled_server(start), |completion| completions.push(completion)).await;

        assert_eq!(completions.len(), 300);
        let mut sent_per_second = [0u32; 3];
        for completion in &completions {
            sent_per_second[completion.sent.as_secs() as usize] += 1;
        }
        assert_eq!(sent_per_second, [100, 100, 100], "the stalled second kept its send rate");

        let stalled: Vec<&Completion> = completions.iter().filter(|c| c.scheduled.as_secs() == 1).collect();
        let first = stalled.iter().map(|c| c.latency).max().unwrap_or_default();
        let last = stalled.iter().map(|c| c.latency).min().unwrap_or_default();
        assert!(first >= Duration::from_millis(990), "the first stalled request waited the whole stall: {first:?}");
        assert!(last <= Duration::from_millis(20), "the last waited only its share: {last:?}");
        assert!(completions
            .iter()
            .filter(|c| c.scheduled.as_secs() != 1)
            .all(|c| c.latency < Duration::from_millis(5)));

        let mut histogram = super::super::histogram::LatencyHistogram::new(3).unwrap_or_else(|err| panic!("{err}"));
        completions.iter().for_each(|c| histogram.record(c.latency));
        assert!(histogram.percentile_ms(99.0) >= 900.0, "p99 shows the stall: {:?}", histogram.percentiles());
    }

    /// A closed-loop sender at the same stall would have sent about one
    /// request in the stalled second; the limit is the only brake here, and
    /// it counts what it holds back as errors.
    #[tokio::test(start_paused = true)]
    async fn arrivals_over_the_in_flight_limit_are_counted_not_queued() {
        let schedule = Schedule { rate_per_second: 100.0, duration: Duration::from_secs(3) };
        let start = Instant::now();
        let mut outcomes = Vec::new();
        run_open_loop(schedule, 10, stalled_server(start), |completion| outcomes.push(completion)).await;
        assert_eq!(outcomes.len(), 300);
        let not_sent = outcomes.iter().filter(|c| c.scheduled.as_secs() == 1 && c.outcome == Outcome::NotSent).count();
        assert_eq!(not_sent, 90, "10 in flight during the stall, the other 90 arrivals of that second not sent");
        assert!(outcomes.iter().filter(|c| c.scheduled.as_secs() == 0).all(|c| c.outcome.is_success()));
    }

    #[test]
    fn arrivals_are_spread_evenly() {
        let schedule = Schedule { rate_per_second: 4.0, duration: Duration::from_millis(2500) };
        assert_eq!(schedule.arrivals(), 10);
        assert_eq!(schedule.due(3), Duration::from_millis(750));
        assert_eq!(Schedule { rate_per_second: 0.0, duration: Duration::from_secs(1) }.arrivals(), 0);
    }
}
