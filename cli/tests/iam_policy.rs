//! `iam-policy --for COMMAND` against what COMMAND really calls: plan,
//! provision, deploy, destroy and the CI plan job run on the emulator, each
//! signing with an access key of its own; the plug-in's request log for
//! that key lists every AWS call, and each must be allowed by the policy
//! the binary prints (actions with wildcards, and the resource ARN where
//! the request names one). Conditions are not evaluated: the emulator
//! checks no tags either. Every request is then checked against botocore's
//! models (dev/tests/request_shapes.py): what AWS would reject as malformed.

mod common;
mod deploy_support;

use common::{assert_success, text, CpEnv};
use deploy_support::*;
use serde_json::Value;

/// moto's account for keys it does not know.
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn access_key(label: &str) -> String {
    common::unique(&format!("AKIAFC{label}")).to_uppercase().replace('-', "")
}

fn logged_calls(sdk: &Sdk, key: &str) -> Vec<Value> {
    let url = format!("{}/forgectl-plugin/requests?access_key={key}", common::aws_endpoint().trim_end_matches('/'));
    let answer: Value = sdk
        .runtime
        .block_on(async { reqwest::Client::new().get(&url).send().await?.json().await })
        .unwrap_or_else(|err| panic!("{url}: {err}"));
    answer["requests"].as_array().cloned().unwrap_or_default()
}

/// The IAM actions a call needs. The signing name is the IAM prefix except
/// for CloudWatch (`monitoring`); the MSK topic API is authorised with
/// `kafka-cluster:` actions (MSK developer guide, "Topic Operations").
fn iam_actions(service: &str, operation: &str) -> Vec<String> {
    let topic = |actions: &[&str]| actions.iter().map(|action| format!("kafka-cluster:{action}")).collect();
    match (service, operation) {
        ("kafka", "ListTopics") => topic(&["Connect", "DescribeTopic"]),
        ("kafka", "DescribeTopic" | "DescribeTopicPartitions") => {
            topic(&["Connect", "DescribeTopic", "DescribeTopicDynamicConfiguration"])
        }
        ("kafka", "CreateTopic") => topic(&["Connect", "CreateTopic"]),
        ("kafka", "UpdateTopic") => topic(&["Connect", "AlterTopic", "AlterTopicDynamicConfiguration"]),
        ("monitoring", _) => vec![format!("cloudwatch:{operation}")],
        _ => vec![format!("{service}:{operation}")],
    }
}

fn arn(service: &str, resource: &str) -> String {
    format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}")
}

