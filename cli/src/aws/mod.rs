//! AWS access. One function builds the SDK configuration; each service gets
//! a thin adapter elsewhere that returns forgectl's own types.

/// The appliers' calls as traits, implemented by [`AwsClients`].
pub mod api;
pub mod autoscaling;
/// One call's action and resource: error mapping and required fields.
pub mod call;
/// The log of every call a command made.
pub mod calls;
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
pub mod msk_update;
pub mod scaling_policy;
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
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(AWS_MAX_ATTEMPTS));
    if let Some(profile) = &environment.aws_profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &environment.region {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
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
    pub calls: CallLog,
}

impl AwsClients {
    pub async fn connect(environment: &Environment) -> Self {
        let shared = sdk_config(environment).await;
        let calls = CallLog::from_env();
        let kafka = aws_sdk_kafka::config::Builder::from(&shared).interceptor(calls.clone()).build();
        let ec2 = aws_sdk_ec2::config::Builder::from(&shared).interceptor(calls.clone()).build();
        let ecr = aws_sdk_ecr::config::Builder::from(&shared).interceptor(calls.clone()).build();
        let autoscaling = aws_sdk_autoscaling::config::Builder::from(&shared).interceptor(calls.clone()).build();
        let elb = aws_sdk_elasticloadbalancingv2::config::Builder::from(&shared).interceptor(calls.clone()).build();
        let iam = aws_sdk_iam::config::Builder::from(&shared).interceptor(calls.clone()).build();
        let ssm = aws_sdk_ssm::config::Builder::from(&shared).interceptor(calls.clone()).build();
        AwsClients {
            kafka: aws_sdk_kafka::Client::from_conf(kafka),
            ec2: aws_sdk_ec2::Client::from_conf(ec2),
            ecr: aws_sdk_ecr::Client::from_conf(ecr),
            autoscaling: aws_sdk_autoscaling::Client::from_conf(autoscaling),
            elb: aws_sdk_elasticloadbalancingv2::Client::from_conf(elb),
            iam: aws_sdk_iam::Client::from_conf(iam),
            ssm: aws_sdk_ssm::Client::from_conf(ssm),
            calls,
        }
    }
}
