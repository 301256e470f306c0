use std::time::{SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use base64::Engine;

use super::*;

fn iam() -> MskIam {
    let credentials =
        AwsCredentials::from_keys("AKIDFORGECTLTEST", "forgectl-secret-key", Some("forgectl-session".into()));
    MskIam::with_credentials("ap-south-1", SharedCredentialsProvider::new(credentials))
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

fn decoded(token: &str) -> String {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .unwrap_or_else(|err| panic!("the token is not unpadded URL-safe base64: {err}"));
    String::from_utf8(bytes).unwrap_or_else(|err| panic!("the token is not a UTF-8 URL: {err}"))
}

#[test]
fn the_token_is_a_signed_connect_url_for_the_region() {
    let before = now_ms();
    let token = iam().token().unwrap_or_else(|err| panic!("{err}"));
    let url = decoded(&token.token);
    assert!(url.starts_with("https://kafka.ap-south-1.amazonaws.com/?"), "{url}");
    assert!(url.contains("Action=kafka-cluster%3AConnect"), "{url}");
    assert!(url.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256"), "{url}");
    assert!(url.contains("X-Amz-Credential=AKIDFORGECTLTEST%2F"), "{url}");
    assert!(url.contains("%2Fap-south-1%2Fkafka-cluster%2Faws4_request"), "{url}");
    assert!(url.contains("X-Amz-Security-Token=forgectl-session"), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert!(!url.contains("forgectl-secret-key"), "the secret key travels: {url}");
    assert_eq!(token.principal_name, MSK_IAM_PRINCIPAL);
    // Signed now (second resolution), valid for 15 minutes.
    let lifetime = token.lifetime_ms - before;
    assert!((899_000..=901_000).contains(&lifetime), "lifetime {lifetime} ms after signing");
}

#[test]
fn the_callback_answers_from_inside_a_runtime() {
    // librdkafka may call back on a tokio worker: signing must not need,
    // or block, the caller's runtime.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let context = AuthContext { iam: Some(iam()) };
    let token = runtime.block_on(async { context.generate_oauth_token(None) });
    assert!(token.is_ok_and(|token| token.lifetime_ms > now_ms()));
}

#[test]
fn a_client_without_iam_settings_refuses_to_invent_a_token() {
    let err = AuthContext::default().generate_oauth_token(None).err().map(|err| err.to_string());
    assert!(err.is_some_and(|err| err.contains("no MSK IAM settings")));
}

#[test]
fn rdkafka_is_told_sasl_ssl_and_oauthbearer() {
    let mut cfg = ClientConfig::new();
    iam().apply(&mut cfg);
    assert_eq!(cfg.get("security.protocol"), Some("sasl_ssl"));
    assert_eq!(cfg.get("sasl.mechanisms"), Some("OAUTHBEARER"));
    assert!(!format!("{:?}", iam()).contains("AKID"), "credentials in Debug");
}