/// The resource a call is about, where its parameters name it; None for
/// calls by ID (EC2) or without a resource (List*, Describe* of many).
fn resource(call: &Value) -> Option<String> {
    let params = &call["params"];
    let param = |name: &str| params[name].as_str().map(str::to_string);
    let operation = call["operation"].as_str().unwrap_or_default();
    match call["service"].as_str().unwrap_or_default() {
        "kafka" => match operation {
            "CreateClusterV2" => Some(arn("kafka", &format!("cluster/{}/new", param("ClusterName")?))),
            "DescribeTopic" | "DescribeTopicPartitions" | "CreateTopic" | "UpdateTopic" => {
                Some(format!("{}/{}", param("ClusterArn")?.replacen(":cluster/", ":topic/", 1), param("TopicName")?))
            }
            "ListClustersV2" | "ListConfigurations" | "CreateConfiguration" | "DescribeClusterOperation" => None,
            _ => param("ClusterArn").or_else(|| param("Arn")).or_else(|| param("ResourceArn")),
        },
        "ssm" => param("Name")
            .or_else(|| param("ResourceId"))
            .or_else(|| param("Path").map(|path| path.trim_end_matches('/').to_string()))
            .map(|name| {
                arn("ssm", &format!("parameter{name}"))
                    .replace(&format!(":{ACCOUNT}:parameter/aws/"), "::parameter/aws/")
            }),
        "iam" => match (param("InstanceProfileName"), param("RoleName")) {
            (Some(profile), _) => Some(format!("arn:aws:iam::{ACCOUNT}:instance-profile/{profile}")),
            (None, Some(role)) => Some(format!("arn:aws:iam::{ACCOUNT}:role/{role}")),
            _ => None,
        },
        "autoscaling" if !operation.starts_with("Describe") => param("AutoScalingGroupName")
            .map(|name| arn("autoscaling", &format!("autoScalingGroup:uuid:autoScalingGroupName/{name}"))),
        "ecr" => param("repositoryName").map(|name| arn("ecr", &format!("repository/{name}"))),
        "elasticloadbalancing" if !operation.starts_with("Describe") => match operation {
            "CreateLoadBalancer" => {
                Some(arn("elasticloadbalancing", &format!("loadbalancer/app/{}/id", param("Name")?)))
            }
            "CreateTargetGroup" => Some(arn("elasticloadbalancing", &format!("targetgroup/{}/id", param("Name")?))),
            _ => ["RuleArn", "ListenerArn", "TargetGroupArn", "LoadBalancerArn"].iter().find_map(|name| param(name)),
        },
        "monitoring" => match operation {
            "PutMetricAlarm" => Some(arn("cloudwatch", &format!("alarm:{}", param("AlarmName")?))),
            "DeleteAlarms" => Some(arn("cloudwatch", &format!("alarm:{}", params["AlarmNames"][0].as_str()?))),
            "GetDashboard" | "PutDashboard" => {
                Some(format!("arn:aws:cloudwatch::{ACCOUNT}:dashboard/{}", param("DashboardName")?))
            }
            "DeleteDashboards" => {
                Some(format!("arn:aws:cloudwatch::{ACCOUNT}:dashboard/{}", params["DashboardNames"][0].as_str()?))
            }
            _ => param("ResourceARN"),
        },
        "secretsmanager" if operation != "GetRandomPassword" => param("SecretId").or_else(|| param("Name")).map(|id| {
            if id.starts_with("arn:") {
                id
            } else {
                arn("secretsmanager", &format!("secret:{id}-AbCdEf"))
            }
        }),
        "kms" => match operation {
            "CreateAlias" | "DeleteAlias" => Some(arn("kms", &param("AliasName")?)),
            // A key named by its alias is authorised as the key behind it, which the request does not name.
            _ => param("KeyId").filter(|id| !id.starts_with("alias/")).map(|id| {
                if id.starts_with("arn:") {
                    id
                } else {
                    arn("kms", &format!("key/{id}"))
                }
            }),
        },
        "sns" => match operation {
            "CreateTopic" => Some(arn("sns", &param("Name")?)),
            _ => param("TopicArn").or_else(|| param("ResourceArn")).or_else(|| param("SubscriptionArn")),
        },
        _ => None,
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` one.
fn glob(pattern: &str, value: &str) -> bool {
    let (pattern, value): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    let (mut p, mut v, mut star, mut mark) = (0, 0, None, 0);
    while v < value.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == value[v]) {
            p += 1;
            v += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = v;
            p += 1;
        } else if let Some(position) = star {
            p = position + 1;
            mark += 1;
            v = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many.iter().filter_map(|item| item.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn allows(policy: &Value, action: &str, resource: Option<&str>) -> bool {
    policy["Statement"].as_array().into_iter().flatten().any(|statement| {
        statement["Effect"] == "Allow"
            && strings(&statement["Action"]).iter().any(|pattern| glob(&pattern.to_lowercase(), &action.to_lowercase()))
            && resource
                .is_none_or(|resource| strings(&statement["Resource"]).iter().any(|pattern| glob(pattern, resource)))
    })
}

/// Every call the policy would refuse, as `service:Operation on resource`.
fn refused(policy: &Value, calls: &[Value]) -> Vec<String> {
    let mut refused = Vec::new();
    for call in calls {
        let (service, operation) = (call["service"].as_str().unwrap_or("?"), call["operation"].as_str().unwrap_or("?"));
        let resource = resource(call);
        for action in iam_actions(service, operation) {
            if !allows(policy, &action, resource.as_deref()) {
                refused.push(format!("{action} on {}", resource.as_deref().unwrap_or("(no resource in the request)")));
            }
        }
    }
    refused.sort();
    refused.dedup();
    refused
}

#[test]
fn every_call_of_each_command_is_allowed_by_its_printed_policy_and_well_formed() {
    let prefix = common::unique("fi");
    let mut env = CpEnv::with_settings("iam", &settings(&prefix));
    let sdk = Sdk::new();
    let version = common::unique("v-");
    let run = |key: &str, args: &[&str]| {
        let output = env
            .forgectl()
            .env("AWS_ACCESS_KEY_ID", key)
            .env(PASSWORD_ENV, PASSWORD)
            .env(MONGO_PASSWORD_ENV, MONGO_PASSWORD)
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("run forgectl: {err}"));
        assert_success(&output, args);
    };
    let keys: Vec<(&str, String)> = ["plan", "provision", "ci-plan", "deploy", "destroy"]
        .iter()
        .map(|command| (*command, access_key(command)))
        .collect();
    let key =
        |command: &str| keys.iter().find(|(name, _)| *name == command).map(|(_, key)| key.clone()).unwrap_or_default();

    run(&key("plan"), &["plan", "--tier", "50k"]);
    run(&key("provision"), &["provision", "--tier", "50k", "--yes"]);
    run(&key("ci-plan"), &["plan", "--tier", "50k", "--output", "json"]);
    run(&key("ci-plan"), &["topics", "check", "--via", "msk", "--tier", "50k"]);
    assert_success(&env.run(&["images", "init"]), &["images", "init"]);
    sdk.push_images(&version);
    run(&key("deploy"), &["deploy", "--version", &version, "--yes"]);
    run(&key("destroy"), &["destroy", "--yes", "--confirm", &env.name]);
    env.keep = true;

    judge(&env, &sdk, &keys);
}

/// The SCRAM statements (KMS key, secret, association) against a
/// `client_auth: sasl-scram` environment's plan, provision and destroy.
#[test]
fn sasl_scram_calls_are_allowed_by_their_policies_and_well_formed() {
    let mut env = CpEnv::with_settings("iamscram", "    client_auth: sasl-scram\n");
    let sdk = Sdk::new();
    let keys: Vec<(&str, String)> =
        ["plan", "provision", "destroy"].iter().map(|command| (*command, access_key(command))).collect();
    for ((_, key), args) in keys.iter().zip([
        &["plan", "--tier", "50k"][..],
        &["provision", "--tier", "50k", "--yes", "--skip-topics"][..],
        &["destroy", "--yes", "--confirm", &env.name][..],
    ]) {
        let output = env.forgectl().env("AWS_ACCESS_KEY_ID", key).args(args).output();
        assert_success(&output.unwrap_or_else(|err| panic!("run forgectl: {err}")), args);
    }
    env.keep = true;
    judge(&env, &sdk, &keys);
}

/// For each (command, access key): every logged call allowed by
/// `iam-policy --for command`; then all of them checked against botocore.
fn judge(env: &CpEnv, sdk: &Sdk, keys: &[(&str, String)]) {
    let mut problems = Vec::new();
    let mut everything = Vec::new();
    for (command, key) in keys {
        let output = env.forgectl().args(["--output", "json", "iam-policy", "--for", command]).output();
        let output = output.unwrap_or_else(|err| panic!("{err}"));
        assert_success(&output, &["iam-policy", "--for", command]);
        let policy: Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("{err}: {}", text(&output.stdout)));
        let calls = logged_calls(sdk, key);
        assert!(calls.len() > 2, "{command}: only {} calls logged for {key}", calls.len());
        assert!(
            calls.iter().all(|call| call.get("params").is_some()),
            "the emulator logs no request parameters: restart moto (dev/stack down && dev/stack up) from this checkout"
        );
        for refusal in refused(&policy, &calls) {
            problems.push(format!("{command}: {refusal}"));
        }
        everything.extend(calls);
    }
    assert!(problems.is_empty(), "calls the printed policies do not allow:\n{}", problems.join("\n"));

    let log = env.dir.path().join("requests.json");
    std::fs::write(&log, Value::Array(everything).to_string()).unwrap_or_else(|err| panic!("{err}"));
    let checker = common::repo_root().join("dev/tests/request_shapes.py");
    let python = common::repo_root().join("dev/.cache/venv/bin/python");
    let output = std::process::Command::new(python).arg(checker).arg(&log).output();
    let output = output.unwrap_or_else(|err| panic!("run the request checker: {err}"));
    eprintln!("{}", text(&output.stdout));
    assert!(output.status.success(), "requests AWS would reject:\n{}{}", text(&output.stdout), text(&output.stderr));
}

#[test]
fn the_policy_matcher_follows_iam_wildcards() {
    assert!(glob("arn:aws:kafka:*:*:cluster/fc-1/*", "arn:aws:kafka:us-east-1:1:cluster/fc-1/abc"));
    assert!(!glob("arn:aws:kafka:*:*:cluster/fc-1/*", "arn:aws:kafka:us-east-1:1:cluster/fc-10/abc"));
    assert!(glob("ec2:Describe*", "ec2:DescribeSubnets") && glob("*", "anything") && glob("a?c", "abc"));
    assert!(!glob("ec2:Describe*", "ec2:CreateTags"));
}

#[test]
fn the_policy_is_the_same_json_in_both_output_forms_and_needs_no_aws() {
    let mut env = CpEnv::offline("iamout", "    name_prefix: fc-out\n");
    env.keep = true; // nothing to destroy: no AWS call is made
    let table = env.run(&["iam-policy", "--for", "deploy"]);
    let json = env.run(&["--output", "json", "iam-policy", "--for", "deploy"]);
    assert_success(&table, &["iam-policy"]);
    assert_eq!(text(&table.stdout), text(&json.stdout));
    let policy: Value = serde_json::from_slice(&json.stdout).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(policy["Version"], "2012-10-17");
    assert!(text(&json.stdout).contains("autoScalingGroupName/fc-out-*"), "{}", text(&json.stdout));

    // The replay's judge: another environment's group and an action nobody granted are refused.
    let call = |service: &str, operation: &str, params: Value| serde_json::json!({"service": service, "operation": operation, "params": params});
    let calls = [
        call("autoscaling", "UpdateAutoScalingGroup", serde_json::json!({"AutoScalingGroupName": "fc-out-producer"})),
        call("autoscaling", "UpdateAutoScalingGroup", serde_json::json!({"AutoScalingGroupName": "other-producer"})),
        call("elasticloadbalancing", "DescribeLoadBalancers", serde_json::json!({})),
        call("iam", "CreateUser", serde_json::json!({"UserName": "x"})),
    ];
    assert_eq!(
        refused(&policy, &calls),
        [
            "autoscaling:UpdateAutoScalingGroup on arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/other-producer",
            "iam:CreateUser on (no resource in the request)",
        ]
    );

    let local_config = format!(
        "environments:\n  {}:\n    provider: local\n    kafka:\n      bootstrap_servers: 127.0.0.1:9\n",
        env.name
    );
    std::fs::write(&env.config, local_config).unwrap_or_else(|err| panic!("{err}"));
    let local = &env;
    let refused = local.run(&["iam-policy", "--for", "plan"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("local provider"), "{}", text(&refused.stderr));
}
