//! Proving a deployment from the outside: `verify` sends canary uploads
//! through the environment's front door and finds every record in the
//! stores; `loadtest` drives the workload model at a tier's peak rate, open
//! loop, and judges the run against the tier's SLOs; `capacity` ramps the
//! load on the local provider and turns throughput per CPU into a ladder.

pub mod canary;
pub mod cpu;
pub mod endpoint;
mod error;
pub mod histogram;
pub mod ladder;
pub mod lag;
pub mod recorder;
pub mod report;
pub mod report_html;
pub mod schedule;
pub mod store;
pub mod svg;
pub mod uploader;
pub mod verdict;
pub mod workload;

pub use error::ProveError;
