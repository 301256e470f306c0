//! Where an environment takes uploads and keeps records: the one place that
//! reads forgectl's internals for `verify` and `loadtest`. Everything else in
//! `prove` works from the `ProveTargets` this returns.

use crate::aws::AwsClients;
use secrecy::SecretString;
use serde::Serialize;

use super::ProveError;
use crate::config::{Environment, Provider};
use crate::kafka::KafkaConnection;
use crate::render::PostgresConnection;

/// The variable that holds the producer API key to send, when the
/// environment's producers require one. The key never goes on the command
/// line, where other users of the machine could read it.
pub const API_KEY_VARIABLE: &str = "FORGECTL_API_KEY";

/// The producers' public address: the local balancer or the AWS load balancer.
#[derive(Debug, Clone, Serialize)]
pub struct FrontDoor {
    pub url: String,
    /// What serves `url`, for messages: "local load balancer", "load balancer forgectl-x-api".
    pub served_by: String,
    /// Sent as `X-Api-Key`; never serialised.
    #[serde(skip)]
    pub api_key: Option<SecretString>,
}

impl FrontDoor {
    pub fn has_api_key(&self) -> bool {
        self.api_key.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct ProveTargets {
    pub front_door: FrontDoor,
    pub postgres: PostgresConnection,
    /// `None` when forgectl cannot reach the brokers from here (an AWS
    /// environment without `kafka.bootstrap_servers`): no lag is sampled.
    pub kafka: Option<KafkaConnection>,
}

/// The environment's front door, PostgreSQL and Kafka.
/// `aws`: the run's clients, for an AWS environment's load balancer.
pub async fn resolve(environment: &Environment, aws: Option<&AwsClients>) -> Result<ProveTargets, ProveError> {
    let front_door = front_door(environment, aws).await?;
    let postgres = crate::render::connections::postgres_connection(environment, true)
        .map_err(|err| ProveError::Invalid { message: err.to_string(), hint: err.hint().unwrap_or_default() })?;
    if postgres.password.is_none() {
        let variable = environment.postgres.as_ref().map(|pg| pg.password_env.as_str()).unwrap_or_default();
        return Err(ProveError::Invalid {
            message: format!(
                "environment `{}`: the PostgreSQL password variable {variable} is not set",
                environment.name
            ),
            hint: format!("export {variable} (for the local stack: eval \"$(dev/stack env)\")"),
        });
    }
    let kafka = crate::render::connections::kafka_connection(environment, true).ok();
    Ok(ProveTargets { front_door, postgres, kafka })
}

async fn front_door(environment: &Environment, aws: Option<&AwsClients>) -> Result<FrontDoor, ProveError> {
    let api_key = std::env::var(API_KEY_VARIABLE).ok().filter(|key| !key.is_empty()).map(SecretString::from);
    match environment.provider {
        Provider::Local => Ok(FrontDoor {
            url: format!("http://127.0.0.1:{}", environment.producer_port),
            served_by: "local load balancer".into(),
            // Without an explicit key, the one deploy generated for this environment.
            api_key: match api_key {
                Some(key) => Some(key),
                None => local_api_key(environment)?.map(SecretString::from),
            },
        }),
        Provider::Aws => {
            let clients = aws.ok_or_else(|| ProveError::Invalid {
                message: format!("environment `{}` is on AWS, and no AWS clients were given", environment.name),
                hint: "report this as a bug: the command resolves its clients before proving".into(),
            })?;
            let name = crate::naming::fleet::FleetNames::for_env(environment).load_balancer;
            let balancer =
                crate::aws::elb::find_load_balancer(&clients.elb, &name).await?.ok_or_else(|| ProveError::Stopped {
                    reached: format!("environment `{}` is an AWS environment", environment.name),
                    stopped_at: format!("finding its load balancer {name}"),
                    reason: "there is none".into(),
                    hint: Some(format!("deploy the services first: forgectl --env {} deploy", environment.name)),
                })?;
            if balancer.dns_name.is_empty() {
                return Err(ProveError::Stopped {
                    reached: format!("found load balancer {name}"),
                    stopped_at: "reading its DNS name".into(),
                    reason: "DescribeLoadBalancers returned none".into(),
                    hint: None,
                });
            }
            Ok(FrontDoor {
                url: crate::fleet::producer_url(environment, &balancer.dns_name),
                served_by: format!("load balancer {name}"),
                api_key,
            })
        }
    }
}

/// The key the local provider generated under `./.forgectl/<env>/`, where
/// deploy keeps the environment's state.
fn local_api_key(environment: &Environment) -> Result<Option<String>, ProveError> {
    let invalid = |message: String| ProveError::Invalid {
        message,
        hint: format!("run forgectl from the directory you deployed from, or export {API_KEY_VARIABLE}"),
    };
    let base = std::env::current_dir().map_err(|err| invalid(format!("cannot read the working directory: {err}")))?;
    let state = crate::local::state::StateDir::new(&base, &environment.name);
    crate::local::api_key::read(&state).map_err(|err| invalid(err.to_string()))
}

/// Load is only ever aimed at the environment's own front door: a `--target`
/// that names anything else is refused.
pub fn check_target(front_door: &FrontDoor, requested: Option<&str>) -> Result<(), ProveError> {
    let Some(requested) = requested else {
        return Ok(());
    };
    let normalise = |url: &str| url.trim_end_matches('/').to_ascii_lowercase();
    if normalise(requested) == normalise(&front_door.url) {
        return Ok(());
    }
    Err(ProveError::Invalid {
        message: format!(
            "refusing to send load to {requested}: it is not this environment's front door ({}, the {})",
            front_door.url, front_door.served_by
        ),
        hint: "loadtest only targets the environment's own endpoint; pick the environment with --env".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn door() -> FrontDoor {
        FrontDoor { url: "http://127.0.0.1:8000".into(), served_by: "local load balancer".into(), api_key: None }
    }

    #[test]
    fn only_the_environments_own_endpoint_is_accepted() {
        assert!(check_target(&door(), None).is_ok());
        assert!(check_target(&door(), Some("http://127.0.0.1:8000/")).is_ok());
        let refused = check_target(&door(), Some("http://example.com")).map_err(|err| err.to_string());
        assert!(refused.is_err_and(|message| message.contains("refusing")));
    }

    #[test]
    fn the_api_key_is_never_serialised() {
        let mut door = door();
        door.api_key = Some(SecretString::from("k-123456789"));
        let json = serde_json::to_string(&door).unwrap_or_default();
        assert!(!json.contains("k-123456789"));
        assert!(!format!("{door:?}").contains("k-123456789"));
    }
}
