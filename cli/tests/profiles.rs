//! `forgectl profiles …` run as a user would: the real binary, real files.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn forgectl() -> Command {
    let mut command = Command::cargo_bin("forgectl").unwrap_or_else(|err| panic!("forgectl binary: {err}"));
    command.current_dir(repo_root()).env_remove("FORGECTL_PROFILES_DIR").env("CI", "true");
    command
}

fn stdout_json(args: &[&str]) -> Value {
    let output = forgectl().args(args).output().unwrap_or_else(|err| panic!("run forgectl: {err}"));
    assert!(output.status.success(), "forgectl {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("JSON from forgectl {args:?}: {err}"))
}

/// (role, min, max)
type Rung = (&'static str, u64, u64);

/// The runbooks' scaling ladder (seeds 000 and 001 agree on every role).
const SEED_LADDER: &[(&str, u64, [Rung; 4])] = &[
    ("25k", 25_000, [("producer", 1, 3), ("sms-consumer", 1, 4), ("events-consumer", 1, 2), ("common-consumer", 1, 2)]),
    ("50k", 50_000, [("producer", 2, 5), ("sms-consumer", 2, 8), ("events-consumer", 1, 5), ("common-consumer", 1, 5)]),
    (
        "75k",
        75_000,
        [("producer", 3, 7), ("sms-consumer", 3, 12), ("events-consumer", 2, 7), ("common-consumer", 2, 7)],
    ),
    (
        "100k",
        100_000,
        [("producer", 4, 10), ("sms-consumer", 4, 16), ("events-consumer", 3, 10), ("common-consumer", 3, 10)],
    ),
];

#[test]
fn list_json_reproduces_the_seed_ladder() {
    let profiles = stdout_json(&["profiles", "list", "--output", "json"]);
    let profiles = profiles.as_array().unwrap_or_else(|| panic!("list JSON is an array"));
    let tiers: Vec<&str> = profiles.iter().filter_map(|p| p["tier"].as_str()).collect();
    assert_eq!(tiers, ["25k", "50k", "75k", "100k", "200k"]);
    for (tier, dau, roles) in SEED_LADDER {
        let profile = profiles.iter().find(|p| p["tier"] == *tier).unwrap_or_else(|| panic!("tier {tier} listed"));
        assert_eq!(profile["dau"], *dau, "{tier} dau");
        for (role, min, max) in roles {
            let spec = profile["roles"]
                .as_array()
                .and_then(|list| list.iter().find(|r| r["name"] == *role))
                .unwrap_or_else(|| panic!("{tier} has role {role}"));
            assert_eq!((spec["min"].as_u64(), spec["max"].as_u64()), (Some(*min), Some(*max)), "{tier} {role}");
        }
    }
}

#[test]
fn every_tier_honours_the_partition_rule_and_the_consumer_split() {
    let profiles = stdout_json(&["profiles", "list", "--output", "json"]);
    let expected_groups = [
        ("sms-consumer", "sms-consumer-group", vec!["sms_batched"]),
        ("events-consumer", "events-consumer-group", vec!["events_log"]),
        (
            "common-consumer",
            "common-consumer-group",
            vec!["apps_and_device_batched", "contacts_batched", "call_logs_batched"],
        ),
    ];
    for profile in profiles.as_array().into_iter().flatten() {
        let tier = profile["tier"].as_str().unwrap_or("?");
        assert_eq!(profile["kafka"]["brokers"].as_u64().map(|b| b % 3), Some(0), "{tier} brokers multiple of 3 AZs");
        for (role, group, topics) in &expected_groups {
            let spec = profile["roles"]
                .as_array()
                .and_then(|list| list.iter().find(|r| r["name"] == *role))
                .unwrap_or_else(|| panic!("{tier} {role}"));
            assert_eq!(spec["group"], *group);
            let listed: Vec<&str> = spec["topics"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            assert_eq!(&listed, topics, "{tier} {role} topics");
            for topic in topics {
                let declared = profile["topics"]
                    .as_array()
                    .and_then(|list| list.iter().find(|t| t["name"] == *topic))
                    .unwrap_or_else(|| panic!("{tier} declares {topic}"));
                assert!(declared["partitions"].as_u64() >= spec["max"].as_u64(), "{tier} {topic} partitions ≥ max");
                assert_eq!(declared["replication_factor"], 3);
                assert_eq!(declared["configs"]["retention.ms"], "86400000");
            }
        }
    }
}

#[test]
fn india_switch_drops_contacts_and_call_logs() {
    let profile = stdout_json(&["profiles", "show", "100k", "--india", "--output", "json"]);
    let topics: Vec<&str> =
        profile["topics"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(topics, ["sms_batched", "events_log", "apps_and_device_batched"]);
    assert_eq!(profile["india"], true);
    let common = profile["roles"]
        .as_array()
        .and_then(|roles| roles.iter().find(|r| r["name"] == "common-consumer"))
        .unwrap_or_else(|| panic!("common-consumer"));
    assert_eq!(common["topics"], serde_json::json!(["apps_and_device_batched"]));
    assert_eq!(profile["dead_letter"]["suffix"], ".dlq");
}

#[test]
fn dead_letter_topics_follow_the_india_switch() {
    use forgectl::profile::{load_tier, ProfileSource, ResolveOptions};
    let names = |india: bool| -> Vec<String> {
        load_tier(&ProfileSource::Builtin, "50k", ResolveOptions { india })
            .unwrap_or_else(|err| panic!("{err}"))
            .dead_letter_topics()
            .into_iter()
            .map(|topic| topic.name)
            .collect()
    };
    assert_eq!(
        names(false),
        [
            "sms_batched.dlq",
            "events_log.dlq",
            "apps_and_device_batched.dlq",
            "contacts_batched.dlq",
            "call_logs_batched.dlq"
        ]
    );
    assert_eq!(names(true), ["sms_batched.dlq", "events_log.dlq", "apps_and_device_batched.dlq"]);
}

#[test]
fn show_prints_topics_and_roles_as_tables() {
    let output = forgectl().args(["profiles", "show", "50k"]).output().unwrap_or_else(|err| panic!("{err}"));
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for needle in ["sms_batched", "retention.ms=86400000", "common-consumer-group", "2-8", "kafka.m7g.large"] {
        assert!(text.contains(needle), "show 50k lacks {needle}:\n{text}");
    }
}

#[test]
fn unknown_tier_exits_2_and_lists_the_tiers() {
    let output = forgectl().args(["profiles", "show", "60k"]).output().unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "nothing printed as if it had succeeded");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown tier `60k`") && stderr.contains("25k, 50k"), "{stderr}");
}

#[test]
fn builtin_profiles_serve_outside_the_repo() {
    let elsewhere = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
    let output = forgectl()
        .current_dir(elsewhere.path())
        .args(["profiles", "show", "25k", "--output", "json"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let profile: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(profile["source"], "builtin:profiles/25k.yaml");
}

#[test]
fn missing_profiles_dir_exits_2() {
    let output = forgectl()
        .args(["--profiles-dir", "/nonexistent/profiles", "profiles", "list"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}

#[test]
fn repo_profiles_validate() {
    let report = stdout_json(&["profiles", "validate", "--output", "json"]);
    assert_eq!(report["valid"], true);
    assert_eq!(report["files"].as_array().map(Vec::len), Some(5));
}

/// Each fixture states, in `# expect:` lines, text its error must contain.
#[test]
fn invalid_profile_corpus_exits_2_with_its_message() {
    let dir = repo_root().join("cli/tests/fixtures/profiles/invalid");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 15, "the corpus has {} fixtures", fixtures.len());
    for fixture in fixtures {
        let text = std::fs::read_to_string(&fixture).unwrap_or_else(|err| panic!("{}: {err}", fixture.display()));
        let expectations: Vec<&str> = text.lines().filter_map(|line| line.strip_prefix("# expect: ")).collect();
        assert!(!expectations.is_empty(), "{} has no # expect: line", fixture.display());
        let output = forgectl()
            .current_dir(&dir)
            .args(["profiles", "validate"])
            .arg(fixture.file_name().unwrap_or_default())
            .output()
            .unwrap_or_else(|err| panic!("{err}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{} exit code; stderr:\n{stderr}", fixture.display());
        for expected in expectations {
            assert!(stderr.contains(expected), "{}: expected `{expected}` in:\n{stderr}", fixture.display());
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(!stdout.contains("ok "), "{} printed success: {stdout}", fixture.display());
    }
}
