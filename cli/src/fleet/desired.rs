//! What the fleet should look like: policy documents, the ECR lifecycle
//! rule, each role's boot script and launch template data. Pure functions
//! of the environment, the tier and the version.

use std::collections::BTreeMap;

use base64::Engine;
use forgectl_contract::endpoints::{CONSUMER_METRICS_PORT, PRODUCER_METRICS_PORT};
use forgectl_contract::env_vars::{PRODUCER_LISTEN_ADDR, PRODUCER_METRICS_ADDR};
use serde::Serialize;
use serde_json::{json, Value};

use super::cloudwatch_agent::{self, AgentFiles};
use crate::aws::elb::{Listener, ListenerAction};
use crate::aws::elb_rules::Route;
use crate::aws::launch_template::TemplateData;
use crate::config::{Environment, InstanceSize};
use crate::profile::{RoleName, RoleSpec};
use crate::render::{render_template, EnvVar, RenderError, ServiceEnv};

use crate::naming::fleet::{repository, FleetNames, CONSUMER_REPOSITORY, PRODUCER_REPOSITORY};

/// The producer's public API: the only path its listeners route.
pub const API_PATH_PATTERN: &str = "/v1/*";
/// The API rule's priority; rules set by hand may sit around it.
const API_RULE_PRIORITY: u32 = 10;

/// Where the account's resources are, for ARNs in the instance policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountScope {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl AccountScope {
    /// Reads partition, region and account from any of the account's ARNs.
    pub fn from_arn(arn: &str) -> Option<Self> {
        let mut parts = arn.split(':');
        let (_, partition, _, region, account) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        (!account.is_empty() && !region.is_empty()).then(|| AccountScope {
            partition: partition.into(),
            region: region.into(),
            account: account.into(),
        })
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:{}:{service}:{}:{}:{resource}", self.partition, self.region, self.account)
    }
}

