//! `sync_with` against a fake backend: what is sent, in which order, and
//! that refusals, dry runs and unconfirmed prunes send no writes at all.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::*;
use crate::config::{select_environment, EnvironmentOverrides};
use crate::profile::TopicSpec;
use crate::progress::Silent;
use crate::topics::{ActualTopic, Batching, ClusterState};

struct Fake {
    state: ClusterState,
    calls: RefCell<Vec<String>>,
}

impl TopicBackend for Fake {
    fn kind(&self) -> BackendKind {
        BackendKind::Kafka
    }
    async fn read_state(&self, _desired: &[String]) -> Result<ClusterState, TopicsError> {
        self.calls.borrow_mut().push("read".into());
        Ok(self.state.clone())
    }
    async fn create_topics(&self, topics: &[TopicSpec]) -> Result<(), TopicsError> {
        self.calls.borrow_mut().push(format!("create {}", topics.len()));
        Ok(())
    }
    async fn increase_partitions(&self, changes: &[(String, u32)]) -> Result<(), TopicsError> {
        self.calls.borrow_mut().push(format!("partitions {changes:?}"));
        Ok(())
    }
    async fn set_configs(&self, changes: &BTreeMap<String, BTreeMap<String, String>>) -> Result<(), TopicsError> {
        self.calls.borrow_mut().push(format!("configs {changes:?}"));
        Ok(())
    }
    async fn delete_topics(&self, names: &[String]) -> Result<(), TopicsError> {
        self.calls.borrow_mut().push(format!("delete {names:?}"));
        Ok(())
    }
    fn requests(&self) -> RequestCounts {
        RequestCounts::default()
    }
}

fn topic(name: &str, partitions: u32, retention: Option<&str>) -> ActualTopic {
    ActualTopic {
        name: name.into(),
        partitions,
        replication_factor: 3,
        overrides: retention.map(|r| [("retention.ms".to_string(), r.to_string())].into()).unwrap_or_default(),
    }
}

/// The built-in 50k tier; only `sms_batched` and a stray topic exist.
fn setup(sms_partitions: u32, retention: &str) -> (Profile, Fake) {
    let profile = profile::load_tier(&ProfileSource::Builtin, "50k", ResolveOptions { india: false })
        .unwrap_or_else(|err| panic!("{err}"));
    let state = ClusterState {
        topics: vec![
            topic("sms_batched", sms_partitions, Some(retention)),
            topic("stray", 1, None),
            topic("__consumer_offsets", 50, None),
        ],
        live_brokers: 3,
    };
    (profile, Fake { state, calls: RefCell::new(Vec::new()) })
}

fn options(dry_run: bool, prune: bool, assume_yes: bool) -> TopicsSyncOptions {
    let environment = select_environment(&EnvironmentOverrides::default()).unwrap_or_else(|err| panic!("{err}"));
    TopicsSyncOptions {
        topics: TopicsOptions {
            target: TargetOptions {
                environment,
                via: Via::Kafka,
                bootstrap: None,
                cluster_arn: None,
                aws: None,
                batching: Batching::Batched,
            },
            profiles: ProfileSource::Builtin,
            tier: Some("50k".into()),
            scope: None,
        },
        dry_run,
        prune,
        assume_yes,
    }
}

fn run(profile: &Profile, fake: &Fake, options: &TopicsSyncOptions) -> Result<(Plan, Vec<Change>), TopicsError> {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|err| panic!("{err}"));
    runtime.block_on(sync_with(fake, profile, options, &Silent))
}

#[test]
fn creates_then_partitions_then_configs_each_in_one_call() {
    let (profile, fake) = setup(4, "60000");
    let (_, applied) = run(&profile, &fake, &options(false, false, false)).unwrap_or_else(|err| panic!("{err}"));
    let calls = fake.calls.borrow();
    assert_eq!(calls[0], "read");
    // The four missing tier topics and all five dead-letter topics.
    assert_eq!(calls[1], "create 9");
    assert!(calls[2].starts_with("partitions [(\"sms_batched\", 8)]"), "{calls:?}");
    assert!(calls[3].starts_with("configs {\"sms_batched\": {\"retention.ms\": \"86400000\"}}"), "{calls:?}");
    assert_eq!(calls.len(), 4, "no deletion without --prune: {calls:?}");
    assert_eq!(applied.len(), 11);
}

#[test]
fn a_refusal_sends_nothing_but_the_read() {
    let (profile, fake) = setup(16, "60000");
    let err = run(&profile, &fake, &options(false, false, false));
    assert!(matches!(err, Err(TopicsError::Refused { ref field, .. }) if field == "partitions"));
    assert_eq!(*fake.calls.borrow(), vec!["read".to_string()]);
}

#[test]
fn dry_run_sends_nothing_but_the_read() {
    let (profile, fake) = setup(4, "60000");
    let (plan, applied) = run(&profile, &fake, &options(true, true, true)).unwrap_or_else(|err| panic!("{err}"));
    assert!(applied.is_empty());
    assert!(plan.has_drift());
    assert_eq!(*fake.calls.borrow(), vec!["read".to_string()]);
}

#[test]
fn prune_needs_confirmation_before_any_change_and_never_touches_internal_topics() {
    let (profile, fake) = setup(4, "60000");
    let err = run(&profile, &fake, &options(false, true, false));
    assert!(matches!(err, Err(TopicsError::Console(_))), "{err:?}");
    assert_eq!(*fake.calls.borrow(), vec!["read".to_string()], "declining changes nothing");

    let (profile, fake) = setup(8, "86400000");
    run(&profile, &fake, &options(false, true, true)).unwrap_or_else(|err| panic!("{err}"));
    let calls = fake.calls.borrow();
    assert_eq!(calls.last().map(String::as_str), Some("delete [\"stray\"]"), "{calls:?}");
}
