//! `forgectl api-keys` against the emulator's SSM: keys are created once and
//! shown once, listed by name only, revoked, and stored in the one
//! parameter the instances read at boot.

mod common;

use common::{text, CpEnv};
use serde_json::Value;

fn json(env: &CpEnv, args: &[&str]) -> (Option<i32>, Value, String) {
    let output =
        env.forgectl().args(["--output", "json", "api-keys"]).args(args).output().unwrap_or_else(|e| panic!("{e}"));
    let value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code(), value, text(&output.stderr))
}

fn stored(env: &CpEnv) -> Option<String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
        let ssm = aws_sdk_ssm::Client::new(&config);
        let name = format!("/forgectl/{}/PRODUCER_API_KEYS", env.name);
        let answer = ssm.get_parameter().name(name).with_decryption(true).send().await.ok()?;
        answer.parameter().and_then(|p| p.value()).map(str::to_string)
    })
}

#[test]
fn keys_are_created_once_listed_by_name_and_revoked() {
    let env = CpEnv::new("keys");
    let (code, report, stderr) = json(&env, &["list"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["names"], serde_json::json!([]));

    let (code, report, stderr) = json(&env, &["create", "ios"]);
    assert_eq!(code, Some(0), "{stderr}");
    let ios_key = report["created"]["key"].as_str().unwrap_or_default().to_string();
    assert_eq!(ios_key.len(), 64, "{report:#}");
    assert_eq!(stored(&env), Some(format!("ios:{ios_key}")), "the producers' own format");

    let (code, _, stderr) = json(&env, &["create", "ios"]);
    assert_eq!(code, Some(2), "a name in use is refused: {stderr}");
    assert!(stderr.contains("revoke it first"), "{stderr}");
    let (code, _, _) = json(&env, &["create", "Bad:Name"]);
    assert_eq!(code, Some(2));

    let (code, report, _) = json(&env, &["create", "android"]);
    assert_eq!(code, Some(0));
    let android_key = report["created"]["key"].as_str().unwrap_or_default().to_string();
    let output = env.forgectl().args(["api-keys", "list"]).output().unwrap_or_else(|e| panic!("{e}"));
    let listed = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(listed.contains("android, ios"), "{listed}");
    assert!(!listed.contains(&ios_key) && !listed.contains(&android_key), "list never prints a key");

    let (code, report, _) = json(&env, &["revoke", "ios"]);
    assert_eq!((code, report["names"].clone()), (Some(0), serde_json::json!(["android"])));
    assert_eq!(stored(&env), Some(format!("android:{android_key}")));
    let (code, _, _) = json(&env, &["revoke", "ios"]);
    assert_eq!(code, Some(2), "revoking an unknown name is bad input");
    let (code, report, _) = json(&env, &["revoke", "android"]);
    assert_eq!((code, report["names"].clone()), (Some(0), serde_json::json!([])));
    assert_eq!(stored(&env), None, "no key left: the parameter is gone, so producers refuse to start");
}
