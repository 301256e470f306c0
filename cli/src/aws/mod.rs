//! AWS access. One function builds the SDK configuration; each service gets
//! a thin adapter elsewhere that returns forgectl's own types.

/// The appliers' calls as traits, implemented by [`AwsClients`].
pub mod api;
pub mod autoscaling;
/// One call's action and resource: error mapping and required fields.
pub mod call;
/// The log of every call a command made.
pub mod calls;
pub mod cloudwatch;
/// Credential and reachability failures in words a person can act on.
pub mod diagnosis;
pub mod ec2;
pub mod ecr;
pub mod elb;
pub mod elb_rules;
pub mod error;
#[cfg(test)]
pub mod fake;
pub mod iam;
pub mod launch_template;
pub mod msk;
pub mod msk_config;
/// Finding clusters: by the environment's tags first, then by name.
pub mod msk_lookup;
pub mod msk_update;
pub mod scaling_policy;
pub mod scram;
pub mod sns;
pub mod ssm;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

pub use call::Call;
pub use calls::CallLog;
pub use error::{AwsError, AwsErrorKind};

use crate::config::Environment;

/// Attempts per AWS call, including the first. The SDK's adaptive retry mode
/// backs off on throttling, which matters for the control-plane APIs MSK and
/// EC2 rate-limit per account (a few calls per second for Describe*).
const AWS_MAX_ATTEMPTS: u32 = 5;

/// Credentials and region come from the standard chain (environment,
/// profiles, SSO, web identity, IMDS); `--profile` and `--region` narrow it.
/// `AWS_ENDPOINT_URL` is honoured by the SDK itself, which is how the local
/// emulator is reached: there is no emulator-specific code path.
pub async fn sdk_config(environment: &Environment) -> SdkConfig {
    sdk_config_for(environment.aws_profile.as_deref(), environment.region.as_deref()).await
}

/// [`sdk_config`] for a named profile and region, before any environment
/// exists (`forgectl init`).
pub async fn sdk_config_for(profile: Option<&str>, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(AWS_MAX_ATTEMPTS));
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    let config = loader.load().await;
    diagnosis::remember_session(diagnosis::SessionFacts {
        profile: profile.map(str::to_string).or_else(|| std::env::var("AWS_PROFILE").ok()),
        region: config.region().map(|region| region.to_string()),
        endpoint_url: config.endpoint_url().map(str::to_string),
    });
    config
}

/// The service clients of one command run, built from [`sdk_config`], with
/// the call log attached to each.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub kafka: aws_sdk_kafka::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub iam: aws_sdk_iam::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub kms: aws_sdk_kms::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    pub calls: CallLog,
}

impl AwsClients {
    pub async fn connect(environment: &Environment) -> Self {
        Self::from_sdk_config(&sdk_config(environment).await)
    }

    pub fn from_sdk_config(shared: &SdkConfig) -> Self {
        let calls = CallLog::from_env();
        let kafka = aws_sdk_kafka::config::Builder::from(shared).interceptor(calls.clone()).build();
        let ec2 = aws_sdk_ec2::config::Builder::from(shared).interceptor(calls.clone()).build();
        let ecr = aws_sdk_ecr::config::Builder::from(shared).interceptor(calls.clone()).build();
        let autoscaling = aws_sdk_autoscaling::config::Builder::from(shared).interceptor(calls.clone()).build();
        let elb = aws_sdk_elasticloadbalancingv2::config::Builder::from(shared).interceptor(calls.clone()).build();
        let iam = aws_sdk_iam::config::Builder::from(shared).interceptor(calls.clone()).build();
        let ssm = aws_sdk_ssm::config::Builder::from(shared).interceptor(calls.clone()).build();
        let kms = aws_sdk_kms::config::Builder::from(shared).interceptor(calls.clone()).build();
        let secretsmanager = aws_sdk_secretsmanager::config::Builder::from(shared).interceptor(calls.clone()).build();
        let cloudwatch = aws_sdk_cloudwatch::config::Builder::from(shared).interceptor(calls.clone()).build();
        let sns = aws_sdk_sns::config::Builder::from(shared).interceptor(calls.clone()).build();
        AwsClients {
            kafka: aws_sdk_kafka::Client::from_conf(kafka),
            ec2: aws_sdk_ec2::Client::from_conf(ec2),
            ecr: aws_sdk_ecr::Client::from_conf(ecr),
            autoscaling: aws_sdk_autoscaling::Client::from_conf(autoscaling),
            elb: aws_sdk_elasticloadbalancingv2::Client::from_conf(elb),
            iam: aws_sdk_iam::Client::from_conf(iam),
            ssm: aws_sdk_ssm::Client::from_conf(ssm),
            kms: aws_sdk_kms::Client::from_conf(kms),
            secretsmanager: aws_sdk_secretsmanager::Client::from_conf(secretsmanager),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cloudwatch),
            sns: aws_sdk_sns::Client::from_conf(sns),
            calls,
        }
    }
}
