//! The services' part of `forgectl status` on AWS: per Auto Scaling group,
//! the ladder, what runs and which versions.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::{autoscaling, elb, launch_template, AwsClients};
use crate::config::Environment;
use crate::fleet::actual::{instance_versions, template_numbers};
use crate::fleet::FleetError;
use crate::naming::fleet::FleetNames;
use crate::ops::deploy::aws::apply::producer_url;
use crate::ops::deploy::aws::monitoring::{alarm_states, AlarmState};

#[derive(Debug, Clone, Serialize)]
pub struct ServiceGroupStatus {
    pub group: String,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub in_service: u32,
    pub unhealthy: u32,
    /// Service version → number of instances running it.
    pub versions: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ServicesStatus {
    pub groups: Vec<ServiceGroupStatus>,
    /// The producer API's address, when the load balancer exists.
    pub producer_url: Option<String>,
    /// Each of the environment's CloudWatch alarms and its state.
    pub alarms: Vec<AlarmState>,
}

pub async fn services(clients: &AwsClients, environment: &Environment) -> Result<ServicesStatus, FleetError> {
    let names = FleetNames::for_env(environment);
    let mut groups = Vec::new();
    for group in autoscaling::find_groups(&clients.autoscaling, &environment.name).await? {
        let template_id = group.template.as_ref().map(|t| t.id.clone()).unwrap_or_default();
        let numbers = template_numbers(&group, &template_id);
        let versions = launch_template::versions(&clients.ec2, &template_id, &numbers).await?;
        let mut running = BTreeMap::new();
        for version in instance_versions(&group, &versions) {
            *running.entry(version).or_insert(0) += 1;
        }
        let count = |keep: &dyn Fn(&autoscaling::GroupInstance) -> bool| {
            u32::try_from(group.instances.iter().filter(|i| keep(i)).count()).unwrap_or(u32::MAX)
        };
        groups.push(ServiceGroupStatus {
            in_service: count(&|i| i.lifecycle == "InService"),
            unhealthy: count(&|i| i.health.eq_ignore_ascii_case("unhealthy")),
            group: group.name,
            min: group.min,
            max: group.max,
            desired: group.desired,
            versions: running,
        });
    }
    let producer_url = elb::find_load_balancer(&clients.elb, &names.load_balancer)
        .await?
        .map(|lb| producer_url(environment, &lb.dns_name));
    let alarms = alarm_states(clients, environment).await?;
    Ok(ServicesStatus { groups, producer_url, alarms })
}
