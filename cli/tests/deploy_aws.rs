//! `deploy` on the aws provider against the local stack's emulator (moto
//! plus the forgectl plug-in, which adds instance refresh). Each test has
//! its own environment; what AWS holds is checked with the SDK directly.

mod common;
mod deploy_support;

use std::collections::BTreeMap;

use base64::Engine;
use common::{assert_success, mutating, text, CpEnv};
use deploy_support::*;
use serde_json::Value;

#[test]
fn a_50k_deploy_builds_the_fleet_then_100k_moves_the_ladder_in_place() {
    let (env, sdk, prefix) = deployed_env("fleet");
    let version = common::unique("v1-");
    sdk.push_images(&version);
    let _ = env.take_calls();
    let output = deploy(&env, &version, &[]);
    assert_success(&output, &["deploy"]);
    let logs = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(!logs.contains(PASSWORD), "the password reached the output:\n{logs}");

    // Four groups with the 50k ladder's bounds, each at its minimum.
    assert_eq!(
        group_bounds(&sdk, &env, &prefix),
        ladder(&[
            ("common-consumer", (1, 5)),
            ("events-consumer", (1, 5)),
            ("producer", (2, 5)),
            ("sms-consumer", (2, 8)),
        ])
    );
    let groups = sdk.groups(&env.name);
    let producer = &groups[&format!("{prefix}-producer")];
    assert_eq!(producer.instances().len(), 2);
    assert_eq!(producer.health_check_type(), Some("ELB"));

    // Launch templates: AL2023 AMI from the public parameter, the dev size,
    // the client SG from provision, the instance profile, IMDSv2.
    let ami = sdk
        .runtime
        .block_on(
            sdk.ssm
                .get_parameter()
                .name("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
                .send(),
        )
        .ok()
        .and_then(|output| output.parameter().and_then(|p| p.value()).map(str::to_string))
        .unwrap_or_else(|| panic!("no AL2023 parameter"));
    let client_sg = sdk
        .runtime
        .block_on(
            sdk.ec2
                .describe_security_groups()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-name")
                        .values(format!("{prefix}-clients"))
                        .build(),
                )
                .send(),
        )
        .ok()
        .and_then(|output| output.security_groups().first().and_then(|g| g.group_id()).map(str::to_string))
        .unwrap_or_else(|| panic!("no client SG"));
    for role in ["producer", "sms-consumer", "events-consumer", "common-consumer"] {
        let version_data = sdk.template_version(&format!("{prefix}-{role}"), "1");
        let data = version_data.launch_template_data().unwrap_or_else(|| panic!("{role}: no data"));
        assert_eq!(data.image_id(), Some(ami.as_str()), "{role}");
        assert_eq!(data.instance_type().map(|t| t.as_str()), Some("t3.small"), "{role}");
        assert!(data.security_group_ids().contains(&client_sg), "{role}: {:?}", data.security_group_ids());
        assert_eq!(data.iam_instance_profile().and_then(|p| p.name()), Some(format!("{prefix}-instance").as_str()));
        let user_data = base64::engine::general_purpose::STANDARD
            .decode(data.user_data().unwrap_or_default())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        assert!(!user_data.contains(PASSWORD), "{role}: the password is in the user-data");
        assert!(!user_data.contains("DI_POSTGRES_PASSWORD="), "{role}: a secret variable is in the user-data");
        assert!(!user_data.contains(MONGO_PASSWORD), "{role}: the MongoDB password is in the user-data");
        assert!(user_data.contains("get-parameters-by-path --region \"$REGION\" --path \"$SECRETS_PATH\""));
        assert!(user_data.contains(&format!("/forgectl/{}/", env.name)), "{role}: secrets path missing");
        assert!(user_data.contains(&format!(":{version}")), "{role}: image tag missing");
        assert!(user_data.contains("docker run"), "{role}");
        if role != "producer" {
            assert!(user_data.contains("ENABLED_TOPICS="), "{role}: consumer without its topics");
            assert!(user_data.contains("KAFKA_CONSUMER_GROUP="), "{role}");
        }
    }

    // CPU 50% target tracking on every group (deploy_aws_scaling.rs checks
    // the consumers' lag policy next to it).
    for name in groups.keys() {
        let policies = sdk
            .runtime
            .block_on(sdk.autoscaling.describe_policies().auto_scaling_group_name(name).send())
            .unwrap_or_else(|err| panic!("{err:?}"));
        let tracking: Vec<_> = policies
            .scaling_policies()
            .iter()
            .filter(|p| p.auto_scaling_group_name() == Some(name.as_str()))
            .filter_map(|p| p.target_tracking_configuration())
            .filter(|t| t.predefined_metric_specification().is_some())
            .collect();
        assert_eq!(tracking.len(), 1, "{name}: {tracking:?}");
        assert_eq!(tracking[0].target_value(), Some(50.0));
    }

    // The producer's load balancer, target group (/ready) and listener.
    let target_group = sdk
        .runtime
        .block_on(sdk.elb.describe_target_groups().names(format!("{prefix}-producer")).send())
        .unwrap_or_else(|err| panic!("{err:?}"))
        .target_groups()
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("no target group"));
    assert_eq!(target_group.health_check_path(), Some("/ready"));
    assert_eq!(target_group.port(), Some(8000));
    assert_eq!(producer.target_group_arns(), [target_group.target_group_arn().unwrap_or_default().to_string()]);
    let lb = sdk
        .runtime
        .block_on(sdk.elb.describe_load_balancers().names(format!("{prefix}-api")).send())
        .unwrap_or_else(|err| panic!("{err:?}"))
        .load_balancers()
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("no load balancer"));
    let listeners = sdk
        .runtime
        .block_on(sdk.elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap_or_default()).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    assert_eq!(listeners.listeners().iter().filter_map(|l| l.port()).collect::<Vec<_>>(), [80]);

    // ECR: scan on push and a lifecycle rule keeping 20 (the environment's setting).
    for repository in ["forgectl-producer", "forgectl-consumer"] {
        let repo = sdk
            .runtime
            .block_on(sdk.ecr.describe_repositories().repository_names(repository).send())
            .unwrap_or_else(|err| panic!("{err:?}"));
        assert!(repo.repositories()[0].image_scanning_configuration().is_some_and(|c| c.scan_on_push()));
        let policy = sdk
            .runtime
            .block_on(sdk.ecr.get_lifecycle_policy().repository_name(repository).send())
            .unwrap_or_else(|err| panic!("{err:?}"));
        let policy: Value =
            serde_json::from_str(policy.lifecycle_policy_text().unwrap_or_default()).unwrap_or_default();
        assert_eq!(policy["rules"][0]["selection"]["countNumber"], 20);
    }

    // The secret: a SecureString under the environment's own path.
    let parameter = sdk
        .runtime
        .block_on(
            sdk.ssm
                .get_parameter()
                .name(format!("/forgectl/{}/DI_POSTGRES_PASSWORD", env.name))
                .with_decryption(true)
                .send(),
        )
        .unwrap_or_else(|err| panic!("{err:?}"));
    let parameter = parameter.parameter().unwrap_or_else(|| panic!("no parameter"));
    assert_eq!(parameter.r#type().map(|t| t.as_str()), Some("SecureString"));
    assert_eq!(parameter.value(), Some(PASSWORD));
    // MongoDB's password sits next to it, under the path the instances read.
    let mongo = sdk
        .runtime
        .block_on(
            sdk.ssm
                .get_parameter()
                .name(format!("/forgectl/{}/DI_MONGODB_PASSWORD", env.name))
                .with_decryption(true)
                .send(),
        )
        .unwrap_or_else(|err| panic!("{err:?}"));
    let mongo = mongo.parameter().unwrap_or_else(|| panic!("no MongoDB parameter"));
    assert_eq!(mongo.r#type().map(|t| t.as_str()), Some("SecureString"));
    assert_eq!(mongo.value(), Some(MONGO_PASSWORD));

    // IAM: role, profile, and a policy that reads only this environment's path.
    let profile = sdk
        .runtime
        .block_on(sdk.iam.get_instance_profile().instance_profile_name(format!("{prefix}-instance")).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    let roles: Vec<&str> =
        profile.instance_profile().map(|p| p.roles().iter().map(|r| r.role_name()).collect()).unwrap_or_default();
    assert_eq!(roles, [format!("{prefix}-instance").as_str()]);
    let policy = sdk
        .runtime
        .block_on(
            sdk.iam
                .get_role_policy()
                .role_name(format!("{prefix}-instance"))
                .policy_name(format!("{prefix}-instance"))
                .send(),
        )
        .unwrap_or_else(|err| panic!("{err:?}"));
    let document = percent_encoding::percent_decode_str(policy.policy_document()).decode_utf8_lossy().into_owned();
    let document: Value = serde_json::from_str(&document).unwrap_or_else(|err| panic!("{err}: {document}"));
    let statements = document["Statement"].as_array().cloned().unwrap_or_default();
    let ssm = statements.iter().find(|s| s["Sid"] == "ReadOwnSecrets").unwrap_or_else(|| panic!("{document}"));
    for resource in ssm["Resource"].as_array().cloned().unwrap_or_default() {
        assert!(
            resource.as_str().unwrap_or_default().contains(&format!(":parameter/forgectl/{}", env.name)),
            "{resource}"
        );
    }
    assert!(statements.iter().all(|s| s["Action"] != "*"), "{document}");

    // `status` shows the groups, their ladder and the version each instance runs.
    let status = env.json(&["status"]);
    let services = status["services"]["groups"].as_array().cloned().unwrap_or_default();
    assert_eq!(services.len(), 4, "{status}");
    let producer_status =
        services.iter().find(|g| g["group"] == format!("{prefix}-producer")).unwrap_or_else(|| panic!("{status}"));
    assert_eq!((producer_status["min"].as_u64(), producer_status["max"].as_u64()), (Some(2), Some(5)));
    assert_eq!(producer_status["versions"][&version], 2, "{status}");
    assert!(status["services"]["producer_url"].as_str().is_some_and(|url| url.starts_with("http://")), "{status}");

    // A second run changes nothing.
    let _ = env.take_calls();
    let output = deploy(&env, &version, &[]);
    assert_success(&output, &["deploy", "again"]);
    assert!(text(&output.stderr).contains("nothing to change"), "{}", text(&output.stderr));
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new());

    // 50k -> 100k: bounds move in place, same groups, same template version.
    let output = deploy(&env, &version, &["--tier", "100k"]);
    assert_success(&output, &["deploy", "--tier", "100k"]);
    assert_eq!(
        group_bounds(&sdk, &env, &prefix),
        ladder(&[
            ("common-consumer", (3, 10)),
            ("events-consumer", (3, 10)),
            ("producer", (4, 10)),
            ("sms-consumer", (4, 16)),
        ])
    );
    let groups = sdk.groups(&env.name);
    for (name, group) in &groups {
        assert_eq!(group.launch_template().and_then(|t| t.version()), Some("1"), "{name}");
        assert_eq!(group.desired_capacity(), group.min_size(), "{name}");
    }
    let mut calls = mutating(&env.take_calls());
    // The dashboard draws each role's ladder: it is rewritten, once.
    assert_eq!(calls.iter().filter(|call| *call == "PutDashboard").count(), 1, "{calls:?}");
    calls.retain(|call| call != "PutDashboard");
    assert!(calls.iter().all(|call| call == "UpdateAutoScalingGroup"), "{calls:?}");
    assert_eq!(calls.len(), 4, "{calls:?}");

    // Narrowing who may reach the load balancer replaces its rule in place.
    let config = std::fs::read_to_string(&env.config).unwrap_or_else(|err| panic!("{err}"));
    let narrowed = config
        .replace("      keep_images: 20\n", "      keep_images: 20\n      load_balancer_cidrs: [203.0.113.0/24]\n");
    std::fs::write(&env.config, narrowed).unwrap_or_else(|err| panic!("{err}"));
    let output = deploy(&env, &version, &["--tier", "100k"]);
    assert_success(&output, &["deploy", "narrowed"]);
    assert!(
        text(&output.stdout).contains("+tcp/80 from 203.0.113.0/24, -tcp/80 from 0.0.0.0/0"),
        "{}",
        text(&output.stdout)
    );
    let calls = mutating(&env.take_calls());
    assert_eq!(calls, ["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"]);
    let lb_group = sdk
        .runtime
        .block_on(
            sdk.ec2
                .describe_security_groups()
                .filters(
                    aws_sdk_ec2::types::Filter::builder().name("group-name").values(format!("{prefix}-api-lb")).build(),
                )
                .send(),
        )
        .unwrap_or_else(|err| panic!("{err:?}"));
    let ranges: Vec<String> = lb_group.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|permission| permission.ip_ranges().iter().filter_map(|range| range.cidr_ip().map(str::to_string)))
        .collect();
    assert_eq!(ranges, ["203.0.113.0/24"]);

    // A certificate moves the API to HTTPS on 443; port 80 then redirects.
    let certificate = request_certificate(&sdk, "api.example.com");
    let config = std::fs::read_to_string(&env.config).unwrap_or_else(|err| panic!("{err}"));
    let with_tls = config
        .replace("      keep_images: 20\n", &format!("      keep_images: 20\n      certificate_arn: {certificate}\n"));
    std::fs::write(&env.config, with_tls).unwrap_or_else(|err| panic!("{err}"));
    let output = deploy(&env, &version, &["--tier", "100k"]);
    assert_success(&output, &["deploy", "with a certificate"]);
    assert!(text(&output.stdout).contains("Producer API: https://"), "{}", text(&output.stdout));
    let mut calls = mutating(&env.take_calls());
    calls.sort();
    // The API moves to 443 with its /v1/* route; port 80's route goes.
    assert_eq!(
        calls,
        ["AuthorizeSecurityGroupIngress", "CreateListener", "CreateRule", "DeleteRule", "ModifyListener"]
    );
    let listeners = sdk
        .runtime
        .block_on(sdk.elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap_or_default()).send())
        .unwrap_or_else(|err| panic!("{err:?}"));
    let mut seen: Vec<(i32, String, String)> = listeners
        .listeners()
        .iter()
        .map(|listener| {
            let action = listener.default_actions().first().and_then(|a| a.r#type()).map(|t| t.as_str().to_string());
            let protocol = listener.protocol().map(|p| p.as_str().to_string()).unwrap_or_default();
            (listener.port().unwrap_or_default(), protocol, action.unwrap_or_default())
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [(80, "HTTP".to_string(), "redirect".to_string()), (443, "HTTPS".to_string(), "fixed-response".to_string())]
    );
    let https = listeners.listeners().iter().find(|l| l.port() == Some(443)).unwrap_or_else(|| panic!("no 443"));
    assert_eq!(https.certificates().first().and_then(|c| c.certificate_arn()), Some(certificate.as_str()));
}

#[test]
fn a_missing_image_tag_fails_before_anything_changes() {
    let (env, _sdk, _prefix) = deployed_env("noimage");
    let _ = env.take_calls();
    let output = deploy(&env, "v-never-pushed", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("forgectl-producer:v-never-pushed is not in ECR"), "{stderr}");
    assert!(stderr.contains("hint: build and push it first"), "{stderr}");
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new());
}

