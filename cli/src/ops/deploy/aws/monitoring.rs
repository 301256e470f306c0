//! The monitoring part of deploy, status and destroy on AWS: read the
//! topic, subscriptions, alarms and dashboard (`observe`), apply the plan's
//! steps (`apply`), report each alarm's state (`alarm_states`) and find and
//! delete what is the environment's (`discover`, `teardown`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::cloudwatch::{self, AlarmSpec, QueryKind};
use crate::aws::{elb, msk, sns, AwsClients};
use crate::config::Environment;
use crate::fleet::FleetError;
use crate::monitoring::plan::{Action, MonitoringChange, MonitoringPlan, MonitoringStep};
use crate::monitoring::{
    load_balancer_dimension, target_group_dimension, MonitoringNames, MonitoringTarget, Observed,
    PENDING_LOAD_BALANCER, PENDING_TARGET_GROUP, PENDING_TOPIC,
};
use crate::naming::fleet::FleetNames;
use crate::naming::{environment_tags, is_managed};
use crate::profile::Profile;
use crate::progress::Progress;

/// The alarms under the environment's prefix, each with whether its tags
/// make it the environment's: the prefix alone could match another
/// environment whose name continues this one's (`dev` and `dev-2`).
async fn alarms_with_ownership(
    clients: &AwsClients,
    environment: &Environment,
    names: &MonitoringNames,
) -> Result<Vec<(cloudwatch::ObservedAlarm, bool)>, FleetError> {
    let mut alarms = Vec::new();
    for alarm in cloudwatch::alarms_named(&clients.cloudwatch, &names.alarm_prefix).await? {
        let tags = cloudwatch::alarm_tags(&clients.cloudwatch, &alarm.arn).await?;
        let ours = is_managed(&tags, &environment.name);
        alarms.push((alarm, ours));
    }
    Ok(alarms)
}

/// What the alarms are about and what AWS holds. `serves_producer`: this
/// deploy creates the load balancer if it is missing, so its alarms are
/// planned with stand-ins for its dimensions.
pub async fn observe<'a>(
    clients: &AwsClients,
    environment: &'a Environment,
    profile: &'a Profile,
    serves_producer: bool,
) -> Result<(MonitoringTarget<'a>, Observed), FleetError> {
    let names = MonitoringNames::for_prefix(&environment.name_prefix);
    let fleet = FleetNames::for_env(environment);
    let cluster = msk::find_cluster(&clients.kafka, environment)
        .await?
        .ok_or_else(|| FleetError::NotProvisioned { env: environment.name.clone(), what: "MSK cluster".into() })?;
    let load_balancer = elb::find_load_balancer(&clients.elb, &fleet.load_balancer).await?;
    let target_group = elb::find_target_group(&clients.elb, &fleet.target_group).await?;
    let dimension = |found: Option<String>, pending: &str| match found {
        Some(value) => Some(value),
        None if serves_producer => Some(pending.to_string()),
        None => None,
    };
    let target = MonitoringTarget {
        env: &environment.name,
        profile,
        subscriptions: &environment.alerts,
        region: clients.cloudwatch.config().region().map(|region| region.to_string()).unwrap_or_default(),
        cluster: cluster.name.clone(),
        brokers: cluster.broker_count,
        load_balancer: dimension(load_balancer.and_then(|lb| load_balancer_dimension(&lb.arn)), PENDING_LOAD_BALANCER),
        target_group: dimension(target_group.and_then(|tg| target_group_dimension(&tg.arn)), PENDING_TARGET_GROUP),
        groups: profile.roles.iter().map(|role| (role.name, fleet.group(role.name), role.min, role.max)).collect(),
        names,
    };
    let topic = sns::find_topic(&clients.sns, &target.names.topic).await?;
    let subscriptions = match &topic {
        Some(topic) if is_managed(&topic.tags, &environment.name) => {
            sns::subscriptions(&clients.sns, &topic.arn).await?
        }
        _ => Vec::new(),
    };
    let alarms = alarms_with_ownership(clients, environment, &target.names).await?;
    let dashboard = cloudwatch::dashboard(&clients.cloudwatch, &target.names.dashboard).await?;
    Ok((target, Observed { topic, subscriptions, alarms, dashboard }))
}

