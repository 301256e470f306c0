//! Helpers for the topics tests: a private copy of the repository's profiles
//! whose topic and group names carry a unique prefix (the stack's Kafka is
//! shared by every test and engineer), the forgectl binary pointed at it, and
//! an independent rdkafka client to check what really happened.

#![allow(dead_code)] // each test file uses a different subset

mod msk;

/// The shared integration-test helpers (profile copies, the repo root).
#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)] // not every test file names the topics
pub use common::TOPICS;

#[allow(unused_imports)] // not every test file talks to MSK
pub use msk::{aws_endpoint, msk_cluster_arn, MSK_TEST_ENV};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, ConfigSource, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use serde_json::Value;

pub const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times (every 250 ms) a check re-reads before asserting.
const VERIFY_POLLS: usize = 40;

/// The local stack runs three brokers.
pub const STACK_BROKERS: usize = 3;

/// The local stack's plaintext bootstrap servers. Missing means the stack
/// is not up: fail loudly rather than skip, so CI never passes vacuously.
pub fn bootstrap() -> String {
    match std::env::var("KAFKA_BOOTSTRAP_SERVERS") {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("KAFKA_BOOTSTRAP_SERVERS is not set: run dev/stack up && eval \"$(dev/stack env)\""),
    }
}

/// A unique prefix per test: process id, a counter and the clock, so reruns
/// and parallel tests never share topics.
fn unique_prefix(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() % 1_000_000).unwrap_or(0);
    format!("ft{}{n}{millis}_{label}_", std::process::id() % 10_000)
}

pub struct Fixture {
    pub prefix: String,
    pub dir: tempfile::TempDir,
    pub admin: AdminClient<DefaultClientContext>,
    /// Drives the independent client's async calls; tests themselves are
    /// plain `#[test]`s so that dropping the fixture can block.
    pub runtime: tokio::runtime::Runtime,
}

impl Fixture {
    /// Copies `profiles/` with prefixed topic and group names; `edit` may
    /// change each file's text further (e.g. the replication factor).
    pub fn new(label: &str) -> Self {
        Self::with_edit(label, |_, text| text)
    }

