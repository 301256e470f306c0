//! Names of what `deploy` creates on AWS. Like the control plane's, they
//! are derived from the environment, so any later run finds them again.

use serde::Serialize;

use crate::config::Environment;
use crate::profile::RoleName;

/// The ECR repositories are per account, not per environment: the image a
/// staging environment ran is the one production promotes.
pub const PRODUCER_REPOSITORY: &str = "forgectl-producer";
pub const CONSUMER_REPOSITORY: &str = "forgectl-consumer";
/// ELB caps load balancer and target group names at 32 characters.
const ELB_NAME_MAX: usize = 32;
/// IAM caps role and instance profile names at 64 characters.
const IAM_NAME_MAX: usize = 64;

pub fn repository(role: RoleName) -> &'static str {
    if role.is_consumer() {
        CONSUMER_REPOSITORY
    } else {
        PRODUCER_REPOSITORY
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FleetNames {
    pub instance_role: String,
    pub instance_profile: String,
    pub role_policy: String,
    /// Where the environment's secrets live in Parameter Store (ends in `/`).
    pub secrets_path: String,
    pub load_balancer: String,
    pub target_group: String,
    pub load_balancer_sg: String,
    pub producer_sg: String,
    /// On every instance: the metrics ports, open only to monitoring.
    pub metrics_sg: String,
    prefix: String,
    env: String,
}

/// `name` if it fits in `max`; otherwise its start, a hyphen and a short
/// hash of the whole name: still unique, and the same on every run.
fn fit(name: String, max: usize) -> String {
    if name.len() <= max {
        return name;
    }
    // FNV-1a: stable across Rust versions and platforms, unlike std's hasher.
    let hash = name
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    let suffix = format!("-{:08x}", hash & 0xffff_ffff);
    let keep = max - suffix.len();
    format!("{}{suffix}", name[..keep].trim_end_matches('-'))
}

impl FleetNames {
    pub fn for_env(environment: &Environment) -> Self {
        let prefix = environment.name_prefix.clone();
        FleetNames {
            instance_role: fit(format!("{prefix}-instance"), IAM_NAME_MAX),
            instance_profile: fit(format!("{prefix}-instance"), IAM_NAME_MAX),
            role_policy: format!("{prefix}-instance"),
            secrets_path: format!("/forgectl/{}/", environment.name),
            load_balancer: fit(format!("{prefix}-api"), ELB_NAME_MAX),
            target_group: fit(format!("{prefix}-producer"), ELB_NAME_MAX),
            load_balancer_sg: format!("{prefix}-api-lb"),
            producer_sg: format!("{prefix}-producer"),
            metrics_sg: format!("{prefix}-metrics"),
            prefix,
            env: environment.name.clone(),
        }
    }

    pub fn env(&self) -> &str {
        &self.env
    }

    pub fn group(&self, role: RoleName) -> String {
        format!("{}-{role}", self.prefix)
    }

    pub fn launch_template(&self, role: RoleName) -> String {
        format!("{}-{role}", self.prefix)
    }

    pub fn log_group(&self, role: RoleName) -> String {
        format!("/forgectl/{}/{role}", self.env)
    }

    pub fn secret(&self, variable: &str) -> String {
        format!("{}{variable}", self.secrets_path)
    }

    /// Unique per group, not only within it: some tools (and moto) key
    /// policies by name alone.
    pub fn scaling_policy(&self, role: RoleName) -> String {
        format!("{}-{role}-cpu-target", self.prefix)
    }

    /// A consumer group's lag-per-instance target-tracking policy.
    pub fn lag_policy(&self, role: RoleName) -> String {
        format!("{}-{role}-lag-target", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn long_names_are_shortened_the_same_way_every_time() {
        assert_eq!(fit("forgectl-prod-api".into(), 32), "forgectl-prod-api");
        let long = fit("forgectl-a-very-long-environment-name-api".into(), 32);
        assert_eq!(long.len(), 32);
        assert_eq!(long, fit("forgectl-a-very-long-environment-name-api".into(), 32));
        assert_ne!(long, fit("forgectl-a-very-long-environment-name-api2".into(), 32));
    }
}