/// Values the plan left as `PENDING_*` stand-ins, as they are now.
struct Bindings(BTreeMap<&'static str, String>);

impl Bindings {
    fn bind(&self, text: &str) -> String {
        self.0.iter().fold(text.to_string(), |text, (pending, value)| text.replace(pending, value))
    }

    fn alarm(&self, alarm: &AlarmSpec) -> AlarmSpec {
        let mut alarm = alarm.clone();
        alarm.actions = alarm.actions.iter().map(|action| self.bind(action)).collect();
        for query in &mut alarm.queries {
            if let QueryKind::Metric(stat) = &mut query.kind {
                for (_, value) in &mut stat.dimensions {
                    *value = self.bind(value);
                }
            }
        }
        alarm
    }
}

/// The load balancer and target group the fleet's steps just created.
async fn front_door(clients: &AwsClients, environment: &Environment) -> Result<(String, String), FleetError> {
    let fleet = FleetNames::for_env(environment);
    let missing = |what: String| FleetError::NotProvisioned { env: environment.name.clone(), what };
    let lb = elb::find_load_balancer(&clients.elb, &fleet.load_balancer)
        .await?
        .and_then(|lb| load_balancer_dimension(&lb.arn))
        .ok_or_else(|| missing(format!("load balancer {}", fleet.load_balancer)))?;
    let tg = elb::find_target_group(&clients.elb, &fleet.target_group)
        .await?
        .and_then(|tg| target_group_dimension(&tg.arn))
        .ok_or_else(|| missing(format!("target group {}", fleet.target_group)))?;
    Ok((lb, tg))
}

fn mentions_front_door(step: &MonitoringStep) -> bool {
    let text = match step {
        MonitoringStep::PutAlarm(alarm) => format!("{:?}", alarm.queries),
        MonitoringStep::PutDashboard { body, .. } => body.clone(),
        _ => return false,
    };
    text.contains(PENDING_LOAD_BALANCER) || text.contains(PENDING_TARGET_GROUP)
}

/// Why the plan must not run, as the error `deploy` stops with.
pub fn refusal(environment: &Environment, plan: &MonitoringPlan) -> Option<FleetError> {
    plan.refused.as_ref().map(|refusal| FleetError::Invalid {
        env: environment.name.clone(),
        message: refusal.clone(),
        hint: "forgectl only changes what carries the environment's forgectl:env tag; nothing was changed".into(),
    })
}

/// Executes the plan's steps in order; returns the changes it made.
pub async fn apply(
    clients: &AwsClients,
    environment: &Environment,
    plan: &MonitoringPlan,
    progress: &dyn Progress,
) -> Result<Vec<MonitoringChange>, FleetError> {
    if let Some(refusal) = refusal(environment, plan) {
        return Err(refusal);
    }
    let tags = environment_tags(environment);
    let mut bindings = Bindings(BTreeMap::new());
    if let Some(arn) = &plan.topic_arn {
        bindings.0.insert(PENDING_TOPIC, arn.clone());
    }
    if plan.steps.iter().any(mentions_front_door) {
        let (lb, tg) = front_door(clients, environment).await?;
        bindings.0.insert(PENDING_LOAD_BALANCER, lb);
        bindings.0.insert(PENDING_TARGET_GROUP, tg);
    }
    for step in &plan.steps {
        match step {
            MonitoringStep::CreateTopic { name } => {
                let arn = sns::create_topic(&clients.sns, name, &tags).await?;
                progress.info(format!("sns topic {name}: created"));
                bindings.0.insert(PENDING_TOPIC, arn);
            }
            MonitoringStep::Subscribe { protocol, endpoint } => {
                let topic = bindings.bind(PENDING_TOPIC);
                sns::subscribe(&clients.sns, &topic, protocol, endpoint).await?;
                progress.info(format!("sns topic {}: subscribed {protocol} {endpoint}", plan.topic));
            }
            MonitoringStep::Unsubscribe { arn, endpoint } => {
                sns::unsubscribe(&clients.sns, arn).await?;
                progress.info(format!("sns topic {}: unsubscribed {endpoint}", plan.topic));
            }
            MonitoringStep::PutAlarm(alarm) => {
                cloudwatch::put_alarm(&clients.cloudwatch, &bindings.alarm(alarm), &tags).await?
            }
            MonitoringStep::DeleteAlarms(names) => {
                cloudwatch::delete_alarms(&clients.cloudwatch, names).await?;
                progress.info(format!("cloudwatch alarms deleted: {}", names.join(", ")));
            }
            MonitoringStep::PutDashboard { name, body } => {
                cloudwatch::put_dashboard(&clients.cloudwatch, name, &bindings.bind(body)).await?;
                progress.info(format!("cloudwatch dashboard {name}: written"));
            }
        }
    }
    let alarms = plan.changes.iter().filter(|c| c.kind == crate::monitoring::plan::MonitoringKind::Alarm);
    let written = alarms.filter(|c| matches!(c.action, Action::Create | Action::Update)).count();
    if written > 0 {
        progress.info(format!("cloudwatch alarms: {written} written, each notifying {}", plan.topic));
    }
    Ok(plan.changes.iter().filter(|change| change.action != Action::Keep).cloned().collect())
}

/// One alarm's state, for `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmState {
    pub name: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
}