    pub fn with_edit(label: &str, edit: impl Fn(&str, String) -> String) -> Self {
        let prefix = unique_prefix(label);
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
        let profiles = dir.path().join("profiles");
        common::write_prefixed_profiles(&profiles, &prefix, &edit);
        let admin = ClientConfig::new()
            .set("bootstrap.servers", bootstrap())
            .create()
            .unwrap_or_else(|err| panic!("test admin client: {err}"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|err| panic!("runtime: {err}"));
        let fixture = Fixture { prefix, dir, admin, runtime };
        fixture.wait_for_all_brokers();
        fixture
    }

    /// The stack is shared, and other suites stop a broker on purpose (the
    /// consumer's recovery tests); start from a whole cluster.
    fn wait_for_all_brokers(&self) {
        wait_until(
            || self.admin.inner().fetch_metadata(None, ADMIN_TIMEOUT).is_ok_and(|m| m.brokers().len() >= STACK_BROKERS),
            "all brokers of the stack to be up",
        );
    }

    pub fn topic(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }

    pub fn group(&self, role: &str) -> String {
        format!("{role}-consumer-group-{}", self.prefix)
    }

    pub fn profiles_dir(&self) -> PathBuf {
        self.dir.path().join("profiles")
    }

    /// forgectl with this fixture's profiles, no config file (so no
    /// environment from the repository), and CI=true (no prompts, plain
    /// progress). `target` picks the cluster: e.g. `--bootstrap …`.
    pub fn command(&self, target: &[String], args: &[&str]) -> Command {
        let mut command = Command::cargo_bin("forgectl").unwrap_or_else(|err| panic!("forgectl binary: {err}"));
        command
            .current_dir(self.dir.path())
            .env("CI", "true")
            .env_remove("FORGECTL_ENV")
            .env_remove("FORGECTL_CONFIG")
            .arg("--profiles-dir")
            .arg(self.profiles_dir())
            .args(args)
            .args(target)
            .args(["--scope", &self.prefix]);
        command
    }

    pub fn run(&self, target: &[String], args: &[&str]) -> Output {
        self.command(target, args).output().unwrap_or_else(|err| panic!("run forgectl {args:?}: {err}"))
    }

    /// Runs, expects `code`, and parses stdout as JSON when there is any.
    pub fn json(&self, target: &[String], args: &[&str], code: i32) -> Value {
        let mut full = args.to_vec();
        full.extend(["--output", "json"]);
        let output = self.run(target, &full);
        assert_eq!(
            output.status.code(),
            Some(code),
            "forgectl {full:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if output.stdout.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("JSON from {full:?}: {err}"))
    }

    /// `json`, re-run (bounded) until `ready` holds for its output: for reads
    /// right after another client's change, which brokers learn about at
    /// their own pace (and on the shared stack, a broker may be restarting).
    pub fn json_when(&self, target: &[String], args: &[&str], code: i32, ready: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..VERIFY_POLLS / 4 {
            let value = self.json(target, args, code);
            if ready(&value) {
                return value;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        self.json(target, args, code)
    }

    // -- the independent client ---------------------------------------------

    /// (partitions, replication factor of every partition) per topic with this prefix.
    pub fn topics(&self) -> BTreeMap<String, (usize, Vec<usize>)> {
        let metadata =
            self.admin.inner().fetch_metadata(None, ADMIN_TIMEOUT).unwrap_or_else(|err| panic!("metadata: {err}"));
        metadata
            .topics()
            .iter()
            .filter(|t| t.name().starts_with(&self.prefix) && t.error().is_none())
            .map(|t| {
                (
                    t.name().to_string(),
                    (t.partitions().len(), t.partitions().iter().map(|p| p.replicas().len()).collect()),
                )
            })
            .collect()
    }

    /// `topics()` once `ready` holds for it, or after the bound, whatever it
    /// is then (the caller asserts on it). Brokers learn about changes at
    /// their own pace, and this client may ask one that is still behind the
    /// one forgectl (or the MSK API) last read.
    pub fn topics_when(
        &self,
        ready: impl Fn(&BTreeMap<String, (usize, Vec<usize>)>) -> bool,
    ) -> BTreeMap<String, (usize, Vec<usize>)> {
        for _ in 0..VERIFY_POLLS {
            let topics = self.topics();
            if ready(&topics) {
                return topics;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        self.topics()
    }

    /// Topic-level overrides of one topic.
    pub fn overrides(&self, topic: &str) -> BTreeMap<String, String> {
        self.overrides_on(topic, None)
    }

    /// `overrides` once they contain `expected`, or after the bound.
    pub fn overrides_when(&self, topic: &str, expected: &[(&str, &str)]) -> BTreeMap<String, String> {
        for _ in 0..VERIFY_POLLS {
            let now = self.overrides(topic);
            if expected.iter().all(|(k, v)| now.get(*k).map(String::as_str) == Some(*v)) {
                return now;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        self.overrides(topic)
    }

    /// As one broker sees them (`None`: any broker).
    pub fn overrides_on(&self, topic: &str, broker: Option<i32>) -> BTreeMap<String, String> {
        let results = self
            .runtime
            .block_on(
                self.admin.describe_configs(&[ResourceSpecifier::Topic(topic)], &AdminOptions::new().broker_id(broker)),
            )
            .unwrap_or_else(|err| panic!("describe configs: {err}"));
        let resource =
            results.into_iter().next().and_then(|r| r.ok()).unwrap_or_else(|| panic!("no configs for {topic}"));
        resource
            .entries
            .into_iter()
            .filter(|e| e.source == ConfigSource::DynamicTopic)
            .filter_map(|e| Some((e.name, e.value?)))
            .collect()
    }

    /// Sets overrides with the legacy AlterConfigs, as an operator's tool
    /// might: it replaces all of the topic's overrides with these.
    /// Someone else's change: sent, and not waited for on any broker.
    pub fn alter_overrides_now(&self, topic: &str, configs: &[(&str, &str)]) {
        let mut alter = AlterConfig::new(ResourceSpecifier::Topic(topic));
        for (key, value) in configs {
            alter = alter.set(key, value);
        }
        let results = self
            .runtime
            .block_on(self.admin.alter_configs(&[alter], &AdminOptions::new()))
            .unwrap_or_else(|err| panic!("alter: {err}"));
        for result in results {
            result.unwrap_or_else(|err| panic!("alter {topic}: {err:?}"));
        }
    }

    pub fn replace_overrides(&self, topic: &str, configs: &[(&str, &str)]) {
        self.alter_overrides_now(topic, configs);
        // Brokers apply config changes at their own pace; wait until all of
        // them report it, so whatever forgectl asks next sees the change.
        let brokers: Vec<i32> = self
            .admin
            .inner()
            .fetch_metadata(None, ADMIN_TIMEOUT)
            .unwrap_or_else(|err| panic!("metadata: {err}"))
            .brokers()
            .iter()
            .map(|b| b.id())
            .collect();
        wait_until(
            || {
                brokers.iter().all(|b| {
                    let now = self.overrides_on(topic, Some(*b));
                    configs.iter().all(|(k, v)| now.get(*k).map(String::as_str) == Some(*v))
                })
            },
            &format!("new overrides on {topic} on every broker"),
        );
    }

    pub fn create_topic(&self, name: &str, partitions: i32) {
        let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(3));
        let results = self
            .runtime
            .block_on(self.admin.create_topics(&[topic], &AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT))))
            .unwrap_or_else(|err| panic!("create {name}: {err}"));
        for result in results {
            result.unwrap_or_else(|err| panic!("create {name}: {err:?}"));
        }
        wait_until(
            || self.on_every_broker(|topics| topics.contains(&name.to_string())),
            &format!("{name} visible on every broker"),
        );
    }

    /// Whether `check` holds for the topic list of every broker, each asked
    /// on its own (brokers learn about new topics at their own pace).
    pub fn on_every_broker(&self, check: impl Fn(&[String]) -> bool) -> bool {
        let Ok(cluster) = self.admin.inner().fetch_metadata(None, ADMIN_TIMEOUT) else {
            return false;
        };
        cluster.brokers().iter().all(|broker| {
            let single: Result<BaseConsumer, _> =
                ClientConfig::new().set("bootstrap.servers", format!("{}:{}", broker.host(), broker.port())).create();
            let Ok(single) = single else {
                return false;
            };
            single
                .fetch_metadata(None, ADMIN_TIMEOUT)
                .map(|m| {
                    check(
                        &m.topics()
                            .iter()
                            .filter(|t| t.error().is_none())
                            .map(|t| t.name().to_string())
                            .collect::<Vec<_>>(),
                    )
                })
                .unwrap_or(false)
        })
    }
}

/// Deletes every topic with the fixture's prefix, whatever the test did.
impl Drop for Fixture {
    fn drop(&mut self) {
        let names: Vec<String> = self.topics().into_keys().collect();
        if names.is_empty() {
            return;
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let _ = self.runtime.block_on(self.admin.delete_topics(&refs, &AdminOptions::new()));
    }
}

pub fn wait_until(condition: impl Fn() -> bool, what: &str) {
    for _ in 0..120 {
        if condition() {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("timed out waiting for {what}");
}

/// Every tier topic has a dead-letter topic `<topic>.dlq` (profiles/_base.yaml).
pub const DLQ_SUFFIX: &str = ".dlq";
pub const DLQ_PARTITIONS: usize = 1;
pub const DLQ_RETENTION_MS: &str = "604800000";

/// The 50k and 100k partition counts from `profiles/` (sms, events, apps, contacts, calls).
pub const PARTITIONS_50K: [usize; 5] = [8, 5, 5, 5, 5];
pub const PARTITIONS_100K: [usize; 5] = [16, 20, 10, 10, 10];

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Rows of a plan or sync report's plan with the given action kind.
pub fn rows<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["plan"]["changes"]
        .as_array()
        .map(|rows| rows.iter().filter(|r| r["action"]["kind"] == kind).collect())
        .unwrap_or_default()
}
