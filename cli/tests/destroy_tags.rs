//! `destroy` deletes only what carries the environment's tags. Resources
//! that merely have the names forgectl would give them (made by hand, by
//! another tool, or by the runbooks) are reported and left alone. Checked
//! on the emulator with resources created by plain AWS calls.

mod common;
mod deploy_support;

use common::{assert_success, text, CpEnv};
use deploy_support::*;

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

#[test]
fn destroy_leaves_untagged_lookalikes_alone_and_says_so() {
    let prefix = common::unique("fc");
    let env = CpEnv::with_settings("lookalike", &settings(&prefix));
    let sdk = Sdk::new();
    let parameter = format!("/forgectl/{}/HAND_MADE", env.name);
    let role = format!("{prefix}-instance");
    let template = format!("{prefix}-producer");
    let run = |what: &str, result: Result<(), String>| result.unwrap_or_else(|err| panic!("{what}: {err}"));

    run(
        "put parameter",
        sdk.runtime
            .block_on(sdk.ssm.put_parameter().name(&parameter).value("x").r#type("String".into()).send())
            .map(drop)
            .map_err(|err| format!("{err:?}")),
    );
    run(
        "create role",
        sdk.runtime
            .block_on(sdk.iam.create_role().role_name(&role).assume_role_policy_document(TRUST_POLICY).send())
            .map(drop)
            .map_err(|err| format!("{err:?}")),
    );
    let data = aws_sdk_ec2::types::RequestLaunchTemplateData::builder().image_id("ami-12345678").build();
    run(
        "create launch template",
        sdk.runtime
            .block_on(
                sdk.ec2.create_launch_template().launch_template_name(&template).launch_template_data(data).send(),
            )
            .map(drop)
            .map_err(|err| format!("{err:?}")),
    );

    let output = env.destroy();
    assert_success(&output, &["destroy"]);
    let stderr = text(&output.stderr);
    for what in [format!("parameter {parameter}"), format!("iam role {role}"), format!("launch template {template}")] {
        assert!(stderr.contains(&format!("{what} is not tagged as forgectl's")), "{what}:\n{stderr}");
    }

    // All three are still there; the test removes them itself.
    let parameter_left = sdk.runtime.block_on(sdk.ssm.get_parameter().name(&parameter).send());
    assert!(parameter_left.is_ok(), "the parameter was deleted");
    let role_left = sdk.runtime.block_on(sdk.iam.get_role().role_name(&role).send());
    assert!(role_left.is_ok(), "the role was deleted");
    let template_left =
        sdk.runtime.block_on(sdk.ec2.describe_launch_templates().launch_template_names(&template).send());
    assert!(template_left.is_ok_and(|found| found.launch_templates().len() == 1), "the launch template was deleted");

    let _ = sdk.runtime.block_on(sdk.ssm.delete_parameter().name(&parameter).send());
    let _ = sdk.runtime.block_on(sdk.iam.delete_role().role_name(&role).send());
    let _ = sdk.runtime.block_on(sdk.ec2.delete_launch_template().launch_template_name(&template).send());
}
