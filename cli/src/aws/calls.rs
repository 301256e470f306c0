//! An account of every AWS call forgectl makes. It lets `plan` report how
//! many calls it took, and with `FORGECTL_AWS_CALL_LOG=<file>` each call is
//! appended to that file as a JSON line: an audit trail for CI, and how the
//! integration tests prove that a converged `provision` changes nothing.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;

/// The variable naming the JSON-lines file that receives each call.
pub const CALL_LOG_ENV: &str = "FORGECTL_AWS_CALL_LOG";

/// Read-only operations by AWS's naming convention; everything else changes something.
const READ_ONLY_PREFIXES: [&str; 3] = ["Describe", "List", "Get"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    /// The SDK's service name, e.g. `Kafka`, `EC2`.
    pub service: String,
    pub operation: String,
    pub mutating: bool,
    /// When the call started, in ms since the command connected to AWS:
    /// calls that run concurrently show (nearly) the same value.
    pub at_ms: u128,
}

/// Shared by the interceptors of every client of one command run.
#[derive(Debug, Clone)]
pub struct CallLog {
    calls: Arc<Mutex<Vec<CallRecord>>>,
    sink: Option<PathBuf>,
    started: Instant,
}

impl CallLog {
    pub fn from_env() -> Self {
        let sink = std::env::var_os(CALL_LOG_ENV).filter(|path| !path.is_empty()).map(PathBuf::from);
        CallLog { calls: Arc::default(), sink, started: Instant::now() }
    }

    // A poisoned lock (a panic mid-record) reads as an empty log: the log
    // only reports and audits, it must not fail the command.
    pub fn snapshot(&self) -> Vec<CallRecord> {
        self.calls.lock().map(|calls| calls.clone()).unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.calls.lock().map(|calls| calls.len()).unwrap_or_default()
    }

    fn record(&self, record: CallRecord) {
        if let Some(path) = &self.sink {
            // An audit aid: failing to write it must not fail the command.
            if let (Ok(line), Ok(mut file)) =
                (serde_json::to_string(&record), std::fs::OpenOptions::new().create(true).append(true).open(path))
            {
                let _ = writeln!(file, "{line}");
            }
        }
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(record);
        }
    }
}

pub fn is_mutating(operation: &str) -> bool {
    !READ_ONLY_PREFIXES.iter().any(|prefix| operation.starts_with(prefix))
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "ForgectlCallLog"
    }

    /// Once per operation, before retries: the log counts calls, not
    /// attempts. (Not `read_before_execution`: for client-level interceptors
    /// that runs before the operation's metadata is in the config bag.)
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            self.record(CallRecord {
                service: metadata.service().to_string(),
                operation: metadata.name().to_string(),
                mutating: is_mutating(metadata.name()),
                at_ms: self.started.elapsed().as_millis(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_not_mutations() {
        assert!(!is_mutating("DescribeSecurityGroups"));
        assert!(!is_mutating("ListClustersV2"));
        assert!(!is_mutating("GetBootstrapBrokers"));
        assert!(is_mutating("CreateClusterV2"));
        assert!(is_mutating("AuthorizeSecurityGroupIngress"));
    }
}
