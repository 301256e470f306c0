//! `forgectl verify`: a canary through the real front door to the stores.
//! A few uploads of every kind go in with a fresh canary device id; the run
//! waits (bounded) until every record is stored, then reports per kind and
//! store: records lost, records duplicated, end-to-end latency.

use std::time::{Duration, SystemTime};

use forgectl_contract::Kind;
use serde::Serialize;

use crate::progress::{Progress, Waiting};
use crate::prove::canary::{self, CanaryRun, ClockOffset, KindOutcome, SentUpload};
use crate::prove::endpoint::FrontDoor;
use crate::prove::schedule::Outcome;
use crate::prove::store::Store;
use crate::prove::uploader::Uploader;
use crate::prove::ProveError;

/// How often the stores are asked while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Bounds of `--uploads-per-kind`: a canary, not a load.
pub const MAX_UPLOADS_PER_KIND: u32 = 100;
pub const MAX_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub environment: String,
    pub front_door: FrontDoor,
    /// The tier's kinds (the India switch leaves some out).
    pub kinds: Vec<Kind>,
    pub uploads_per_kind: u32,
    pub wait: Duration,
    /// Delete the canary rows afterwards.
    pub cleanup: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub environment: String,
    pub front_door: FrontDoor,
    pub device_id: String,
    pub passed: bool,
    pub kinds: Vec<KindOutcome>,
    /// Uploads the front door did not accept, by status.
    pub rejected: Vec<Rejection>,
    pub waited_seconds: f64,
    /// The store's clock minus this machine's, used to line up timestamps.
    pub clock_offset_ms: f64,
    /// Canary rows deleted, when `--cleanup` was given.
    pub cleaned_up: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub kind: Kind,
    pub batch_id: String,
    pub answer: String,
}

pub fn check_options(options: &VerifyOptions) -> Result<(), ProveError> {
    if options.uploads_per_kind == 0 || options.uploads_per_kind > MAX_UPLOADS_PER_KIND {
        return Err(ProveError::Invalid {
            message: format!("--uploads-per-kind {} is outside 1..={MAX_UPLOADS_PER_KIND}", options.uploads_per_kind),
            hint: "a canary needs only a few uploads; use loadtest for load".into(),
        });
    }
    if options.wait.is_zero() || options.wait > MAX_WAIT {
        return Err(ProveError::Invalid {
            message: format!("--wait {} is outside 1s..=10m", humantime::format_duration(options.wait)),
            hint: "give the consumers up to a few minutes, e.g. --wait 2m".into(),
        });
    }
    Ok(())
}

pub async fn verify(
    options: &VerifyOptions,
    stores: &[Box<dyn Store>],
    progress: &dyn Progress,
) -> Result<VerifyReport, ProveError> {
    check_options(options)?;
    let uploader = Uploader::new(&options.front_door, REQUEST_TIMEOUT)?;
    let run = CanaryRun::new(SystemTime::now());
    uploader.ready().await.map_err(|reason| stopped_at_front_door(&options.front_door, &reason))?;

    let sent = send_canaries(options, &uploader, &run).await?;
    let rejected: Vec<Rejection> = sent
        .iter()
        .filter(|(upload, _)| !upload.accepted)
        .map(|(upload, outcome)| Rejection {
            kind: upload.kind,
            batch_id: upload.batch_id.clone(),
            answer: outcome.label(),
        })
        .collect();
    let sent: Vec<SentUpload> = sent.into_iter().map(|(upload, _)| upload).collect();

    let device_id = run.device_id();
    let mut kinds = Vec::new();
    let mut clock_offset_ms = 0.0;
    let mut waiting = progress.wait("verify");
    let started = tokio::time::Instant::now();
    for store in stores {
        let offset = clock_offset(store.as_ref()).await?;
        clock_offset_ms = offset.millis();
        kinds.extend(wait_for_records(options, store.as_ref(), &sent, &device_id, offset, &mut *waiting).await?);
    }
    let waited_seconds = started.elapsed().as_secs_f64();
    let passed = rejected.is_empty() && kinds.iter().all(KindOutcome::passed);
    waiting.finish(if passed { "every canary record arrived once" } else { "canary records missing or repeated" });

    let cleaned_up = if options.cleanup { Some(clean_up(options, stores, &device_id).await?) } else { None };
    Ok(VerifyReport {
        environment: options.environment.clone(),
        front_door: options.front_door.clone(),
        device_id,
        passed,
        kinds,
        rejected,
        waited_seconds,
        clock_offset_ms,
        cleaned_up,
    })
}

