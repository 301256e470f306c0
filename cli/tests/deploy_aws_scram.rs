//! `client_auth: sasl-scram` through `deploy` on the emulator: the services
//! get SASL_SSL, the mechanism and the user name in their environment, and
//! the password only as the SecureString parameter the boot script reads,
//! holding exactly the login of the secret `provision` created; never in
//! user data or forgectl's output.

mod common;
mod deploy_support;

use base64::Engine;
use common::{assert_success, text, CpEnv};
use deploy_support::{deploy, settings, Sdk};

#[test]
fn a_scram_deploy_hands_the_login_to_the_services_through_ssm_only() {
    let prefix = common::unique("fs");
    let env = CpEnv::with_settings("dscram", &format!("    client_auth: sasl-scram\n{}", settings(&prefix)));
    env.provision("50k");
    assert_success(&env.run(&["images", "init"]), &["images", "init"]);
    let sdk = Sdk::new();
    sdk.push_images("v1");

    let output = deploy(&env, "v1", &[]);
    assert_success(&output, &["deploy"]);

    // The login provision stored in Secrets Manager.
    let config = sdk.runtime.block_on(aws_config::defaults(aws_config::BehaviorVersion::latest()).load());
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let secret_name = format!("AmazonMSK_{prefix}-clients");
    let login: serde_json::Value = sdk
        .runtime
        .block_on(secrets.get_secret_value().secret_id(&secret_name).send())
        .ok()
        .and_then(|answer| answer.secret_string().map(str::to_string))
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| panic!("no readable secret {secret_name}"));
    let password = login["password"].as_str().unwrap_or_else(|| panic!("no password in the secret"));
    let username = login["username"].as_str().unwrap_or_else(|| panic!("no username in the secret"));

    let parameter = sdk
        .runtime
        .block_on(
            sdk.ssm
                .get_parameter()
                .name(format!("/forgectl/{}/DI_KAFKA_SASL_PASSWORD", env.name))
                .with_decryption(true)
                .send(),
        )
        .unwrap_or_else(|err| panic!("the SCRAM password parameter: {err:?}"));
    let stored = parameter.parameter().unwrap_or_else(|| panic!("no parameter"));
    assert_eq!(stored.r#type().map(|kind| kind.as_str()), Some("SecureString"));
    assert_eq!(stored.value(), Some(password), "the parameter holds the secret's password");

    let logs = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(!logs.contains(password), "the SCRAM password reached the output");
    for role in ["producer", "sms-consumer"] {
        let version = sdk.template_version(&format!("{prefix}-{role}"), "1");
        let data = version.launch_template_data().unwrap_or_else(|| panic!("{role}: no data"));
        let user_data = base64::engine::general_purpose::STANDARD
            .decode(data.user_data().unwrap_or_default())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        assert!(user_data.contains("DI_KAFKA_SECURITY_PROTOCOL=SASL_SSL"), "{role}: {user_data}");
        assert!(user_data.contains(&format!("DI_KAFKA_SASL_USERNAME={username}")), "{role}: {user_data}");
        assert!(user_data.contains("DI_KAFKA_SASL_MECHANISM=SCRAM-SHA-512"), "{role}: {user_data}");
        assert!(!user_data.contains(password), "{role}: the SCRAM password is in the user data");
        assert!(!user_data.contains("DI_KAFKA_SASL_PASSWORD="), "{role}: a secret variable is in the user data");
    }
}
