//! Bad input stops `plan`, `provision` and `destroy` with exit 2, a clear
//! message, and no AWS call at all (the call log stays empty, and the AWS
//! endpoint is a closed port, so a call could not have succeeded anyway).

mod common;

use common::{mutating, text, CpEnv};

/// A port nothing listens on: any AWS call would fail with a network error.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";

fn assert_refused_offline(env: &CpEnv, args: &[&str], expected: &str) {
    let output =
        env.forgectl().env("AWS_ENDPOINT_URL", DEAD_ENDPOINT).args(args).output().unwrap_or_else(|err| panic!("{err}"));
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: expected exit 2\nstdout:\n{}\nstderr:\n{stderr}",
        text(&output.stdout)
    );
    assert!(stderr.contains(expected), "{args:?}: expected `{expected}` in:\n{stderr}");
    assert!(stderr.contains("hint:"), "{args:?}: no hint in:\n{stderr}");
    let calls = env.take_calls();
    assert!(calls.is_empty(), "{args:?} made AWS calls: {calls:?}");
}

fn assert_bad_config(label: &str, settings: &str, expected: &str) {
    let mut env = CpEnv::offline(label, settings);
    env.keep = true;
    assert_refused_offline(&env, &["plan", "--tier", "50k"], expected);
    assert_refused_offline(&env, &["provision", "--tier", "50k", "--yes"], expected);
}

#[test]
fn empty_subnet_list_is_bad_config() {
    assert_bad_config("nosub", "    subnets: []\n", "subnets: is an empty list");
}

#[test]
fn vpc_without_subnets_is_bad_config() {
    assert_bad_config("novpcsub", "    vpc_id: vpc-0abc\n", "vpc_id is set but no client subnets");
}

#[test]
fn a_single_az_is_bad_config() {
    assert_bad_config("oneaz", "    subnets: [subnet-0aaa]\n", "MSK needs subnets in at least 2 AZs");
}

#[test]
fn fewer_subnets_than_the_tier_zones_is_bad_config() {
    assert_bad_config(
        "twoaz",
        "    subnets: [subnet-0aaa, subnet-0bbb]\n",
        "2 client subnets given, but tier 50k spreads",
    );
}

#[test]
fn unknown_auth_mode_is_bad_config() {
    assert_bad_config("kerb", "    client_auth: kerberos\n", "unknown variant `kerberos`");
}

#[test]
fn unknown_tier_is_bad_input() {
    let mut env = CpEnv::offline("tier", "");
    env.keep = true;
    assert_refused_offline(&env, &["plan", "--tier", "5m"], "5m");
    assert_refused_offline(&env, &["provision", "--tier", "5m", "--yes"], "5m");
}

#[test]
fn destroy_without_a_terminal_needs_yes_and_the_env_name() {
    let mut env = CpEnv::offline("confirm", "");
    env.keep = true;
    assert_refused_offline(&env, &["destroy"], "needs --yes --confirm");
    assert_refused_offline(&env, &["destroy", "--yes"], "needs --yes --confirm");
    assert_refused_offline(&env, &["destroy", "--yes", "--confirm", "production"], "does not match");
}

#[test]
fn provision_without_a_terminal_needs_yes_and_changes_nothing() {
    let env = CpEnv::new("noyes");
    let output = env.run(&["provision", "--tier", "50k", "--skip-topics"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("--yes"), "{}", text(&output.stderr));
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new());
    let plan = env.run(&["plan", "--tier", "50k", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(3), "changes should still be pending");
}

#[test]
fn a_missing_subnet_or_one_in_another_vpc_is_named() {
    let aws = common::Aws::new();
    let default = aws
        .runtime
        .block_on(
            aws.ec2
                .describe_subnets()
                .filters(aws_sdk_ec2::types::Filter::builder().name("default-for-az").values("true").build())
                .send(),
        )
        .unwrap_or_else(|err| panic!("DescribeSubnets: {err:?}"));
    let mut ids: Vec<(String, String)> = default
        .subnets()
        .iter()
        .filter_map(|s| Some((s.availability_zone()?.to_string(), s.subnet_id()?.to_string())))
        .collect();
    ids.sort();
    let [a, b, ..] = ids.as_slice() else { panic!("the emulator's default VPC has fewer than 2 subnets") };

    let missing = "subnet-0123456789abcdef0";
    let settings = format!("    subnets: [{}, {}, {missing}]\n", a.1, b.1);
    let env = CpEnv::with_settings("badsub", &settings);
    let output = env.run(&["plan", "--tier", "50k"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains(&format!("subnet {missing} does not exist")), "{}", text(&output.stderr));

    // A subnet of another VPC, in a third AZ.
    let vpc = aws
        .runtime
        .block_on(aws.ec2.create_vpc().cidr_block("10.77.0.0/16").send())
        .ok()
        .and_then(|o| o.vpc().and_then(|v| v.vpc_id().map(str::to_string)))
        .unwrap_or_else(|| panic!("CreateVpc"));
    let az = ids.get(2).map(|(az, _)| az.clone()).unwrap_or_else(|| "us-east-1c".into());
    let stray = aws
        .runtime
        .block_on(aws.ec2.create_subnet().vpc_id(&vpc).cidr_block("10.77.1.0/24").availability_zone(&az).send())
        .ok()
        .and_then(|o| o.subnet().and_then(|s| s.subnet_id().map(str::to_string)))
        .unwrap_or_else(|| panic!("CreateSubnet"));
    let settings = format!("    subnets: [{}, {}, {stray}]\n", a.1, b.1);
    let env = CpEnv::with_settings("vpcmix", &settings);
    let output = env.run(&["provision", "--tier", "50k", "--yes", "--skip-topics"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("subnet {stray} is in {vpc}")), "{stderr}");
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new());
    let _ = aws.runtime.block_on(aws.ec2.delete_subnet().subnet_id(&stray).send());
    let _ = aws.runtime.block_on(aws.ec2.delete_vpc().vpc_id(&vpc).send());
}

/// Environment names become part of resource names, ARNs and boot scripts:
/// one that could not be is refused before anything is built or called.
#[test]
fn an_environment_name_that_cannot_name_resources_is_bad_config() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let config = dir.path().join("forgectl.yaml");
    std::fs::write(&config, "environments:\n  Prod_1:\n    provider: aws\n    region: us-east-1\n    tier: 50k\n")
        .unwrap_or_else(|err| panic!("{err}"));
    let call_log = dir.path().join("aws-calls.jsonl");
    for args in [&["plan"][..], &["provision", "--yes"][..]] {
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("forgectl"))
            .current_dir(dir.path())
            .env("CI", "true")
            .env("AWS_ENDPOINT_URL", DEAD_ENDPOINT)
            .env("FORGECTL_AWS_CALL_LOG", &call_log)
            .args(["--config", &config.to_string_lossy(), "--env", "Prod_1"])
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("{err}"));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("environment `Prod_1`: environment name: the name starts with `P`"), "{stderr}");
        assert!(stderr.contains("hint: rename the environment"), "{stderr}");
        assert!(!call_log.exists(), "{args:?} made AWS calls");
    }
}
