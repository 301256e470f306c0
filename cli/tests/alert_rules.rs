//! `forgectl render prometheus` and `render grafana`: the rules pass
//! `promtool check rules`, and every alert passes its unit test in
//! tests/fixtures/prometheus/alerts_test.yml under `promtool test rules`
//! (promtool comes with Debian's prometheus package; dev/setup installs it).

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::Value;

fn forgectl(args: &[&str]) -> String {
    let output = Command::cargo_bin("forgectl")
        .unwrap_or_else(|err| panic!("forgectl binary: {err}"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env("CI", "true")
        .env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:29092")
        .env("DI_POSTGRES_HOST", "127.0.0.1")
        .env("DI_POSTGRES_PORT", "25432")
        .env("DI_POSTGRES_USERNAME", "mobileforge_user")
        .env("DI_POSTGRES_PASSWORD", "alert-rules-test")
        .env("DI_POSTGRES_DATABASE", "api_insights_db")
        .env("DI_POSTGRES_SYNC_DATABASE", "sync_db")
        .env("DI_POSTGRES_SSL_ROOT_CERT", "/stack/tls/ca.pem")
        .env("DI_MONGODB_HOST", "127.0.0.1")
        .env("DI_MONGODB_PORT", "25017")
        .env("DI_MONGODB_DATABASE", "sync_db")
        .args(["--env", "local"])
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(output.status.success(), "forgectl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn promtool(args: &[&str], dir: &Path) -> String {
    let output = Process::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|err| panic!("promtool: {err} (run dev/setup: it installs Debian's prometheus package)"));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

#[test]
fn rendered_rules_pass_promtool_check_and_every_alert_its_unit_test() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let rules = forgectl(&["render", "prometheus", "--tier", "25k"]);
    std::fs::write(dir.path().join("rules.yml"), &rules).unwrap_or_else(|err| panic!("{err}"));
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/prometheus/alerts_test.yml");
    std::fs::copy(&tests, dir.path().join("alerts_test.yml")).unwrap_or_else(|err| panic!("{err}"));

    let checked = promtool(&["check", "rules", "rules.yml"], dir.path());
    assert!(checked.contains("SUCCESS: 12 rules found"), "{checked}");
    promtool(&["test", "rules", "alerts_test.yml"], dir.path());

    // Every alert the rules define has a test of its own.
    let test_text = std::fs::read_to_string(&tests).unwrap_or_else(|err| panic!("{err}"));
    let alerts: Vec<&str> = rules.lines().filter_map(|line| line.trim().strip_prefix("- alert: ")).collect();
    assert!(!alerts.is_empty());
    for alert in alerts {
        assert!(test_text.contains(&format!("alertname: {alert}")), "no promtool test for {alert}");
    }
    assert!(rules.contains("increase(consumer_messages_lost_total[5m])) > 0"), "loss pages at once");
}

#[test]
fn grafana_dashboard_has_the_panels_of_the_aws_dashboard() {
    let dashboard: Value = serde_json::from_str(&forgectl(&["render", "grafana", "--tier", "25k"]))
        .unwrap_or_else(|err| panic!("dashboard JSON: {err}"));
    let titles: Vec<&str> =
        dashboard["panels"].as_array().into_iter().flatten().filter_map(|panel| panel["title"].as_str()).collect();
    assert_eq!(
        titles,
        [
            "Upload rate by kind",
            "Upload latency p50 / p99",
            "Upload answers by status",
            "Messages consumed per topic",
            "Lag per consumer group",
            "Rows written per sink",
            "Dead letters per topic",
            "Instances per role against the ladder",
        ]
    );
    let ladder = &dashboard["panels"][7]["targets"];
    assert!(ladder.as_array().is_some_and(|targets| targets.iter().any(|t| t["expr"] == "vector(4)")), "{ladder}");
    assert_eq!(dashboard["uid"], "forgectl-local");
}
