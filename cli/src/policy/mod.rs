//! IAM policy documents for the identity that runs forgectl: the typed form
//! of AWS's policy grammar (Version 2012-10-17, Statement, Sid, Effect,
//! Action, Resource, Condition) and the ARNs of the environment's resources.
//!
//! The grants themselves live next to what they grant: `cluster` (security
//! groups, MSK, topics, SCRAM) and `fleet` (deploy's services, alarms).

pub mod cluster;
pub mod fleet;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Environment;
use crate::naming::{Names, TAG_ENV};

/// The only current version of the policy language.
pub const POLICY_VERSION: &str = "2012-10-17";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Statements in the order given; a Sid seen before is dropped, so
    /// commands can share grant sets without repeating a statement.
    pub fn from_statements(statements: impl IntoIterator<Item = Statement>) -> Self {
        let mut unique: Vec<Statement> = Vec::new();
        for statement in statements {
            if !unique.iter().any(|seen| seen.sid == statement.sid) {
                unique.push(statement);
            }
        }
        PolicyDocument { version: POLICY_VERSION, statements: unique }
    }

    /// Every action any statement names (sorted, once each).
    pub fn actions(&self) -> Vec<&str> {
        let mut actions: Vec<&str> =
            self.statements.iter().flat_map(|statement| statement.actions.iter().map(String::as_str)).collect();
        actions.sort_unstable();
        actions.dedup();
        actions
    }
}

/// forgectl only ever grants: a deny would belong to the account's guard
/// rails (SCPs, permission boundaries), not to a least-privilege policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
}

/// Operator → condition key → values (AWS ORs the values, ANDs the rest).
pub type Conditions = BTreeMap<&'static str, BTreeMap<String, Vec<String>>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub sid: String,
    pub effect: Effect,
    #[serde(rename = "Action")]
    pub actions: Vec<String>,
    #[serde(rename = "Resource")]
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: Conditions,
}

impl Statement {
    /// `sid` must be alphanumeric (IAM's rule for Sid values).
    pub fn allow(sid: &str, actions: &[&str], resources: Vec<String>) -> Self {
        Statement {
            sid: sid.to_string(),
            effect: Effect::Allow,
            actions: actions.iter().map(|action| action.to_string()).collect(),
            resources,
            condition: Conditions::new(),
        }
    }

    /// For actions without resource-level permissions: AWS requires `*`.
    pub fn allow_any_resource(sid: &str, actions: &[&str]) -> Self {
        Self::allow(sid, actions, vec!["*".to_string()])
    }

    pub fn when(mut self, operator: &'static str, key: impl Into<String>, values: Vec<String>) -> Self {
        self.condition.entry(operator).or_default().insert(key.into(), values);
        self
    }

    /// Only resources that already carry the environment's `forgectl:env` tag.
    pub fn on_tagged(self, scope: &Scope) -> Self {
        self.when("StringEquals", format!("aws:ResourceTag/{TAG_ENV}"), vec![scope.env.clone()])
    }

    /// Only requests that tag what they create with the environment's `forgectl:env`.
    pub fn creating_tagged(self, scope: &Scope) -> Self {
        self.when("StringEquals", format!("aws:RequestTag/{TAG_ENV}"), vec![scope.env.clone()])
    }
}

/// Where the environment lives: the ARN parts and the names forgectl gives
/// its resources. Region and account are `*` where the config does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub env: String,
    pub prefix: String,
    pub region: String,
    pub account: String,
    pub names: Names,
}

impl Scope {
    pub fn for_env(environment: &Environment) -> Self {
        Scope {
            env: environment.name.clone(),
            prefix: environment.name_prefix.clone(),
            region: environment.region.clone().unwrap_or_else(|| "*".to_string()),
            // forgectl.yaml names no account; the policy is attached in it anyway.
            account: "*".to_string(),
            names: Names::for_env(environment),
        }
    }

    /// `arn:aws:<service>:<region>:<account>:<resource>`.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{resource}", self.region, self.account)
    }

    /// IAM is global: no region in its ARNs.
    pub fn iam_arn(&self, resource: &str) -> String {
        format!("arn:aws:iam::{}:{resource}", self.account)
    }

    /// What a service endpoint calls the region in `kms:ViaService` values.
    pub fn via_service(&self, service: &str) -> String {
        format!("{service}.{}.amazonaws.com", self.region)
    }
}

#[cfg(test)]
mod tests;
