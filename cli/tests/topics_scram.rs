//! `topics sync` and `topics check` over the local stack's SASL_SSL listener
//! (SCRAM-SHA-512) with a `forgectl.yaml` that names the login, and a wrong
//! password that fails clearly without printing it. Needs `dev/stack up` and
//! `eval "$(dev/stack env)"` (KAFKA_SASL_*).

mod topics_support;

use topics_support::*;

fn required(variable: &str) -> String {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{variable} is not set: run dev/stack up && eval \"$(dev/stack env)\""),
    }
}

/// A local environment on the SASL_SSL listener; the password stays in the
/// variable the config names.
fn scram_config(fx: &Fixture) -> Vec<String> {
    required("KAFKA_SASL_BOOTSTRAP_SERVERS");
    required("KAFKA_SASL_USERNAME");
    let path = fx.dir.path().join("forgectl.yaml");
    let yaml = "default_environment: scram\nenvironments:\n  scram:\n    provider: local\n    kafka:\n      \
                bootstrap_servers: \"${KAFKA_SASL_BOOTSTRAP_SERVERS}\"\n      security_protocol: SASL_SSL\n      \
                ssl_ca_location: \"${KAFKA_TLS_CA_LOCATION}\"\n      sasl_username: \"${KAFKA_SASL_USERNAME}\"\n      \
                sasl_password_env: FORGECTL_TEST_SCRAM_PASSWORD\n";
    std::fs::write(&path, yaml).unwrap_or_else(|err| panic!("write config: {err}"));
    vec!["--config".into(), path.display().to_string(), "--env".into(), "scram".into()]
}

#[test]
fn sync_and_check_over_scram_and_a_wrong_password_fails_without_showing_it() {
    let fx = Fixture::new("scram");
    let target = scram_config(&fx);
    let password = required("KAFKA_SASL_PASSWORD");

    let sync = fx
        .command(&target, &["topics", "sync", "--tier", "50k", "--output", "json"])
        .env("FORGECTL_TEST_SCRAM_PASSWORD", &password)
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(sync.status.code(), Some(0), "sync: {}", stderr(&sync));
    let report: serde_json::Value = serde_json::from_slice(&sync.stdout).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(report["backend"], "kafka");
    assert_eq!(report["applied"].as_array().map(Vec::len), Some(10), "{report}");
    // Seen by an independent client on the plaintext listener.
    let topics = fx.topics_when(|t| t.len() == 10);
    assert_eq!(topics.len(), 10, "{topics:?}");

    let check = fx
        .command(&target, &["topics", "check", "--tier", "50k", "--output", "json"])
        .env("FORGECTL_TEST_SCRAM_PASSWORD", &password)
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(check.status.code(), Some(0), "check: {}", stderr(&check));

    let wrong = "not-the-scram-password-4711";
    let refused = fx
        .command(&target, &["topics", "check", "--tier", "50k"])
        .env("FORGECTL_TEST_SCRAM_PASSWORD", wrong)
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let said = format!("{}{}", String::from_utf8_lossy(&refused.stdout), stderr(&refused));
    assert_eq!(refused.status.code(), Some(1), "wrong password: {said}");
    assert!(said.to_lowercase().contains("authentication"), "names the cause: {said}");
    assert!(!said.contains(wrong) && !said.contains(&password), "a password was printed: {said}");

    let unset = fx
        .command(&target, &["topics", "check", "--tier", "50k"])
        .env_remove("FORGECTL_TEST_SCRAM_PASSWORD")
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(stderr(&unset).contains("FORGECTL_TEST_SCRAM_PASSWORD"), "names the variable: {}", stderr(&unset));
    assert_ne!(unset.status.code(), Some(0));
}
