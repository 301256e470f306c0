//! `forgectl init` against the emulator: the file it writes names the
//! default VPC's subnets the tier needs and is accepted by `plan` as it
//! stands; it never replaces a file unasked, and bad answers write nothing.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

fn forgectl(dir: &Path, args: &[&str]) -> Output {
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .unwrap_or_else(|_| panic!("AWS_ENDPOINT_URL is not set: run the tests with the stack's environment"));
    let mut command = Command::cargo_bin("forgectl").unwrap_or_else(|err| panic!("{err}"));
    command
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("CI", "true")
        .env_remove("FORGECTL_ENV")
        .env_remove("FORGECTL_CONFIG")
        .args(args);
    command.output().unwrap_or_else(|err| panic!("{err}"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn the_written_file_is_one_plan_accepts() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let output = forgectl(
        dir.path(),
        &[
            "--region",
            "us-east-1",
            "--output",
            "json",
            "init",
            "--name",
            "prod",
            "--tier",
            "50k",
            "--client-auth",
            "iam",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(report["environment"], "prod");
    assert_eq!(report["discovered"], true);
    assert_eq!(report["subnets"].as_array().map(Vec::len), Some(3), "50k spreads over 3 zones: {report}");
    let text = std::fs::read_to_string(dir.path().join("forgectl.yaml")).unwrap_or_else(|err| panic!("{err}"));
    assert!(text.contains("client_auth: iam") && text.contains("# How clients authenticate"), "{text}");

    let plan = forgectl(dir.path(), &["plan"]);
    assert!(plan.status.success(), "plan refused the written file:\n{}", stderr(&plan));

    // A second init leaves the file alone: exit 2, same bytes.
    let again = forgectl(dir.path(), &["--region", "us-east-1", "init"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    let after = std::fs::read_to_string(dir.path().join("forgectl.yaml")).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(text, after);

    let forced = forgectl(dir.path(), &["--region", "us-east-1", "init", "--force", "--name", "staging"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let replaced = std::fs::read_to_string(dir.path().join("forgectl.yaml")).unwrap_or_else(|err| panic!("{err}"));
    assert!(replaced.contains("default_environment: \"staging\""), "{replaced}");
}

#[test]
fn bad_answers_write_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    for (args, says) in [
        (vec!["--region", "us-east-1", "init", "--name", "Prod_1"], "environment name `Prod_1`"),
        (vec!["--region", "us-east-1", "init", "--tier", "7k"], "tier `7k` has no profile"),
        (vec!["--region", "mumbai", "init"], "`mumbai` is not an AWS region name"),
    ] {
        let output = forgectl(dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(says), "{args:?}: {}", stderr(&output));
        assert!(!dir.path().join("forgectl.yaml").exists(), "{args:?} wrote a file");
    }
}

#[test]
fn without_discovery_the_network_is_left_to_fill_in() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let output = forgectl(dir.path(), &["--region", "ap-south-1", "init", "--no-discover", "--out", "team.yaml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("set vpc_id and subnets"), "{}", stderr(&output));
    let text = std::fs::read_to_string(dir.path().join("team.yaml")).unwrap_or_else(|err| panic!("{err}"));
    assert!(text.contains("# subnets: [subnet-aaaa") && !text.contains("\n    subnets:"), "{text}");
}
