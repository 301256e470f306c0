//! The monitoring part of a deploy plan: per topic, subscription, alarm and
//! dashboard, what `deploy` does and the typed steps that do it. A pure
//! function of the target and what AWS holds, unit-tested without AWS.

use serde::Serialize;

use crate::aws::cloudwatch::AlarmSpec;

use super::{alarms, dashboard, MonitoringTarget, Observed};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Delete,
    Keep,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Keep => "keep",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MonitoringKind {
    #[serde(rename = "sns topic")]
    Topic,
    #[serde(rename = "sns subscription")]
    Subscription,
    #[serde(rename = "cloudwatch alarm")]
    Alarm,
    #[serde(rename = "cloudwatch dashboard")]
    Dashboard,
}

impl MonitoringKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MonitoringKind::Topic => "sns topic",
            MonitoringKind::Subscription => "sns subscription",
            MonitoringKind::Alarm => "cloudwatch alarm",
            MonitoringKind::Dashboard => "cloudwatch dashboard",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitoringChange {
    pub kind: MonitoringKind,
    pub name: String,
    pub action: Action,
    /// Why an update, or what to know about a kept resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl MonitoringChange {
    fn new(kind: MonitoringKind, name: impl Into<String>, action: Action) -> Self {
        MonitoringChange { kind, name: name.into(), action, detail: None }
    }

    fn because(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// One call's worth of work; `PENDING_*` values are bound by the applier.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitoringStep {
    CreateTopic { name: String },
    Subscribe { protocol: &'static str, endpoint: String },
    Unsubscribe { arn: String, endpoint: String },
    PutAlarm(AlarmSpec),
    DeleteAlarms(Vec<String>),
    PutDashboard { name: String, body: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitoringPlan {
    pub topic: String,
    /// Every resource, kept ones included.
    pub changes: Vec<MonitoringChange>,
    /// A name forgectl would use is taken by something without the
    /// environment's tags: nothing is changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// The topic's ARN when it exists already.
    #[serde(skip)]
    pub topic_arn: Option<String>,
    #[serde(skip)]
    pub steps: Vec<MonitoringStep>,
}

impl MonitoringPlan {
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|change| change.action != Action::Keep)
    }
}

/// What differs between two alarm definitions, for the plan's detail.
pub fn alarm_differences(have: &AlarmSpec, want: &AlarmSpec) -> Vec<String> {
    let mut differences = Vec::new();
    if have.threshold != want.threshold {
        differences.push(format!("threshold {} → {}", have.threshold, want.threshold));
    }
    if have.comparison != want.comparison {
        differences.push("comparison".into());
    }
    if have.evaluation_periods != want.evaluation_periods {
        differences.push(format!("periods {} → {}", have.evaluation_periods, want.evaluation_periods));
    }
    if have.queries != want.queries {
        differences.push("metrics".into());
    }
    if have.actions != want.actions {
        differences.push("actions".into());
    }
    if have.missing_data != want.missing_data {
        differences.push("missing data".into());
    }
    if have.description != want.description {
        differences.push("description".into());
    }
    differences
}

pub fn plan(target: &MonitoringTarget<'_>, observed: &Observed) -> MonitoringPlan {
    use MonitoringKind::{Alarm, Dashboard, Subscription, Topic};
    let names = &target.names;
    let mut changes = Vec::new();
    let mut steps = Vec::new();
    let mut refused = None;

    let topic_arn = match &observed.topic {
        Some(topic) if !crate::naming::is_managed(&topic.tags, target.env) => {
            refused = Some(format!(
                "SNS topic {} exists without the tags of environment {}; rename or delete it",
                topic.name, target.env
            ));
            None
        }
        Some(topic) => {
            changes.push(MonitoringChange::new(Topic, &names.topic, Action::Keep));
            Some(topic.arn.clone())
        }
        None => {
            changes.push(MonitoringChange::new(Topic, &names.topic, Action::Create));
            steps.push(MonitoringStep::CreateTopic { name: names.topic.clone() });
            None
        }
    };

    let wanted: Vec<(&'static str, &String)> = target
        .subscriptions
        .email
        .iter()
        .map(|endpoint| ("email", endpoint))
        .chain(target.subscriptions.https.iter().map(|endpoint| ("https", endpoint)))
        .collect();
    for (protocol, endpoint) in &wanted {
        let label = format!("{protocol} {endpoint}");
        match observed.subscriptions.iter().find(|s| s.protocol == *protocol && &s.endpoint == *endpoint) {
            Some(found) if found.arn.is_none() => changes.push(
                MonitoringChange::new(Subscription, label, Action::Keep).because("waiting for the endpoint to confirm"),
            ),
            Some(_) => changes.push(MonitoringChange::new(Subscription, label, Action::Keep)),
            None => {
                changes.push(MonitoringChange::new(Subscription, label, Action::Create));
                steps.push(MonitoringStep::Subscribe { protocol, endpoint: endpoint.to_string() });
            }
        }
    }
    for found in &observed.subscriptions {
        if wanted.iter().any(|(protocol, endpoint)| found.protocol == *protocol && &found.endpoint == *endpoint) {
            continue;
        }
        let label = format!("{} {}", found.protocol, found.endpoint);
        match &found.arn {
            Some(arn) => {
                changes.push(MonitoringChange::new(Subscription, label, Action::Delete));
                steps.push(MonitoringStep::Unsubscribe { arn: arn.clone(), endpoint: found.endpoint.clone() });
            }
            // SNS cannot remove an unconfirmed subscription; it lapses.
            None => changes.push(
                MonitoringChange::new(Subscription, label, Action::Keep)
                    .because("no longer wanted; unconfirmed, so SNS drops it within 3 days"),
            ),
        }
    }

    let desired_alarms = alarms::desired(target, topic_arn.as_deref());
    for want in &desired_alarms {
        match observed.alarms.iter().find(|(have, _)| have.name == want.name) {
            Some((_, false)) => {
                refused = Some(format!(
                    "CloudWatch alarm {} exists without the tags of environment {}; rename or delete it",
                    want.name, target.env
                ));
            }
            Some((have, true)) => {
                let differences = match &have.spec {
                    Some(spec) => alarm_differences(spec, want),
                    None => vec!["a shape forgectl does not write".into()],
                };
                if differences.is_empty() {
                    changes.push(MonitoringChange::new(Alarm, &want.name, Action::Keep));
                } else {
                    changes
                        .push(MonitoringChange::new(Alarm, &want.name, Action::Update).because(differences.join(", ")));
                    steps.push(MonitoringStep::PutAlarm(want.clone()));
                }
            }
            None => {
                changes.push(MonitoringChange::new(Alarm, &want.name, Action::Create));
                steps.push(MonitoringStep::PutAlarm(want.clone()));
            }
        }
    }
    let stale: Vec<String> = observed
        .alarms
        .iter()
        .filter(|(have, ours)| *ours && !desired_alarms.iter().any(|want| want.name == have.name))
        .map(|(have, _)| have.name.clone())
        .collect();
    for name in &stale {
        changes.push(MonitoringChange::new(Alarm, name, Action::Delete));
    }
    if !stale.is_empty() {
        steps.push(MonitoringStep::DeleteAlarms(stale));
    }

    let board = dashboard::desired(target);
    let body = serde_json::to_value(&board).unwrap_or_default();
    let current = observed.dashboard.as_deref().map(|text| serde_json::from_str::<serde_json::Value>(text).ok());
    let action = match current {
        None => Action::Create,
        Some(Some(value)) if value == body => Action::Keep,
        Some(_) => Action::Update,
    };
    changes.push(MonitoringChange::new(Dashboard, &names.dashboard, action));
    if action != Action::Keep {
        steps.push(MonitoringStep::PutDashboard { name: names.dashboard.clone(), body: body.to_string() });
    }

    if refused.is_some() {
        steps.clear();
    }
    MonitoringPlan { topic: names.topic.clone(), changes, refused, topic_arn, steps }
}