/// Lets EC2 hand the role to the instances, nothing else.
pub fn trust_policy() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// Least privilege for an instance: pull the two images, read its own
/// environment's parameters (and decrypt them through SSM only), write its
/// own log groups.
pub fn instance_policy(scope: &AccountScope, names: &FleetNames) -> Value {
    let secrets = names.secrets_path.trim_end_matches('/');
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RegistryLogin",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*"
            },
            {
                "Sid": "PullServiceImages",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": [
                    scope.arn("ecr", &format!("repository/{PRODUCER_REPOSITORY}")),
                    scope.arn("ecr", &format!("repository/{CONSUMER_REPOSITORY}"))
                ]
            },
            {
                "Sid": "ReadOwnSecrets",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                "Resource": [
                    scope.arn("ssm", &format!("parameter{secrets}")),
                    scope.arn("ssm", &format!("parameter{secrets}/*"))
                ]
            },
            {
                "Sid": "DecryptSecretsThroughSsm",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": format!("ssm.{}.amazonaws.com", scope.region)}}
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                // The container logs (awslogs driver) and the CloudWatch agent's
                // embedded-metric-format events: CloudWatch extracts the
                // services' metrics from those, so no PutMetricData grant.
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": scope.arn("logs", &format!("log-group:/forgectl/{}/*", names.env()))
            }
        ]
    })
}

/// Keep the newest `keep` images of any tag; older ones expire.
pub fn lifecycle_policy(keep: u32) -> Value {
    json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("forgectl: keep the newest {keep} images"),
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
            "action": {"type": "expire"}
        }]
    })
}

/// The producer load balancer's listeners: HTTPS on 443 and a redirect on
/// 80 with a certificate, plain HTTP on 80 without.
pub fn listeners(certificate_arn: Option<&str>, target_group_arn: &str) -> Vec<Listener> {
    // Only the API is routed to the producers; `/metrics`, `/ready` and
    // anything else get the listener's 404. The health check reaches
    // `/ready` on the targets directly, not through a listener.
    let api_route = Route {
        arn: String::new(),
        priority: API_RULE_PRIORITY,
        path_patterns: vec![API_PATH_PATTERN.to_string()],
        forward_to: Some(target_group_arn.to_string()),
    };
    let listener = |port, protocol: &str, certificate_arn: Option<&str>, action, routes| Listener {
        arn: String::new(),
        port,
        protocol: protocol.to_string(),
        certificate_arn: certificate_arn.map(str::to_string),
        action,
        routes,
    };
    match certificate_arn {
        Some(certificate) => vec![
            listener(443, "HTTPS", Some(certificate), ListenerAction::NotFound, vec![api_route]),
            listener(80, "HTTP", None, ListenerAction::RedirectToHttps, Vec::new()),
        ],
        None => vec![listener(80, "HTTP", None, ListenerAction::NotFound, vec![api_route])],
    }
}

/// Compares two JSON policy texts by meaning, not by formatting.
pub fn same_json(current: &str, desired: &Value) -> bool {
    serde_json::from_str::<Value>(current).is_ok_and(|current| &current == desired)
}

/// The public SSM parameter with the newest Amazon Linux 2023 AMI for the
/// instance type's architecture (Graviton types have a `g` after the
/// generation digit: m7g, c7gn, t4g).
pub fn ami_parameter(instance_type: &str) -> &'static str {
    let family = instance_type.split('.').next().unwrap_or_default();
    let after_generation =
        family.trim_start_matches(|c: char| c.is_ascii_alphabetic()).trim_start_matches(|c: char| c.is_ascii_digit());
    if after_generation.starts_with('g') {
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    } else {
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    }
}

pub fn instance_type(environment: &Environment, spec: &RoleSpec) -> String {
    match environment.services.instance_size {
        InstanceSize::Dev => spec.instance_types.dev.clone(),
        InstanceSize::Production => spec.instance_types.production.clone(),
    }
}

/// The ports a role's container publishes on its instance.
/// A container port the instance publishes, on every interface or on
/// loopback only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PublishedPort {
    pub port: u16,
    pub loopback_only: bool,
}

/// The producer's API on every interface (its security group admits the
/// load balancer only); the metrics ports on loopback, where the instance's
/// CloudWatch agent scrapes them, unless the environment names monitoring
/// that reaches them from outside (`monitored`).
pub fn role_ports(
    role: RoleName,
    producer_port: u16,
    consumer_metrics_port: u16,
    monitored: bool,
) -> Vec<PublishedPort> {
    let metrics = |port| PublishedPort { port, loopback_only: !monitored };
    if role.is_consumer() {
        vec![metrics(consumer_metrics_port)]
    } else {
        vec![PublishedPort { port: producer_port, loopback_only: false }, metrics(PRODUCER_METRICS_PORT)]
    }
}

/// The producer's API listens on the port the instance publishes and the
/// target group checks: the environment's `producer_port`, not the
/// service's own default of 8000. Consumers are returned unchanged.
pub fn with_listen_address(env: &ServiceEnv, producer_port: u16) -> ServiceEnv {
    let mut env = env.clone();
    if !env.role.is_consumer() && env.get(PRODUCER_LISTEN_ADDR).is_none() {
        env.vars.push(EnvVar {
            name: PRODUCER_LISTEN_ADDR.to_string(),
            value: format!("0.0.0.0:{producer_port}"),
            secret: false,
        });
    }
    // Inside the container the metrics listener takes every interface, so
    // Docker can publish it; the host side decides who reaches it.
    if !env.role.is_consumer() && env.get(PRODUCER_METRICS_ADDR).is_none() {
        env.vars.push(EnvVar {
            name: PRODUCER_METRICS_ADDR.to_string(),
            value: format!("0.0.0.0:{PRODUCER_METRICS_PORT}"),
            secret: false,
        });
    }
    env
}

#[derive(Debug, Serialize)]
struct UserDataContext<'a> {
    environment: &'a str,
    role: RoleName,
    version: &'a str,
    region: &'a str,
    registry: &'a str,
    image: String,
    secrets_path: &'a str,
    log_group: String,
    vars: Vec<&'a EnvVar>,
    ports: Vec<PublishedPort>,
    postgres_ca: Option<&'a str>,
    postgres_ca_path: &'a str,
    agent: AgentFiles,
    agent_config_path: &'static str,
    prometheus_config_path: &'static str,
}

/// What the boot script needs besides the role's environment.
#[derive(Debug, Clone)]
pub struct BootContext<'a> {
    pub environment: &'a str,
    pub region: &'a str,
    pub registry: &'a str,
    pub version: &'a str,
    pub names: &'a FleetNames,
    pub ports: Vec<PublishedPort>,
    /// The PostgreSQL CA bundle's certificates, written to
    /// `postgres_ca::INSTANCE_PATH` (see `postgres_ca::for_instance`).
    pub postgres_ca: Option<String>,
}

/// The boot script. Only the non-secret variables are written into it;
/// the secrets are fetched from `secrets_path` on the instance.
pub fn user_data(env: &ServiceEnv, boot: &BootContext<'_>) -> Result<String, RenderError> {
    // The metrics port is the last one a role publishes (`role_ports`).
    let metrics_port = boot.ports.last().map(|port| port.port).unwrap_or(CONSUMER_METRICS_PORT);
    let log_group = boot.names.log_group(env.role);
    let context = UserDataContext {
        agent: cloudwatch_agent::agent_files(boot.environment, env.role, metrics_port, &log_group)?,
        agent_config_path: cloudwatch_agent::AGENT_CONFIG_PATH,
        prometheus_config_path: cloudwatch_agent::PROMETHEUS_CONFIG_PATH,
        environment: boot.environment,
        role: env.role,
        version: boot.version,
        region: boot.region,
        registry: boot.registry,
        image: format!("{}/{}:{}", boot.registry, repository(env.role), boot.version),
        secrets_path: &boot.names.secrets_path,
        log_group,
        vars: env.vars.iter().filter(|var| !var.secret).collect(),
        ports: boot.ports.clone(),
        postgres_ca: boot.postgres_ca.as_deref(),
        postgres_ca_path: super::postgres_ca::INSTANCE_PATH,
    };
    render_template("user-data.sh", &context)
}

/// The launch template data of one role.
pub fn template_data(
    image_id: &str,
    instance_type: String,
    security_groups: &[&str],
    names: &FleetNames,
    user_data: &str,
    instance_tags: BTreeMap<String, String>,
) -> TemplateData {
    let mut security_group_ids: Vec<String> = security_groups.iter().map(|id| id.to_string()).collect();
    security_group_ids.sort();
    TemplateData {
        image_id: image_id.to_string(),
        instance_type,
        security_group_ids,
        instance_profile: names.instance_profile.clone(),
        user_data: base64::engine::general_purpose::STANDARD.encode(user_data),
        instance_tags,
    }
}

/// Text in a launch template version's description that names the service
/// version it runs.
pub fn version_description(version: &str) -> String {
    format!("forgectl version {version}")
}

pub fn version_from_description(description: Option<&str>) -> Option<String> {
    description?.strip_prefix("forgectl version ").map(str::to_string)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn graviton_types_get_the_arm_image() {
        assert!(ami_parameter("m7g.large").ends_with("arm64"));
        assert!(ami_parameter("t4g.small").ends_with("arm64"));
        assert!(ami_parameter("c7gn.xlarge").ends_with("arm64"));
        assert!(ami_parameter("c7i.xlarge").ends_with("x86_64"));
        assert!(ami_parameter("t3.small").ends_with("x86_64"));
    }

    #[test]
    fn account_scope_comes_from_an_arn() {
        let scope = AccountScope::from_arn("arn:aws:ecr:eu-west-1:123456789012:repository/forgectl-producer");
        assert_eq!(
            scope,
            Some(AccountScope { partition: "aws".into(), region: "eu-west-1".into(), account: "123456789012".into() })
        );
        assert_eq!(AccountScope::from_arn("not-an-arn"), None);
    }

    #[test]
    fn policies_compare_by_meaning() {
        let desired = lifecycle_policy(30);
        let reformatted = serde_json::to_string_pretty(&desired).unwrap_or_default();
        assert!(same_json(&reformatted, &desired));
        assert!(!same_json(&lifecycle_policy(10).to_string(), &desired));
        assert!(!same_json("{not json", &desired));
    }

    /// Through the config loader, like the binary.
    pub(crate) fn names() -> FleetNames {
        FleetNames::for_env(&crate::config::test_support::load_environment(
            "environments:\n  prod:\n    provider: aws\n    region: ap-south-1\n",
        ))
    }

    #[test]
    fn user_data_holds_no_secret_and_quotes_for_the_shell() {
        let env = ServiceEnv {
            role: RoleName::SmsConsumer,
            vars: vec![
                EnvVar { name: "ENABLED_TOPICS".into(), value: "sms_batched".into(), secret: false },
                EnvVar { name: "DI_POSTGRES_PASSWORD".into(), value: "hunter2".into(), secret: true },
            ],
        };
        let names = names();
        let boot = BootContext {
            environment: "prod",
            region: "ap-south-1",
            registry: "123456789012.dkr.ecr.ap-south-1.amazonaws.com",
            version: "v1.2.3",
            names: &names,
            ports: role_ports(RoleName::SmsConsumer, 8000, 8001, false),
            postgres_ca: None,
        };
        let script = user_data(&env, &boot).unwrap_or_else(|err| panic!("{err}"));
        assert!(!script.contains("hunter2"), "{script}");
        assert!(!script.contains("DI_POSTGRES_PASSWORD"), "{script}");
        assert!(script.contains("ENABLED_TOPICS=sms_batched\n"), "{script}");
        assert!(
            script.contains("IMAGE='123456789012.dkr.ecr.ap-south-1.amazonaws.com/forgectl-consumer:v1.2.3'"),
            "{script}"
        );
        assert!(script.contains("SECRETS_PATH='/forgectl/prod/'"), "{script}");
        // Nobody outside the instance reaches the metrics by default.
        assert!(script.contains("-p 127.0.0.1:8001:8001"), "{script}");
    }

    #[test]
    fn instance_policy_reads_only_its_own_path() {
        let scope = AccountScope { partition: "aws".into(), region: "ap-south-1".into(), account: "1".into() };
        let policy = instance_policy(&scope, &names());
        let text = policy.to_string();
        assert!(text.contains("arn:aws:ssm:ap-south-1:1:parameter/forgectl/prod/*"), "{text}");
        assert!(text.contains("arn:aws:logs:ap-south-1:1:log-group:/forgectl/prod/*"), "{text}");
        assert!(!text.contains("\"Action\":\"*\""), "{text}");
    }

    #[test]
    fn version_round_trips_through_the_description() {
        assert_eq!(version_from_description(Some(&version_description("v1.2"))), Some("v1.2".into()));
        assert_eq!(version_from_description(Some("hand-made")), None);
    }
}