pub async fn alarm_states(clients: &AwsClients, environment: &Environment) -> Result<Vec<AlarmState>, FleetError> {
    let names = MonitoringNames::for_prefix(&environment.name_prefix);
    let alarms = alarms_with_ownership(clients, environment, &names).await?;
    Ok(alarms
        .into_iter()
        .filter(|(_, ours)| *ours)
        .map(|(alarm, _)| AlarmState { name: alarm.name, state: alarm.state })
        .collect())
}

/// The environment's monitoring resources, found for `destroy`.
#[derive(Debug, Clone, Default)]
pub struct MonitoringResources {
    pub topic: Option<sns::Topic>,
    /// Confirmed subscriptions (unconfirmed ones go with the topic).
    pub subscriptions: Vec<String>,
    pub alarms: Vec<String>,
    pub dashboard: Option<String>,
}

impl MonitoringResources {
    pub fn listing(&self) -> Vec<String> {
        let mut listing = Vec::new();
        if !self.alarms.is_empty() {
            listing.push(format!("{} cloudwatch alarms", self.alarms.len()));
        }
        listing.extend(self.dashboard.iter().map(|name| format!("cloudwatch dashboard {name}")));
        if !self.subscriptions.is_empty() {
            listing.push(format!("{} sns subscriptions", self.subscriptions.len()));
        }
        listing.extend(self.topic.iter().map(|topic| format!("sns topic {}", topic.name)));
        listing
    }
}

/// What exists and is the environment's; what is found by name without
/// its tags goes to `foreign` and is left alone.
pub async fn discover(
    clients: &AwsClients,
    environment: &Environment,
    foreign: &mut Vec<String>,
) -> Result<MonitoringResources, FleetError> {
    let names = MonitoringNames::for_prefix(&environment.name_prefix);
    let mut found = MonitoringResources::default();
    if let Some(topic) = sns::find_topic(&clients.sns, &names.topic).await? {
        if is_managed(&topic.tags, &environment.name) {
            let subscriptions = sns::subscriptions(&clients.sns, &topic.arn).await?;
            found.subscriptions = subscriptions.into_iter().filter_map(|s| s.arn).collect();
            found.topic = Some(topic);
        } else {
            foreign.push(format!("sns topic {}", topic.name));
        }
    }
    // Alarms under the prefix without the tags belong to another
    // environment whose name continues this one's, or to someone else.
    found.alarms = alarms_with_ownership(clients, environment, &names)
        .await?
        .into_iter()
        .filter(|(_, ours)| *ours)
        .map(|(alarm, _)| alarm.name)
        .collect();
    // Dashboards carry no tags: the exact name is all there is to go by.
    found.dashboard =
        cloudwatch::dashboard(&clients.cloudwatch, &names.dashboard).await?.map(|_| names.dashboard.clone());
    Ok(found)
}

/// Deletes what `discover` found: alarms and dashboard first, so nothing
/// points at the topic when it goes.
pub async fn teardown(
    clients: &AwsClients,
    found: &MonitoringResources,
    progress: &dyn Progress,
) -> Result<(), FleetError> {
    cloudwatch::delete_alarms(&clients.cloudwatch, &found.alarms).await?;
    if let Some(name) = &found.dashboard {
        cloudwatch::delete_dashboard(&clients.cloudwatch, name).await?;
    }
    for arn in &found.subscriptions {
        sns::unsubscribe(&clients.sns, arn).await?;
    }
    if let Some(topic) = &found.topic {
        sns::delete_topic(&clients.sns, &topic.arn).await?;
    }
    let deleted = found.listing();
    if !deleted.is_empty() {
        progress.info(format!("deleted the monitoring: {}", deleted.join(", ")));
    }
    Ok(())
}