async fn send_canaries(
    options: &VerifyOptions,
    uploader: &Uploader,
    run: &CanaryRun,
) -> Result<Vec<(SentUpload, Outcome)>, ProveError> {
    let mut sent = Vec::new();
    let mut next_seq = 0i64;
    for kind in &options.kinds {
        for upload in 0..options.uploads_per_kind {
            let body = run.body(*kind, upload, next_seq);
            let sent_at = SystemTime::now();
            let outcome = uploader.send(*kind, body).await;
            if let Outcome::Failed(reason) = &outcome {
                if sent.is_empty() {
                    return Err(stopped_at_front_door(&options.front_door, reason));
                }
            }
            sent.push((
                SentUpload {
                    kind: *kind,
                    batch_id: run.batch_id(*kind, upload),
                    first_seq: next_seq,
                    records: canary::RECORDS_PER_UPLOAD,
                    sent_at,
                    accepted: outcome.is_success(),
                },
                outcome,
            ));
            next_seq += canary::RECORDS_PER_UPLOAD as i64;
        }
    }
    Ok(sent)
}

/// Polls `store` until every accepted record of every kind is there, or
/// the wait runs out; then reconciles what it found.
async fn wait_for_records(
    options: &VerifyOptions,
    store: &dyn Store,
    sent: &[SentUpload],
    device_id: &str,
    offset: ClockOffset,
    waiting: &mut dyn Waiting,
) -> Result<Vec<KindOutcome>, ProveError> {
    let deadline = tokio::time::Instant::now() + options.wait;
    loop {
        let mut outcomes = Vec::new();
        for kind in &options.kinds {
            let stored = store.records(*kind, device_id).await?;
            outcomes.push(canary::reconcile(*kind, store.name(), sent, &stored, offset)?);
        }
        let expected: usize = outcomes.iter().map(|o| o.expected).sum();
        let arrived: usize = outcomes.iter().map(|o| o.arrived).sum();
        waiting.update(&format!("{arrived}/{expected} canary records in {}", store.name()));
        if arrived == expected || tokio::time::Instant::now() >= deadline {
            return Ok(outcomes);
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

async fn clock_offset(store: &dyn Store) -> Result<ClockOffset, ProveError> {
    let asked = SystemTime::now();
    let store_now = store.now().await?;
    Ok(ClockOffset::measure(asked, store_now, SystemTime::now()))
}

async fn clean_up(options: &VerifyOptions, stores: &[Box<dyn Store>], device_id: &str) -> Result<u64, ProveError> {
    let mut deleted = 0;
    for store in stores {
        for kind in &options.kinds {
            deleted += store.delete(*kind, device_id).await?;
        }
    }
    Ok(deleted)
}

/// Nothing got through the front door. On the emulator this is where the
/// run ends: its load balancer exists as an API object, and serves nothing.
fn stopped_at_front_door(front_door: &FrontDoor, reason: &str) -> ProveError {
    ProveError::Stopped {
        reached: format!("resolved the front door to {} ({})", front_door.url, front_door.served_by),
        stopped_at: "the first request through it".into(),
        reason: reason.to_string(),
        hint: Some(if front_door.served_by.starts_with("local") {
            "deploy the services first (forgectl deploy), which starts the local load balancer".into()
        } else {
            "an emulated load balancer (moto) only records the API calls and serves no traffic: \
             verify needs a real AWS environment or the local provider"
                .into()
        }),
    }
}
