//! `forgectl version`, `completion` and `man`, run as a packager would.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn forgectl() -> Command {
    let mut command = Command::cargo_bin("forgectl").unwrap_or_else(|err| panic!("forgectl binary: {err}"));
    command.current_dir(repo_root()).env("CI", "true");
    command
}

fn stdout_of(args: &[&str]) -> String {
    let output = forgectl().args(args).output().unwrap_or_else(|err| panic!("run forgectl: {err}"));
    assert!(output.status.success(), "forgectl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap_or_else(|err| panic!("stdout of {args:?} is not UTF-8: {err}"))
}

#[test]
fn version_reports_the_package_version_commit_and_build_date() {
    let json: Value = serde_json::from_str(&stdout_of(&["version", "--output", "json"]))
        .unwrap_or_else(|err| panic!("version JSON: {err}"));
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let commit = json["git_commit"].as_str().unwrap_or_default();
    assert!(commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()), "commit {commit:?}");
    let date = json["build_date"].as_str().unwrap_or_default();
    assert!(date.len() >= 20 && date.as_bytes()[4] == b'-' && date.contains('T'), "date {date:?}");

    let human = stdout_of(&["version"]);
    assert!(human.starts_with(&format!("forgectl {}", env!("CARGO_PKG_VERSION"))), "{human}");
    assert!(human.contains(commit), "{human}");
}

#[test]
fn bash_completion_is_valid_bash_and_knows_the_subcommands() {
    let script = stdout_of(&["completion", "bash"]);
    for word in ["provision", "topics", "deploy", "destroy", "completion"] {
        assert!(script.contains(word), "bash completion lacks {word}");
    }
    let mut check = std::process::Command::new("bash")
        .args(["-n", "/dev/stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("bash: {err}"));
    {
        use std::io::Write;
        let mut stdin = check.stdin.take().unwrap_or_else(|| panic!("bash stdin"));
        stdin.write_all(script.as_bytes()).unwrap_or_else(|err| panic!("write to bash: {err}"));
    }
    let status = check.wait().unwrap_or_else(|err| panic!("bash -n: {err}"));
    assert!(status.success(), "bash -n rejected the completion script");
}

#[test]
fn every_shell_gets_a_script() {
    for (shell, marker) in
        [("zsh", "#compdef forgectl"), ("fish", "complete -c forgectl"), ("powershell", "Register-ArgumentCompleter")]
    {
        let script = stdout_of(&["completion", shell]);
        assert!(script.contains(marker), "{shell} completion lacks {marker:?}");
    }
    let unknown = forgectl().args(["completion", "tcsh"]).output().unwrap_or_else(|err| panic!("run: {err}"));
    assert_eq!(unknown.status.code(), Some(2), "an unknown shell is bad input");
}

#[test]
fn man_pages_cover_every_visible_command() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
    let out = dir.path().join("man1");
    let listing: Value = serde_json::from_str(&stdout_of(&[
        "man",
        "--out-dir",
        out.to_str().unwrap_or_else(|| panic!("temp path is not UTF-8")),
        "--output",
        "json",
    ]))
    .unwrap_or_else(|err| panic!("man JSON: {err}"));
    let written = listing.as_array().map(Vec::len).unwrap_or_default();
    for page in ["forgectl.1", "forgectl-provision.1", "forgectl-topics-sync.1", "forgectl-profiles-validate.1"] {
        let text = std::fs::read_to_string(out.join(page)).unwrap_or_else(|err| panic!("{page}: {err}"));
        assert!(text.contains(".TH"), "{page} is not a man page");
    }
    assert!(!out.join("forgectl-local-balancer.1").exists(), "hidden commands get no page");
    assert_eq!(std::fs::read_dir(&out).map(Iterator::count).unwrap_or_default(), written);
}
