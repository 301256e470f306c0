//! Benchmark for docs/benchmarks/topics.md: admin round trips and wall time
//! of `topics sync` for the 5 tier topics and a synthetic 200-topic profile,
//! on both backends, batched (what forgectl does) against a
//! one-request-per-topic baseline in the same run. Ignored by default (it
//! creates and deletes ~800 topics on the shared stack):
//!
//!     eval "$(dev/stack env)"
//!     cargo test -p forgectl --test topics_bench -- --ignored --nocapture --test-threads 1

mod topics_support;

use std::time::Instant;

use forgectl::aws::AwsClients;
use forgectl::config::{select_environment, EnvironmentOverrides};
use forgectl::console::{Console, OutputFormat};
use forgectl::ops::topics::reconcile::{sync, TargetOptions, TopicsOptions, TopicsSyncOptions, Via};
use forgectl::profile::ProfileSource;
use forgectl::topics::Batching;
use topics_support::*;

/// Topics in the synthetic profile, dead-letter topics included (every
/// declared topic gets one, so 100 declared make 200).
const SYNTHETIC_TOPICS: usize = 200;
const BENCH_ENV: &str = "topicsbench";

/// A tier with the five runbook topics plus synthetic ones up to `total`,
/// one partition each (the point is request counts, not broker load), all
/// read by the common consumer so the profile stays valid.
fn synthetic_tier(fx: &Fixture, total: usize) {
    let mut topics = String::new();
    let mut common =
        vec![fx.topic("apps_and_device_batched"), fx.topic("contacts_batched"), fx.topic("call_logs_batched")];
    for base in TOPICS {
        topics.push_str(&format!("  {}: {{partitions: 1}}\n", fx.topic(base)));
    }
    for n in 0..(total / 2).saturating_sub(TOPICS.len()) {
        let name = fx.topic(&format!("synthetic_{n:03}"));
        topics.push_str(&format!("  {name}: {{partitions: 1}}\n"));
        common.push(name);
    }
    let yaml = format!(
        "extends: _base.yaml\ndau: 1000\nkafka:\n  brokers: 3\ntopics:\n{topics}roles:\n  producer: {{min: 1, max: 1}}\n  sms-consumer: {{min: 1, max: 1}}\n  events-consumer: {{min: 1, max: 1}}\n  common-consumer: {{min: 1, max: 1, topics: [{}]}}\n",
        common.join(", ")
    );
    std::fs::write(fx.profiles_dir().join("bench200.yaml"), yaml).unwrap_or_else(|err| panic!("{err}"));
}

fn options(fx: &Fixture, tier: &str, via: Via, batching: Batching, cluster_arn: Option<String>) -> TopicsSyncOptions {
    let config = fx.dir.path().join("forgectl.yaml");
    std::fs::write(&config, format!("environments:\n  {BENCH_ENV}:\n    provider: aws\n    region: us-east-1\n"))
        .unwrap_or_else(|err| panic!("{err}"));
    let environment = select_environment(&EnvironmentOverrides { config: Some(config), ..Default::default() })
        .unwrap_or_else(|err| panic!("{err}"));
    // The MSK backend talks to the emulator with the clients a command's run context would hold.
    let aws = (via == Via::Msk).then(|| fx.runtime.block_on(AwsClients::connect(&environment)));
    TopicsSyncOptions {
        topics: TopicsOptions {
            target: TargetOptions {
                environment,
                via,
                bootstrap: (via == Via::Kafka).then(bootstrap),
                cluster_arn,
                aws,
                batching,
            },
            profiles: ProfileSource::Directory(fx.profiles_dir()),
            tier: Some(tier.to_string()),
            scope: Some(fx.prefix.clone()),
        },
        dry_run: false,
        prune: false,
        assume_yes: false,
    }
}

struct Row {
    scenario: String,
    backend: &'static str,
    mode: &'static str,
    fresh: (u64, u64, u128),
    noop: (u64, u64, u128),
}

fn measure(
    fx: &Fixture,
    tier: &str,
    via: Via,
    batching: Batching,
    arn: Option<String>,
) -> ((u64, u64, u128), (u64, u64, u128)) {
    let console = Console::new(OutputFormat::Json);
    let run = |options: &TopicsSyncOptions| {
        let started = Instant::now();
        let report = fx.runtime.block_on(sync(options, &console)).unwrap_or_else(|err| panic!("sync: {err}"));
        (report.requests.reads, report.requests.writes, started.elapsed().as_millis())
    };
    let options = options(fx, tier, via, batching, arn);
    let fresh = run(&options);
    let noop = run(&options);
    assert_eq!(noop.1, 0, "a no-op sync writes nothing");
    (fresh, noop)
}

#[test]
#[ignore = "benchmark: creates ~800 topics; run with --ignored --nocapture"]
fn topics_sync_round_trips_and_wall_time() {
    let arn = msk_cluster_arn();
    let mut rows = Vec::new();
    for (scenario, tier, total) in
        [("50k tier: 5 topics + 5 DLQ", "50k", 10), ("synthetic: 100 topics + 100 DLQ", "bench200", SYNTHETIC_TOPICS)]
    {
        for (backend, via) in [("kafka", Via::Kafka), ("msk", Via::Msk)] {
            for (mode, batching) in
                [("batched (forgectl)", Batching::Batched), ("one request per topic", Batching::PerTopic)]
            {
                let fx = Fixture::new("bench");
                if total > 10 {
                    synthetic_tier(&fx, total);
                }
                let cluster = (via == Via::Msk).then(|| arn.clone());
                let (fresh, noop) = measure(&fx, tier, via, batching, cluster);
                assert_eq!(
                    fx.topics_when(|t| t.len() == total).len(),
                    total,
                    "{scenario} {backend} {mode}: all created"
                );
                rows.push(Row { scenario: scenario.to_string(), backend, mode, fresh, noop });
            }
        }
    }
    println!(
        "| profile | backend | mode | fresh sync: reads | writes | wall ms | no-op sync: reads | writes | wall ms |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.scenario, r.backend, r.mode, r.fresh.0, r.fresh.1, r.fresh.2, r.noop.0, r.noop.1, r.noop.2
        );
    }
}
