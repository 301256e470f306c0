//! Credential and region failures as a person meets them: an expired SSO
//! session, a profile that does not exist, no credentials at all, a region
//! that is not one. Each is one line naming the call, and one hint saying
//! what to run; no SDK dump, and no word of the local stack when the
//! environment is real AWS.
//!
//! Every case fails before a request leaves the machine (credentials are
//! resolved first; a region name that is not one never resolves), so the
//! test needs no network and no emulator.

use std::process::Output;

use assert_cmd::Command;

struct Account {
    dir: tempfile::TempDir,
}

impl Account {
    /// A home directory with an SSO profile whose cached token expired in 2020.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
        let aws = dir.path().join("home/.aws");
        let cache = aws.join("sso/cache");
        std::fs::create_dir_all(&cache).unwrap_or_else(|err| panic!("{err}"));
        std::fs::write(
            aws.join("config"),
            "[profile team-sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n\n\
             [sso-session corp]\nsso_start_url = https://corp.example.com/start\nsso_region = us-east-1\n\
             sso_registration_scopes = sso:account:access\n",
        )
        .unwrap_or_else(|err| panic!("{err}"));
        let token = serde_json::json!({
            "startUrl": "https://corp.example.com/start",
            "region": "us-east-1",
            "accessToken": "expired",
            "expiresAt": "2020-01-01T00:00:00Z",
        });
        std::fs::write(cache.join(format!("{}.json", sha1_hex(b"corp"))), token.to_string())
            .unwrap_or_else(|err| panic!("{err}"));
        Account { dir }
    }

    fn run(&self, environment: &str, extra_env: &[(&str, &str)]) -> Output {
        std::fs::write(self.dir.path().join("forgectl.yaml"), format!("environments:\n  prod:\n{environment}"))
            .unwrap_or_else(|err| panic!("{err}"));
        let mut command = Command::cargo_bin("forgectl").unwrap_or_else(|err| panic!("{err}"));
        command
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path().join("home"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("CI", "true")
            .envs(extra_env.iter().copied())
            .args(["--env", "prod", "plan", "--tier", "50k"]);
        command.output().unwrap_or_else(|err| panic!("{err}"))
    }
}

/// The SDK finds an SSO session's cached token by the SHA-1 of its name.
fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(data))
}

/// One error line, one hint line, exit 1, and nothing a person should not see.
fn assert_explained(output: &Output, says: &str, hint: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|line| !line.trim().is_empty()).collect();
    assert_eq!(lines.len(), 2, "one error line and one hint:\n{stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(says), "{stderr}");
    assert!(lines[1].trim_start().starts_with("hint: ") && lines[1].contains(hint), "{stderr}");
    for dump in ["DispatchFailure", "ConnectorError", "{ source", "dev/stack"] {
        assert!(!stderr.contains(dump), "`{dump}` in:\n{stderr}");
    }
}

#[test]
fn an_expired_sso_session_asks_for_a_login_with_the_profile() {
    let account = Account::new();
    let output = account.run("    provider: aws\n    region: ap-south-1\n    aws_profile: team-sso\n", &[]);
    assert_explained(&output, "the AWS SSO session has expired", "run `aws sso login --profile team-sso`");
}

#[test]
fn an_sso_profile_from_the_environment_is_named_too() {
    let account = Account::new();
    let output = account.run("    provider: aws\n    region: ap-south-1\n", &[("AWS_PROFILE", "team-sso")]);
    assert_explained(&output, "the AWS SSO session has expired", "`aws sso login --profile team-sso`");
}

#[test]
fn an_unknown_profile_is_named() {
    let account = Account::new();
    let output = account.run("    provider: aws\n    region: ap-south-1\n    aws_profile: typo\n", &[]);
    assert_explained(&output, "the AWS profile `typo` is not defined", "aws configure list-profiles");
}

#[test]
fn no_credentials_at_all_says_where_they_were_looked_for() {
    let account = Account::new();
    let output = account.run("    provider: aws\n    region: ap-south-1\n", &[]);
    assert_explained(&output, "no AWS credentials were found", "AWS_ACCESS_KEY_ID");
}

#[test]
fn a_region_that_is_not_one_is_named() {
    let account = Account::new();
    let keys = [("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "not-a-secret")];
    let output = account.run("    provider: aws\n    region: mumbai\n", &keys);
    assert_explained(&output, "failed", "`mumbai` is not an AWS region name");
}

#[test]
fn a_missing_region_says_where_to_set_it() {
    let account = Account::new();
    let keys = [("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "not-a-secret")];
    let output = account.run("    provider: aws\n", &keys);
    assert_explained(&output, "Missing Region", "add `region` to the environment in forgectl.yaml");
}
