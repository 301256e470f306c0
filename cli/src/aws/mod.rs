//! AWS access. One function builds the SDK configuration; each service gets
//! a thin adapter elsewhere that returns forgectl's own types.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

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
