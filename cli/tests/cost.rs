//! `forgectl cost` run as a user would: the real binary, the repository's
//! profiles and price table. The figures are the totals computed by hand in
//! cli/src/cost/tests.rs (us-east-1 table, production sizes, 730-hour months).

mod common;

use assert_cmd::Command;
use common::{assert_success, text, CpEnv};
use serde_json::Value;

fn forgectl() -> Command {
    let mut command = Command::cargo_bin("forgectl").unwrap_or_else(|err| panic!("forgectl binary: {err}"));
    // No config file in a temporary directory: the implicit environment, no
    // region, production sizes; the repository's profiles.
    let dir = std::env::temp_dir();
    command
        .current_dir(dir)
        .env("CI", "true")
        .env_remove("FORGECTL_ENV")
        .env_remove("FORGECTL_CONFIG")
        .env("FORGECTL_PROFILES_DIR", common::repo_root().join("profiles"));
    command
}

fn cost_json(tier: &str) -> Value {
    let output = forgectl().args(["cost", "--tier", tier, "--output", "json"]).output();
    let output = output.unwrap_or_else(|err| panic!("run forgectl: {err}"));
    assert_success(&output, &["cost", "--tier", tier]);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("cost JSON ({err}): {}", text(&output.stdout)))
}

/// (tier, monthly min, monthly max), by hand.
const TOTALS: [(&str, f64, f64); 5] = [
    ("25k", 1029.02, 1945.62),
    ("50k", 1302.91, 3528.98),
    ("75k", 1838.73, 4850.47),
    ("100k", 2851.30, 7041.53),
    ("200k", 4792.61, 9768.52),
];

#[test]
fn every_tier_costs_what_was_computed_by_hand() {
    for (tier, min, max) in TOTALS {
        let report = cost_json(tier);
        assert_eq!(report["tier"], tier);
        assert_eq!((report["monthly_min"].as_f64(), report["monthly_max"].as_f64()), (Some(min), Some(max)), "{tier}");
    }
}

#[test]
fn the_json_states_its_prices_and_every_line() {
    let report = cost_json("100k");
    assert_eq!(report["region"], "us-east-1");
    assert_eq!(report["currency"], "USD");
    assert_eq!(report["prices"], "table");
    assert_eq!(report["price_date"], "2026-12-01");
    assert_eq!(report["instance_size"], "production");
    assert_eq!(report["hours_per_month"], 730.0);
    assert!(report["price_source"].as_array().is_some_and(|sources| !sources.is_empty()));
    assert!(report["not_counted"].as_array().is_some_and(|items| !items.is_empty()));
    assert!(report["traffic"]["uploads_per_second_peak"].as_f64().is_some());
    let lines = report["lines"].as_array().unwrap_or_else(|| panic!("lines: {report}"));
    let categories: Vec<&str> = lines.iter().filter_map(|line| line["category"].as_str()).collect();
    for category in ["msk", "ec2", "load-balancer", "data-transfer"] {
        assert!(categories.contains(&category), "{category} in {categories:?}");
    }
    for line in lines {
        for key in ["item", "unit", "unit_price", "quantity_min", "quantity_max", "monthly_min", "monthly_max"] {
            assert!(!line[key].is_null(), "{key} in {line}");
        }
    }
    // The lines add up to the totals, to the cent.
    let sum = |key: &str| lines.iter().filter_map(|line| line[key].as_f64()).sum::<f64>();
    assert!((sum("monthly_min") - 2851.30).abs() < 0.005);
    assert!((sum("monthly_max") - 7041.53).abs() < 0.005);
}

#[test]
fn the_table_names_the_source_and_the_totals() {
    let output = forgectl().args(["cost", "--tier", "50k"]).output().unwrap_or_else(|err| panic!("{err}"));
    assert_success(&output, &["cost", "--tier", "50k"]);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("$1302.91 at the ladder's minimum, $3528.98 at its maximum"), "{stdout}");
    assert!(stdout.contains("price table dated 2026-12-01"), "{stdout}");
    assert!(stdout.contains("kafka.m7g.large"), "{stdout}");
}

#[test]
fn an_unknown_tier_is_bad_input() {
    let output = forgectl().args(["cost", "--tier", "3k"]).output().unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
    assert!(text(&output.stderr).contains("3k"), "{}", text(&output.stderr));
}

#[test]
fn a_region_without_a_price_table_is_bad_input_with_a_hint() {
    let output = forgectl().args(["cost", "--tier", "50k", "--region", "eu-north-1"]).output();
    let output = output.unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("eu-north-1") && stderr.contains("--live"), "{stderr}");
}

#[test]
fn dev_sized_environments_are_priced_with_the_dev_instances() {
    let env = CpEnv::offline("cost-dev", "    services:\n      instance_size: dev\n");
    let report = env.json(&["cost"]);
    // The environment's tier (50k) with t3.small: producer 2–5 × 730 × 0.0208 = 30.368 → 30.37, 75.92.
    assert_eq!(report["tier"], "50k");
    let producer = report["lines"]
        .as_array()
        .and_then(|lines| lines.iter().find(|line| line["item"].as_str().is_some_and(|i| i.starts_with("producer:"))))
        .cloned()
        .unwrap_or_else(|| panic!("producer line: {report}"));
    assert_eq!((producer["monthly_min"].as_f64(), producer["monthly_max"].as_f64()), (Some(30.37), Some(75.92)));
}

/// `plan` on the emulator: the environment is at 50k, the plan asks for
/// 100k, and the report carries the monthly change (hand-computed totals'
/// difference). Reads only; needs the local stack's AWS emulator.
#[test]
fn plan_shows_the_monthly_change_of_a_tier_switch() {
    let env = CpEnv::new("cost-plan");
    let report = env.json(&["plan", "--tier", "100k"]);
    let cost = &report["cost"];
    assert_eq!(cost["status"], "priced", "{report}");
    assert_eq!((cost["from_tier"].as_str(), cost["to_tier"].as_str()), (Some("50k"), Some("100k")));
    // 2851.30 − 1302.91 = 1548.39; 7041.53 − 3528.98 = 3512.55.
    assert_eq!((cost["change_min"].as_f64(), cost["change_max"].as_f64()), (Some(1548.39), Some(3512.55)));
    let table = env.run(&["plan", "--tier", "100k"]);
    let stdout = text(&table.stdout);
    assert!(stdout.contains("Monthly cost: tier 50k $1302.91–$3528.98 → tier 100k $2851.30–$7041.53"), "{stdout}");
    assert!(stdout.contains("+$1548.39–+$3512.55"), "{stdout}");
}
