//! What the aws `deploy` tests share: an environment provisioned on the
//! emulator with its ECR repositories, images pushed by hand (no Docker),
//! `deploy` run with the database passwords, and an SDK to check what AWS
//! holds independently of forgectl's own code.

#![allow(dead_code)] // each test file uses a different subset

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{self, assert_success, CpEnv};

/// The password the tests hand to forgectl; it must end up in Parameter
/// Store and nowhere else.
pub const PASSWORD: &str = "Pg-s3cret-only-in-ssm";
pub const PASSWORD_ENV: &str = "FORGECTL_TEST_PG_PASSWORD";
pub const MONGO_PASSWORD: &str = "Mongo-s3cret-only-in-ssm";
pub const MONGO_PASSWORD_ENV: &str = "FORGECTL_TEST_MONGO_PASSWORD";

/// `name_prefix` keeps ELB names (at most 32 characters) readable; the
/// tests' environment names are long to be unique. The emulator has no
/// certificate and these tests create no API key, so they opt out of both
/// by name; deploy_aws_exposure.rs checks what a default environment refuses.
pub fn settings(prefix: &str) -> String {
    format!(
        "    name_prefix: {prefix}\n    postgres:\n      host: db.example.internal\n      port: \"5432\"\n      username: mobileforge_user\n      \
         password_env: {PASSWORD_ENV}\n      database: api_insights_db\n      sync_database: sync_db\n    \
         mongodb:\n      host: mongo.example.internal\n      port: \"27017\"\n      username: mobileforge_user\n      \
         password_env: {MONGO_PASSWORD_ENV}\n      database: sync_db\n    \
         services:\n      instance_size: dev\n      allow_plain_http: true\n      allow_anonymous_uploads: true\n      keep_images: 20\n"
    )
}

pub struct Sdk {
    pub runtime: tokio::runtime::Runtime,
    pub ecr: aws_sdk_ecr::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub iam: aws_sdk_iam::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl Sdk {
    pub fn new() -> Self {
        let (runtime, config) = common::emulator_sdk();
        Sdk {
            ecr: aws_sdk_ecr::Client::new(&config),
            autoscaling: aws_sdk_autoscaling::Client::new(&config),
            ec2: aws_sdk_ec2::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            runtime,
        }
    }

    /// Stands in for `docker push`: an image manifest under `tag` in both repositories.
    pub fn push_images(&self, tag: &str) {
        for repository in ["forgectl-producer", "forgectl-consumer"] {
            let digest = format!("{:0>64}", format!("{:x}", fxhash(&format!("{repository}:{tag}"))));
            let manifest = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7, "digest": format!("sha256:{digest}")},
                "layers": []
            });
            self.runtime
                .block_on(
                    self.ecr
                        .put_image()
                        .repository_name(repository)
                        .image_tag(tag)
                        .image_manifest(manifest.to_string())
                        .send(),
                )
                .unwrap_or_else(|err| panic!("put_image {repository}:{tag}: {err:?}"));
        }
    }

    pub fn groups(&self, env: &str) -> BTreeMap<String, aws_sdk_autoscaling::types::AutoScalingGroup> {
        let filter = aws_sdk_autoscaling::types::Filter::builder().name("tag:forgectl:env").values(env).build();
        let output = self
            .runtime
            .block_on(self.autoscaling.describe_auto_scaling_groups().filters(filter).send())
            .unwrap_or_else(|err| panic!("describe groups: {err:?}"));
        output
            .auto_scaling_groups()
            .iter()
            .map(|group| (group.auto_scaling_group_name().unwrap_or_default().to_string(), group.clone()))
            .collect()
    }

    pub fn template_version(&self, name: &str, version: &str) -> aws_sdk_ec2::types::LaunchTemplateVersion {
        let output = self
            .runtime
            .block_on(self.ec2.describe_launch_template_versions().launch_template_name(name).versions(version).send())
            .unwrap_or_else(|err| panic!("describe {name} {version}: {err:?}"));
        output.launch_template_versions().first().cloned().unwrap_or_else(|| panic!("{name} has no version {version}"))
    }
}

/// A stable small hash for fake digests (std's hasher is randomly seeded).
pub fn fxhash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3))
}

/// A provisioned environment with the ECR repositories; returns its name prefix.
pub fn deployed_env(label: &str) -> (CpEnv, Sdk, String) {
    let prefix = common::unique("fc");
    let env = CpEnv::with_settings(label, &settings(&prefix));
    env.provision("50k");
    assert_success(&env.run(&["images", "init"]), &["images", "init"]);
    (env, Sdk::new(), prefix)
}

pub fn deploy(env: &CpEnv, version: &str, extra: &[&str]) -> std::process::Output {
    env.forgectl()
        .env(PASSWORD_ENV, PASSWORD)
        .env(MONGO_PASSWORD_ENV, MONGO_PASSWORD)
        .args(["deploy", "--version", version, "--yes"])
        .args(extra)
        .output()
        .unwrap_or_else(|err| panic!("run forgectl: {err}"))
}

pub fn group_bounds(sdk: &Sdk, env: &CpEnv, prefix: &str) -> BTreeMap<String, (i32, i32)> {
    sdk.groups(&env.name)
        .into_iter()
        .map(|(name, group)| {
            let role = name.trim_start_matches(&format!("{prefix}-")).to_string();
            (role, (group.min_size().unwrap_or(-1), group.max_size().unwrap_or(-1)))
        })
        .collect()
}

pub fn ladder(pairs: &[(&str, (i32, i32))]) -> BTreeMap<String, (i32, i32)> {
    pairs.iter().map(|(role, bounds)| (role.to_string(), *bounds)).collect()
}

/// An ACM certificate in the emulator, requested over ACM's JSON protocol
/// (the emulator does not check signatures; no ACM SDK is needed for one call).
pub fn request_certificate(sdk: &Sdk, domain: &str) -> String {
    let url = common::aws_endpoint();
    let answer: Value = sdk
        .runtime
        .block_on(async {
            reqwest::Client::new()
                .post(url.trim_end_matches('/'))
                .header("X-Amz-Target", "CertificateManager.RequestCertificate")
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKIATEST/20261123/us-east-1/acm/aws4_request")
                .body(serde_json::json!({ "DomainName": domain }).to_string())
                .send()
                .await?
                .json()
                .await
        })
        .unwrap_or_else(|err| panic!("RequestCertificate: {err}"));
    answer["CertificateArn"].as_str().map(str::to_string).unwrap_or_else(|| panic!("{answer}"))
}
