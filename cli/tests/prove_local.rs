//! `verify` and `loadtest` on the local provider, end to end against the
//! stack's real Kafka and PostgreSQL: deploy the 50k ladder, send canaries
//! through the local balancer and find every record once, then a short,
//! light load test and a short capacity ramp whose reports and verdicts are
//! checked for shape (their numbers depend on the machine, so they are not
//! asserted).

use serde_json::Value;

mod local_support;
use local_support::{artifacts_dir, Env};

#[test]
fn verify_and_a_short_loadtest_on_the_local_provider() {
    let env = Env::new("lprove");
    let artifacts = artifacts_dir();
    let artifacts = artifacts.to_string_lossy().to_string();
    env.ok(&["provision", "--yes"]);
    env.ok(&["deploy", "--version", "v1", "--artifacts-dir", &artifacts, "--yes"]);

    // Every kind's canaries arrive exactly once; --cleanup removes them.
    let report = env.ok(&["verify", "--uploads-per-kind", "4", "--wait", "2m", "--cleanup", "--output", "json"]);
    assert_eq!(report["passed"], true, "{report:#}");
    let device = report["device_id"].as_str().unwrap_or_default();
    assert!(device.starts_with("forgectl-canary-"), "{device}");
    let kinds = report["kinds"].as_array().cloned().unwrap_or_default();
    assert_eq!(kinds.len(), 5, "{report:#}");
    for kind in &kinds {
        assert_eq!(kind["store"], "postgresql");
        assert_eq!((kind["expected"].as_u64(), kind["arrived"].as_u64()), (Some(12), Some(12)), "{kind:#}");
        assert_eq!((kind["lost"].as_u64(), kind["duplicated"].as_u64()), (Some(0), Some(0)), "{kind:#}");
    }
    assert_eq!(report["cleaned_up"].as_u64(), Some(60), "4 uploads x 3 records x 5 kinds");

    // A load test aimed anywhere but the environment's front door is refused.
    let refused = env.forgectl(&["loadtest", "--duration", "5s", "--target", "http://192.0.2.1:80"]);
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    let too_long = env.forgectl(&["loadtest", "--duration", "1h"]);
    assert_eq!(too_long.status.code(), Some(2));

    // 10 s at a fifth of the 50k tier's peak (about 17 uploads/s).
    let reports = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let target = format!("http://127.0.0.1:{}", env.port);
    let output = env.forgectl(&[
        "loadtest",
        "--duration",
        "10s",
        "--rate-multiplier",
        "0.2",
        "--target",
        &target,
        "--report-dir",
        &reports.path().to_string_lossy(),
        "--output",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(matches!(output.status.code(), Some(0 | 1)), "loadtest broke ({:?}):\n{stderr}", output.status.code());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("{err}:\n{stderr}"));
    assert_eq!(report["verdict"]["passed"].as_bool() == Some(true), output.status.code() == Some(0));
    assert_eq!(report["load"]["offered"], report["plan"]["uploads"], "{report:#}");
    assert_eq!(report["load"]["seconds"].as_array().map(Vec::len), Some(10));
    assert_eq!(report["verdict"]["checks"].as_array().map(Vec::len), Some(4));
    assert_eq!(report["lag"]["observed"], true);
    assert_eq!(report["lag"]["groups"].as_array().map(Vec::len), Some(3));

    let json_path = report["files"]["json"].as_str().unwrap_or_default();
    let html_path = report["files"]["html"].as_str().unwrap_or_default();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(json_path).unwrap_or_default())
        .unwrap_or_else(|err| panic!("{json_path}: {err}"));
    assert_eq!(written["run_id"], report["run_id"]);
    let html = std::fs::read_to_string(html_path).unwrap_or_else(|err| panic!("{html_path}: {err}"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg").count(), 3, "latency, throughput and lag charts");
    assert!(!html.contains("<script"), "the report is self-contained and static");

    // A short ramp: 3 s idle, then two 3 s steps at a fifth and two fifths of the peak.
    let refused = env.forgectl(&["capacity", "--steps", "1", "--step-duration", "3s"]);
    assert_eq!(refused.status.code(), Some(2), "one step cannot show a slope");
    let output = env.forgectl(&[
        "capacity",
        "--steps",
        "0.2,0.4",
        "--step-duration",
        "3s",
        "--node-vcpus",
        "4",
        "--output",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(matches!(output.status.code(), Some(0 | 1)), "capacity broke ({:?}):\n{stderr}", output.status.code());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("{err}:\n{stderr}"));
    let steps = report["steps"].as_array().cloned().unwrap_or_default();
    assert_eq!(steps.len(), 3, "the idle window, then two steps: {report:#}");
    assert_eq!(steps[0]["multiplier"].as_f64(), Some(0.0));
    for step in &steps {
        assert_eq!(step["roles"].as_array().map(Vec::len), Some(4), "{step:#}");
        assert!(step["roles"][0]["cores_per_process"].as_f64().unwrap_or_default() > 0.0, "{step:#}");
    }
    let measured = report["capacities"].as_array().map(Vec::len).unwrap_or_default();
    let unmeasured = report["unmeasured"].as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(measured + unmeasured, 4, "every role is either measured or says why not: {report:#}");
    assert_eq!(output.status.code() == Some(0), unmeasured == 0);
    // One ladder row per tier and measured role, each beside the profile's range.
    assert_eq!(report["ladder"].as_array().map(Vec::len), Some(5 * measured), "{report:#}");
}
