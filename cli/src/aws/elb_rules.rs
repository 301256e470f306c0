//! Listener rules: the producer's API is routed by path (`/v1/*`), and the
//! listener's default action answers everything else with a 404. AWS
//! references: CreateRule, DescribeRules, DeleteRule and RuleCondition in
//! the Elastic Load Balancing API Reference (version 2015-12-01).

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, PathPatternConditionConfig, RuleCondition};
use aws_sdk_elasticloadbalancingv2::Client;
use serde::Serialize;

use super::call::Call;
use super::error::AwsError;

/// One rule of a listener besides its default: requests whose path matches
/// one of `path_patterns` go to the target group `forward_to`. A rule that
/// does anything else (set by hand) reads with `forward_to: None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// Empty for a rule that does not exist yet.
    pub arn: String,
    pub priority: u32,
    pub path_patterns: Vec<String>,
    pub forward_to: Option<String>,
}

impl Route {
    /// What the rule does, whatever its ARN and priority.
    pub fn same_routing(&self, other: &Route) -> bool {
        (&self.path_patterns, &self.forward_to) == (&other.path_patterns, &other.forward_to)
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let to = if self.forward_to.is_some() { "the producers" } else { "other" };
        write!(f, "{} to {to}", self.path_patterns.join(" "))
    }
}

/// The listener's rules, its default one left out (that is the listener's action).
pub async fn routes(client: &Client, listener_arn: &str) -> Result<Vec<Route>, AwsError> {
    let call = Call::new("elasticloadbalancing:DescribeRules", format!("listener {listener_arn}"));
    let output = call.send(client.describe_rules().listener_arn(listener_arn).send()).await?;
    let mut routes = Vec::new();
    for rule in output.rules().iter().filter(|rule| rule.is_default() != Some(true)) {
        let priority = call.required_str(rule.priority(), "Rules[].Priority")?;
        let path_patterns = match rule.conditions() {
            [only] if only.field() == Some("path-pattern") => only
                .path_pattern_config()
                .map(|config| config.values().to_vec())
                .or_else(|| (!only.values().is_empty()).then(|| only.values().to_vec()))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let forward_to = match rule.actions() {
            [only] if only.r#type() == Some(&ActionTypeEnum::Forward) => only.target_group_arn().map(str::to_string),
            _ => None,
        };
        routes.push(Route {
            arn: call.required_str(rule.rule_arn(), "Rules[].RuleArn")?,
            priority: call.required(priority.parse().ok(), "Rules[].Priority (a number)")?,
            path_patterns,
            forward_to,
        });
    }
    Ok(routes)
}

/// Returns the new rule's ARN. A route without a target group is never created.
pub async fn create_rule(client: &Client, listener_arn: &str, route: &Route) -> Result<String, AwsError> {
    let call = Call::new("elasticloadbalancing:CreateRule", format!("listener {listener_arn}"));
    let condition = RuleCondition::builder()
        .field("path-pattern")
        .path_pattern_config(
            PathPatternConditionConfig::builder().set_values(Some(route.path_patterns.clone())).build(),
        )
        .build();
    let action =
        Action::builder().r#type(ActionTypeEnum::Forward).set_target_group_arn(route.forward_to.clone()).build();
    let request = client
        .create_rule()
        .listener_arn(listener_arn)
        .priority(i32::try_from(route.priority).unwrap_or(i32::MAX))
        .conditions(condition)
        .actions(action)
        .send();
    let output = call.send(request).await?;
    let rule = call.required(output.rules().first(), "Rules")?;
    call.required_str(rule.rule_arn(), "Rules[].RuleArn")
}

pub async fn delete_rule(client: &Client, arn: &str) -> Result<(), AwsError> {
    let call = Call::new("elasticloadbalancing:DeleteRule", format!("listener rule {arn}"));
    call.send_or_absent(client.delete_rule().rule_arn(arn).send()).await?;
    Ok(())
}