#[test]
fn an_aws_deploy_without_the_secret_is_refused_before_any_change() {
    let (env, sdk, _prefix) = deployed_env("nosecret");
    let version = common::unique("v1-");
    sdk.push_images(&version);
    let _ = env.take_calls();
    let output = env.forgectl().env_remove(PASSWORD_ENV).args(["deploy", "--version", &version, "--yes"]).output();
    let output = output.unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains(PASSWORD_ENV), "{}", text(&output.stderr));
    assert_eq!(mutating(&env.take_calls()), Vec::<String>::new());
}

/// Adds (or removes) a marker of the plug-in's fault knob: instances whose
/// boot script contains a marker never pass health checks
/// (dev/moto_plugin/README.md). Other markers are left alone: the stack is shared.
fn unhealthy_marker(sdk: &Sdk, marker: &str, present: bool) {
    let url = format!("{}/forgectl-plugin/config", common::aws_endpoint().trim_end_matches('/'));
    let result = sdk.runtime.block_on(async {
        let client = reqwest::Client::new();
        let config: Value = client.get(&url).send().await?.json().await?;
        let mut markers: Vec<String> = config["unhealthy_user_data_markers"]
            .as_array()
            .map(|list| list.iter().filter_map(|m| m.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        markers.retain(|m| m != marker);
        if present {
            markers.push(marker.to_string());
        }
        let body = serde_json::json!({ "unhealthy_user_data_markers": markers });
        client.post(&url).json(&body).send().await.map(|response| response.status())
    });
    let status = result.unwrap_or_else(|err| panic!("{url}: {err}"));
    assert!(status.is_success(), "POST {url}: {status}");
}

/// Template version of the group and of each of its instances.
fn fleet_versions(sdk: &Sdk, env: &CpEnv) -> BTreeMap<String, (String, Vec<String>)> {
    sdk.groups(&env.name)
        .into_iter()
        .map(|(name, group)| {
            let version = group.launch_template().and_then(|t| t.version()).unwrap_or_default().to_string();
            let instances = group
                .instances()
                .iter()
                .map(|i| i.launch_template().and_then(|t| t.version()).unwrap_or_default().to_string())
                .collect();
            (name, (version, instances))
        })
        .collect()
}

#[test]
fn a_new_version_replaces_instances_and_an_unhealthy_batch_rolls_back() {
    let (env, sdk, prefix) = deployed_env("roll");
    let first = common::unique("v1-");
    let second = common::unique("v2-");
    let broken = common::unique("vbroken-");
    for version in [&first, &second, &broken] {
        sdk.push_images(version);
    }
    assert_success(&deploy(&env, &first, &[]), &["deploy", &first]);

    // A new version: a second template version, every instance replaced.
    let output = deploy(&env, &second, &["--ready-timeout", "60"]);
    assert_success(&output, &["deploy", &second]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("instance refresh"), "{stderr}");
    assert!(stderr.contains("rolling update:"), "no progress lines:\n{stderr}");
    for (group, (version, instances)) in fleet_versions(&sdk, &env) {
        assert_eq!(version, "2", "{group}");
        assert!(!instances.is_empty() && instances.iter().all(|v| v == "2"), "{group}: {instances:?}");
    }
    let description =
        sdk.template_version(&format!("{prefix}-producer"), "2").version_description().map(str::to_string);
    assert_eq!(description, Some(format!("forgectl version {second}")));

    // A version whose instances never become healthy: forgectl gives up on
    // the stalled batch and rolls back to the running version.
    unhealthy_marker(&sdk, &broken, true);
    let output = deploy(&env, &broken, &["--ready-timeout", "4", "--role", "producer"]);
    unhealthy_marker(&sdk, &broken, false);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("rolled back for producer"), "{stderr}");
    assert!(stderr.contains("rolling back"), "{stderr}");
    let versions = fleet_versions(&sdk, &env);
    let (version, instances) = &versions[&format!("{prefix}-producer")];
    assert_eq!(version, "2");
    assert!(instances.len() == 2 && instances.iter().all(|v| v == "2"), "{instances:?}");
    let third = sdk.template_version(&format!("{prefix}-producer"), "3").version_description().map(str::to_string);
    assert_eq!(third, Some(format!("forgectl version {broken}")), "the broken version was published");

    // An interrupted deploy leaves its instance refresh running in AWS; the
    // next run follows it (here: rolls it back) instead of failing on
    // InstanceRefreshInProgress or starting a second one.
    let stalled = common::unique("vstalled-");
    sdk.push_images(&stalled);
    unhealthy_marker(&sdk, &stalled, true);
    let mut first = env
        .forgectl_process()
        .env(PASSWORD_ENV, PASSWORD)
        .env(MONGO_PASSWORD_ENV, MONGO_PASSWORD)
        .args(["deploy", "--version", &stalled, "--yes", "--role", "producer"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("spawn: {err}"));
    let stderr = first.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let started = std::io::BufRead::lines(std::io::BufReader::new(stderr))
        .map_while(Result::ok)
        .any(|line| line.contains("instance refresh") && line.contains("to version"));
    let _ = first.kill();
    let _ = first.wait();
    assert!(started, "the first deploy never started its refresh");
    let output = deploy(&env, &stalled, &["--ready-timeout", "4", "--role", "producer"]);
    unhealthy_marker(&sdk, &stalled, false);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("following instance refresh"), "{stderr}");
    assert!(stderr.contains("rolled back for producer"), "{stderr}");
    let versions = fleet_versions(&sdk, &env);
    let (version, instances) = &versions[&format!("{prefix}-producer")];
    assert!(version == "2" && instances.iter().all(|v| v == "2"), "{version} {instances:?}");
}

#[test]
fn images_login_prints_what_docker_login_needs() {
    let mut env = CpEnv::with_settings("login", &settings(&common::unique("fc")));
    env.keep = true; // nothing to destroy: login creates nothing
    let output = env.run(&["images", "login"]);
    assert_success(&output, &["images", "login"]);
    let password = text(&output.stdout);
    assert_eq!(password.lines().count(), 1, "stdout must be the password alone: {password}");
    assert!(!password.trim().is_empty());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("docker login --username AWS --password-stdin"), "{stderr}");
    assert!(!stderr.contains(password.trim()), "the password reached stderr");

    let login = env.json(&["images", "login"]);
    assert_eq!(login["username"], "AWS");
    assert!(login["registry"].as_str().is_some_and(|r| r.contains(".dkr.ecr.")), "{login}");
}
