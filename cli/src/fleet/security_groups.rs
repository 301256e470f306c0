//! The fleet's security groups: each with exactly its desired inbound
//! rules, opened one port per call and closed in one.

use crate::aws::ec2::IngressRule;

use super::actual::Actual;
use super::diff::{rule_changes, RuleChanges};
use super::plan::{Change, ResourceKind, SharedChange, Step};
use super::target::Pending;

/// A security group of the fleet with exactly the `desired` inbound rules;
/// `descriptions` are the group's and its rules'.
pub(super) fn security_group(
    actual: &Actual,
    name: String,
    desired: &[IngressRule],
    (group_description, rule_description): (&'static str, &'static str),
) -> SharedChange {
    match actual.security_group(&name) {
        None => {
            let mut steps = vec![Step::CreateSecurityGroup {
                name: name.clone(),
                description: group_description,
                vpc_id: actual.vpc_id.clone(),
            }];
            steps.extend(rule_steps(
                (Pending::SecurityGroup.id(&name), name.clone()),
                &rule_changes(&[], desired),
                rule_description,
            ));
            SharedChange::new(ResourceKind::SecurityGroup, name, Change::Create).with_steps(steps)
        }
        Some(group) => {
            let changes = rule_changes(&group.ingress, desired);
            let steps = rule_steps((group.id.clone(), name.clone()), &changes, rule_description);
            match changes.is_empty() {
                true => SharedChange::new(ResourceKind::SecurityGroup, name, Change::Keep),
                false => SharedChange::new(ResourceKind::SecurityGroup, name, Change::Update)
                    .because(changes.describe())
                    .with_steps(steps),
            }
        }
    }
}

/// One authorize call per port (every rule forgectl sets here is
/// single-port TCP), then one revoke for what no longer belongs.
fn rule_steps(group: (String, String), changes: &RuleChanges, description: &'static str) -> Vec<Step> {
    let mut ports: Vec<i32> = changes.open.iter().filter_map(|rule| rule.from_port).collect();
    ports.dedup();
    let mut steps: Vec<Step> = ports
        .into_iter()
        .filter_map(|port| {
            let sources =
                changes.open.iter().filter(|rule| rule.from_port == Some(port)).map(|rule| rule.source.clone());
            Some(Step::Authorize {
                group: group.clone(),
                port: u16::try_from(port).ok()?,
                sources: sources.collect(),
                description,
            })
        })
        .collect();
    if !changes.close.is_empty() {
        let rules: Vec<IngressRule> = changes.close.clone();
        steps.push(Step::Revoke { group, rules });
    }
    steps
}
