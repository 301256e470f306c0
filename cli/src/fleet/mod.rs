//! The services on AWS: one Auto Scaling group per role behind a launch
//! template, the producer's load balancer, the instance role, the secrets
//! in Parameter Store and the images in ECR. The shape of `cluster/`: what
//! a deploy asks for (`target`, with the resource documents in `desired`),
//! what AWS holds (`actual`), and the pure comparison (`compare`, `diff`)
//! into a `plan` of typed steps, which `ops::deploy::aws` observes for and applies.

pub mod actual;
pub mod cloudwatch_agent;
mod compare;
pub mod desired;
pub mod diff;
mod exposure;
pub mod msk_iam;
pub mod plan;
pub mod postgres_ca;
pub mod roles;
pub mod scaling;
mod security_groups;
pub mod target;

#[cfg(test)]
mod tests;

use crate::aws::AwsError;
use crate::exit::Exit;
use crate::render::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Aws(#[from] AwsError),

    #[error(transparent)]
    Render(#[from] RenderError),

    #[error("image {repository}:{tag} is not in ECR ({registry})")]
    ImageMissing { repository: String, tag: String, registry: String },

    #[error("ECR repository {repository} does not exist")]
    RepositoryMissing { repository: String },

    #[error("environment `{env}` has no {what}")]
    NotProvisioned { env: String, what: String },

    #[error("environment `{env}`: {message}")]
    Invalid { env: String, message: String, hint: String },

    #[error("environment `{env}`: secret {parameter} is not in Parameter Store and ${variable} is not set")]
    MissingSecret { env: String, parameter: String, variable: String },

    #[error("Auto Scaling group {group} is in the middle of another rollout (instance refresh {id})")]
    RefreshInProgress { group: String, id: String },

    #[error("the rollout of {version} was rolled back for {}: {}", roles.join(", "), reasons.join("; "))]
    RolledBack { version: String, roles: Vec<String>, reasons: Vec<String>, env: String },

    #[error("the rollout of {version} to {role} stopped: instance refresh {status}{}", reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    RolloutFailed { version: String, role: String, status: String, reason: Option<String> },
}

impl FleetError {
    pub fn exit(&self) -> Exit {
        match self {
            FleetError::Invalid { .. } | FleetError::MissingSecret { .. } => Exit::Usage,
            FleetError::Render(err) => err.exit(),
            _ => Exit::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            FleetError::Aws(err) => err.hint(),
            FleetError::Render(err) => err.hint(),
            FleetError::ImageMissing { repository, tag, registry } => Some(format!(
                "build and push it first: `forgectl images login | docker login --username AWS --password-stdin {registry}`, \
                 then `docker build -f services/{service}/Dockerfile -t {registry}/{repository}:{tag} . && docker push {registry}/{repository}:{tag}`; nothing was changed",
                service = repository.trim_start_matches("forgectl-"),
            )),
            FleetError::RepositoryMissing { .. } => {
                Some("create the repositories with `forgectl images init`, push the images, then deploy; nothing was changed".into())
            }
            FleetError::NotProvisioned { env, .. } => Some(format!("run `forgectl provision --env {env}` first")),
            FleetError::Invalid { hint, .. } => Some(hint.clone()),
            FleetError::MissingSecret { variable, .. } => Some(format!(
                "export {variable} (for example from your CI's secret store) and re-run; forgectl stores it as an SSM SecureString"
            )),
            FleetError::RolledBack { env, .. } => Some(format!(
                "the previous version runs again; the failed instances' container logs are in CloudWatch under /forgectl/{env}/<role>"
            )),
            FleetError::RefreshInProgress { group, .. } => Some(format!(
                "wait for it to finish (`forgectl status` shows the versions), or stop it with \
                 `aws autoscaling cancel-instance-refresh --auto-scaling-group-name {group}`, then re-run deploy"
            )),
            FleetError::RolloutFailed { .. } => Some(
                "look at the group's activity history (`aws autoscaling describe-scaling-activities`), fix the cause and re-run deploy".into(),
            ),
        }
    }
}

/// `https://` once the load balancer has a certificate.
pub fn producer_url(environment: &crate::config::Environment, dns_name: &str) -> String {
    let scheme = if environment.services.certificate_arn.is_some() { "https" } else { "http" };
    format!("{scheme}://{dns_name}")
}
