//! Colour follows `--color` and `NO_COLOR`: none in pipes and logs by
//! default, none in JSON ever, and an explicit `--color always` wins over
//! `NO_COLOR` (the flag is the user's latest word).

use std::process::Output;

use assert_cmd::Command;

const ESCAPE: char = '\x1b';

fn forgectl(args: &[&str], no_color: Option<&str>) -> Output {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
    let mut command = Command::cargo_bin("forgectl").unwrap_or_else(|err| panic!("{err}"));
    command.current_dir(dir.path()).env_remove("NO_COLOR").env_remove("FORGECTL_ENV").args(args);
    if let Some(value) = no_color {
        command.env("NO_COLOR", value);
    }
    command.output().unwrap_or_else(|err| panic!("{err}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn a_pipe_gets_no_colour_by_default() {
    let output = forgectl(&["profiles", "list"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stdout(&output).contains(ESCAPE), "{}", stdout(&output));
}

#[test]
fn always_colours_the_table_headers_even_with_no_color_set() {
    for no_color in [None, Some("1")] {
        let output = forgectl(&["--color", "always", "profiles", "list"], no_color);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(stdout(&output).contains("\x1b[1m TIER"), "NO_COLOR={no_color:?}: {}", stdout(&output));
    }
}

#[test]
fn json_is_never_coloured() {
    let output = forgectl(&["--color", "always", "--output", "json", "profiles", "list"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stdout(&output).contains(ESCAPE));
    let parsed: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("not JSON: {err}"));
    assert!(parsed.is_array() || parsed.is_object());
}

#[test]
fn errors_and_hints_are_coloured_only_when_asked() {
    let coloured = forgectl(&["--color", "always", "--env", "nope", "status"], None);
    assert_eq!(coloured.status.code(), Some(2));
    let text = stderr(&coloured);
    assert!(text.contains("error:\x1b[0m") && text.contains("hint:\x1b[0m"), "{text:?}");

    let plain = forgectl(&["--color", "never", "--env", "nope", "status"], None);
    assert!(stderr(&plain).starts_with("error: "), "{}", stderr(&plain));
    assert!(!stderr(&plain).contains(ESCAPE));
}
