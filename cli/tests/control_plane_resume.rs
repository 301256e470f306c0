//! Long waits: Ctrl-C (and a timeout) during the cluster create leave the
//! resources in place, and re-running converges without duplicates. And
//! the end of `provision`: the tier's topics are synced.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{mutating, text, Aws, CpEnv};

/// Far more than the emulator's create delay (seconds).
const PROVISION_BOUND: Duration = Duration::from_secs(120);

fn clusters_named(aws: &Aws, name: &str) -> usize {
    let output = aws
        .runtime
        .block_on(aws.kafka.list_clusters_v2().cluster_name_filter(name).send())
        .unwrap_or_else(|err| panic!("ListClustersV2: {err:?}"));
    output.cluster_info_list().iter().filter(|c| c.cluster_name() == Some(name)).count()
}

fn groups_tagged(aws: &Aws, env: &str) -> usize {
    let filter = aws_sdk_ec2::types::Filter::builder().name("tag:forgectl:env").values(env).build();
    let output = aws
        .runtime
        .block_on(aws.ec2.describe_security_groups().filters(filter).send())
        .unwrap_or_else(|err| panic!("DescribeSecurityGroups: {err:?}"));
    output.security_groups().len()
}

fn assert_resumes_without_duplicates(env: &CpEnv, aws: &Aws) {
    let prefix = format!("forgectl-{}", env.name);
    assert_eq!(clusters_named(aws, &prefix), 1, "the interrupted run should leave its cluster");
    assert_eq!(groups_tagged(aws, &env.name), 2);
    env.take_calls();
    let report = env.provision("50k");
    let calls = env.take_calls();
    let creates: Vec<String> = mutating(&calls).into_iter().filter(|op| op.starts_with("Create")).collect();
    assert!(creates.is_empty(), "the re-run created again: {creates:?}");
    assert_eq!(report["cluster"]["state"], "ACTIVE");
    assert_eq!(clusters_named(aws, &prefix), 1);
    assert_eq!(groups_tagged(aws, &env.name), 2);
    let plan = env.run(&["plan", "--tier", "50k", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stdout));
}

/// Runs forgectl with `args`, sends SIGINT (Ctrl-C) once a stderr line
/// contains `needle`, and returns the exit code and everything it printed.
fn interrupt_when(env: &CpEnv, args: &[&str], needle: &str) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("forgectl"))
        .args(env.forgectl().get_args())
        .args(args)
        .current_dir(env.dir.path())
        .env("CI", "true")
        .env("FORGECTL_AWS_CALL_LOG", &env.call_log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("spawn: {err}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        seen.push(line.clone());
        if line.contains(needle) {
            let status = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .unwrap_or_else(|err| panic!("kill: {err}"));
            assert!(status.success());
            break;
        }
    }
    seen.extend(lines.map(|line| line.unwrap_or_default()));
    let status = child.wait().unwrap_or_else(|err| panic!("wait: {err}"));
    (status.code(), seen.join("\n"))
}

#[test]
fn ctrl_c_during_the_wait_leaves_resources_and_a_rerun_converges() {
    let env = CpEnv::new("intr");
    let aws = Aws::new();
    // Interrupt as soon as the wait for ACTIVE starts.
    let (code, all) =
        interrupt_when(&env, &["provision", "--tier", "50k", "--yes", "--skip-topics"], "waiting for ACTIVE");
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("interrupted while provisioning"), "{all}");
    assert!(all.contains("run the same command again to resume"), "{all}");
    assert_resumes_without_duplicates(&env, &aws);
}

#[test]
fn ctrl_c_during_an_update_and_a_rerun_finishes_it_without_repeating_it() {
    let env = CpEnv::new("intrup");
    env.provision("50k");
    let (code, all) = interrupt_when(&env, &["provision", "--tier", "100k", "--yes", "--skip-topics"], "operation ");
    assert_eq!(code, Some(1), "{all}");
    env.take_calls();
    let report = env.provision("100k");
    let calls = env.take_calls();
    assert!(!mutating(&calls).iter().any(|op| op == "UpdateBrokerCount"), "the update was sent twice: {calls:?}");
    assert_eq!(report["cluster"]["broker_count"], 6);
    let plan = env.run(&["plan", "--tier", "100k", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stdout));
}

#[test]
fn a_timeout_leaves_resources_and_a_rerun_converges() {
    let env = CpEnv::new("tmo");
    let aws = Aws::new();
    let started = Instant::now();
    let output = env.run(&["provision", "--tier", "50k", "--yes", "--skip-topics", "--timeout", "1s"]);
    let stderr = text(&output.stderr);
    // With the emulator's create delay above a second the wait times out;
    // a faster emulator would finish instead, which is fine too.
    if output.status.code() == Some(1) {
        assert!(stderr.contains("timed out after") && stderr.contains("resume"), "{stderr}");
    } else {
        assert_eq!(output.status.code(), Some(0), "{stderr}");
    }
    assert!(started.elapsed() < PROVISION_BOUND);
    assert_resumes_without_duplicates(&env, &aws);
}

#[test]
fn provision_syncs_the_tiers_topics_at_the_end() {
    let env = CpEnv::new("topics");
    let output = env.run(&["provision", "--tier", "50k", "--yes"]);
    assert!(output.status.success(), "{}\n{}", text(&output.stdout), text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("topics: ") && stdout.contains("applied via"), "{stdout}");
    let check = env.run(&["topics", "check", "--tier", "50k"]);
    assert_eq!(check.status.code(), Some(0), "{}\n{}", text(&check.stdout), text(&check.stderr));
    // The stack's Kafka is shared: remove this test's topics.
    let aws = Aws::new();
    let prefix = format!("forgectl-{}", env.name);
    let arn = aws
        .runtime
        .block_on(aws.kafka.list_clusters_v2().cluster_name_filter(&prefix).send())
        .ok()
        .and_then(|o| o.cluster_info_list().first().and_then(|c| c.cluster_arn().map(str::to_string)));
    if let Some(arn) = arn {
        // Every topic of this test's tier, dead-letter topics included.
        let listed = aws
            .runtime
            .block_on(aws.kafka.list_topics().cluster_arn(&arn).topic_name_filter(&env.topic_prefix).send())
            .map(|o| o.topics().iter().filter_map(|t| t.topic_name().map(str::to_string)).collect::<Vec<_>>())
            .unwrap_or_default();
        for name in listed.into_iter().filter(|name| name.starts_with(&env.topic_prefix)) {
            let _ = aws.runtime.block_on(aws.kafka.delete_topic().cluster_arn(&arn).topic_name(name).send());
        }
    }
}
