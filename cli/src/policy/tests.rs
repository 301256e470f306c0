use crate::config::{ClientAuth, Environment};
use crate::ops::iam_policy::{iam_policy, IamPolicyError, PolicyCommand};

use crate::config::test_support::load_environment as load;

fn environment(client_auth: ClientAuth) -> Environment {
    let mut environment = load("environments:\n  prod:\n    provider: aws\n    region: eu-west-1\n");
    environment.name_prefix = "forgectl-prod".into();
    environment.client_auth = client_auth;
    environment
}

fn policy(command: PolicyCommand) -> serde_json::Value {
    let document = iam_policy(&environment(ClientAuth::Unauthenticated), command).unwrap_or_else(|err| panic!("{err}"));
    serde_json::to_value(document).unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn the_document_follows_the_iam_grammar() {
    for command in [
        PolicyCommand::Plan,
        PolicyCommand::Provision,
        PolicyCommand::Deploy,
        PolicyCommand::Destroy,
        PolicyCommand::CiPlan,
    ] {
        let document = policy(command);
        assert_eq!(document["Version"], "2012-10-17");
        let statements = document["Statement"].as_array().unwrap_or_else(|| panic!("{document}"));
        let mut sids = std::collections::BTreeSet::new();
        for statement in statements {
            let sid = statement["Sid"].as_str().unwrap_or_default();
            assert!(!sid.is_empty() && sid.chars().all(|c| c.is_ascii_alphanumeric()), "{statement}");
            assert!(sids.insert(sid.to_string()), "{sid} twice in {command:?}");
            assert_eq!(statement["Effect"], "Allow");
            for action in statement["Action"].as_array().into_iter().flatten() {
                let action = action.as_str().unwrap_or_default();
                let (service, name) = action.split_once(':').unwrap_or_else(|| panic!("{action}"));
                assert!(!service.is_empty() && name.chars().next().is_some_and(|c| c.is_ascii_uppercase()), "{action}");
            }
            for resource in statement["Resource"].as_array().into_iter().flatten() {
                let resource = resource.as_str().unwrap_or_default();
                assert!(resource == "*" || resource.starts_with("arn:aws:"), "{resource}");
            }
        }
    }
}

#[test]
fn resources_carry_the_environment_names_region_and_tags() {
    let text = policy(PolicyCommand::Deploy).to_string();
    assert!(text.contains("arn:aws:kafka:eu-west-1:*:cluster/forgectl-prod/*"), "{text}");
    assert!(text.contains("arn:aws:ssm:eu-west-1:*:parameter/forgectl/prod/*"), "{text}");
    assert!(text.contains("arn:aws:iam::*:role/forgectl-prod-instance"), "{text}");
    assert!(text.contains("autoScalingGroupName/forgectl-prod-*"), "{text}");
    assert!(text.contains("\"aws:ResourceTag/forgectl:env\":[\"prod\"]"), "{text}");
    assert!(text.contains("\"aws:RequestTag/forgectl:env\":[\"prod\"]"), "{text}");
}

#[test]
fn read_only_commands_grant_no_change() {
    for command in [PolicyCommand::Plan, PolicyCommand::CiPlan] {
        let document = iam_policy(&environment(ClientAuth::SaslScram), command).unwrap_or_else(|err| panic!("{err}"));
        let writes: Vec<&str> = document
            .actions()
            .into_iter()
            .filter(|action| {
                let name = action.split_once(':').map(|(_, name)| name).unwrap_or(action);
                !["Describe", "List", "Get", "Connect"].iter().any(|read| name.starts_with(read))
            })
            .collect();
        assert!(writes.is_empty(), "{command:?} grants {writes:?}");
    }
}

#[test]
fn scram_statements_only_for_scram_environments() {
    let plain =
        iam_policy(&environment(ClientAuth::Iam), PolicyCommand::Provision).unwrap_or_else(|err| panic!("{err}"));
    assert!(!plain.actions().iter().any(|action| action.starts_with("secretsmanager:")));
    let scram =
        iam_policy(&environment(ClientAuth::SaslScram), PolicyCommand::Provision).unwrap_or_else(|err| panic!("{err}"));
    assert!(scram.actions().contains(&"secretsmanager:CreateSecret"));
    assert!(scram.actions().contains(&"kafka:BatchAssociateScramSecret"));
    // Destroy removes a secret left from an earlier sasl-scram setting.
    let destroy =
        iam_policy(&environment(ClientAuth::Iam), PolicyCommand::Destroy).unwrap_or_else(|err| panic!("{err}"));
    assert!(destroy.actions().contains(&"secretsmanager:DeleteSecret"));
}

#[test]
fn a_local_environment_needs_no_policy() {
    let local =
        load("environments:\n  dev:\n    provider: local\n    kafka:\n      bootstrap_servers: 127.0.0.1:9092\n");
    assert!(matches!(iam_policy(&local, PolicyCommand::Plan), Err(IamPolicyError::LocalProvider { .. })));
}
