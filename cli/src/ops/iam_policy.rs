//! `forgectl iam-policy --for COMMAND`: the least-privilege IAM policy the
//! identity running COMMAND needs for this environment. Pure: it reads the
//! environment's names, region and client auth, and calls nothing.

use crate::config::{ClientAuth, Environment, Provider};
use crate::exit::Exit;
use crate::naming::fleet::FleetNames;
use crate::policy::{cluster, fleet, PolicyDocument, Scope, Statement};

/// The commands (and the CI job) a policy can be written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyCommand {
    Plan,
    Provision,
    Deploy,
    Destroy,
    /// The pipeline template's pull-request and drift jobs: `plan` and
    /// `topics check --via msk`, read-only.
    CiPlan,
}

#[derive(Debug, thiserror::Error)]
pub enum IamPolicyError {
    #[error("environment {env} uses the local provider: forgectl calls no AWS API for it, so it needs no IAM policy")]
    LocalProvider { env: String },
}

impl IamPolicyError {
    pub fn exit(&self) -> Exit {
        Exit::Usage
    }

    pub fn hint(&self) -> Option<String> {
        Some("pick an aws environment with --env NAME".into())
    }
}

pub fn iam_policy(environment: &Environment, command: PolicyCommand) -> Result<PolicyDocument, IamPolicyError> {
    if environment.provider == Provider::Local {
        return Err(IamPolicyError::LocalProvider { env: environment.name.clone() });
    }
    let scope = Scope::for_env(environment);
    let names = FleetNames::for_env(environment);
    let scram = environment.client_auth == ClientAuth::SaslScram;
    let mut statements: Vec<Statement> = Vec::new();
    let mut add = |grants: Vec<Statement>| statements.extend(grants);

    // What every command reads first: the network and the cluster.
    add(cluster::network_read());
    add(cluster::msk_read(&scope));
    // Destroy looks for a SCRAM secret and key whatever the client auth is
    // now: they may be left from an earlier `client_auth: sasl-scram`.
    if scram || command == PolicyCommand::Destroy {
        add(cluster::scram_read(&scope));
    }
    match command {
        PolicyCommand::Plan => {}
        PolicyCommand::CiPlan => add(cluster::topics_read(&scope)),
        PolicyCommand::Provision => {
            add(cluster::security_groups_write(&scope));
            add(cluster::msk_write(&scope));
            // Provision ends with `topics sync`, through the MSK API when the brokers are out of reach.
            add(cluster::topics_read(&scope));
            add(cluster::topics_write(&scope));
            if scram {
                add(cluster::scram_write(&scope));
            }
        }
        PolicyCommand::Deploy => {
            add(cluster::security_groups_write(&scope));
            add(fleet::fleet_read(&scope, &names));
            add(fleet::fleet_write(&scope, &names));
            add(fleet::monitoring_read(&scope));
            add(fleet::monitoring_write(&scope));
            if scram {
                // The services' SCRAM login goes from the secret into Parameter Store.
                add(vec![
                    Statement::allow(
                        "ScramReadSecretValue",
                        &["secretsmanager:GetSecretValue"],
                        vec![scope.arn("secretsmanager", &format!("secret:{}-*", scope.names.scram_secret))],
                    ),
                    cluster::secret_key_use(&scope),
                ]);
            }
        }
        PolicyCommand::Destroy => {
            add(fleet::fleet_read(&scope, &names));
            add(fleet::fleet_delete(&scope, &names));
            add(fleet::monitoring_read(&scope));
            add(fleet::monitoring_delete(&scope));
            add(cluster::security_groups_delete(&scope));
            add(cluster::msk_delete(&scope));
            add(cluster::scram_delete(&scope));
        }
    }
    Ok(PolicyDocument::from_statements(statements))
}
