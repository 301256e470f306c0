//! The services' part of `forgectl destroy`: Auto Scaling groups (and so
//! their instances), launch templates, the load balancer and target group,
//! the instance role and the environment's secrets. Their security groups
//! go with the control plane's, after the instances are gone. The alarms,
//! the dashboard and the alarm topic go too (`monitoring`). The ECR
//! repositories stay: they serve every environment of the account.

use std::collections::BTreeMap;

use crate::aws::{autoscaling, elb, iam, launch_template, ssm, AwsClients};
use crate::config::Environment;
use crate::fleet::FleetError;
use crate::naming::fleet::FleetNames;
use crate::naming::is_managed;
use crate::ops::deploy::aws::monitoring::{self, MonitoringResources};
use crate::profile::RoleName;
use crate::progress::Progress;

const ROLES: [RoleName; 4] =
    [RoleName::Producer, RoleName::SmsConsumer, RoleName::EventsConsumer, RoleName::CommonConsumer];

/// What of the fleet exists and carries the environment's tags. Whatever is
/// found by name alone, without them, is listed in `foreign` and left alone:
/// a name can be taken by something forgectl did not create.
#[derive(Debug, Clone, Default)]
pub struct FleetResources {
    pub foreign: Vec<String>,
    pub groups: Vec<String>,
    pub launch_templates: Vec<String>,
    pub load_balancer: Option<elb::LoadBalancer>,
    pub target_group: Option<elb::TargetGroup>,
    pub instance_role: bool,
    pub instance_profile: bool,
    pub secrets: Vec<String>,
    pub monitoring: MonitoringResources,
}

impl FleetResources {
    pub fn is_empty(&self) -> bool {
        self.listing().is_empty()
    }

    pub fn listing(&self) -> Vec<String> {
        let mut listing = Vec::new();
        listing.extend(self.groups.iter().map(|name| format!("auto scaling group {name}")));
        listing.extend(self.launch_templates.iter().map(|name| format!("launch template {name}")));
        listing.extend(self.load_balancer.iter().map(|lb| format!("load balancer {}", lb.name)));
        listing.extend(self.target_group.iter().map(|group| format!("target group {}", group.name)));
        if self.instance_role || self.instance_profile {
            listing.push("instance role and profile".into());
        }
        listing.extend(self.secrets.iter().map(|name| format!("parameter {name}")));
        listing.extend(self.monitoring.listing());
        listing
    }
}

pub async fn discover(clients: &AwsClients, environment: &Environment) -> Result<FleetResources, FleetError> {
    let env = environment.name.as_str();
    let names = FleetNames::for_env(environment);
    let mut foreign = Vec::new();
    let mut ours = |what: String, tags: &BTreeMap<String, String>| {
        let managed = is_managed(tags, env);
        if !managed {
            foreign.push(what);
        }
        managed
    };
    // Auto Scaling groups are found by the environment's tag already.
    let groups =
        autoscaling::find_groups(&clients.autoscaling, env).await?.into_iter().map(|group| group.name).collect();
    let mut launch_templates = Vec::new();
    for role in ROLES {
        if let Some(template) = launch_template::find(&clients.ec2, &names.launch_template(role)).await? {
            if ours(format!("launch template {}", template.name), &template.tags) {
                launch_templates.push(template.name);
            }
        }
    }
    let load_balancer = match elb::find_load_balancer(&clients.elb, &names.load_balancer).await? {
        Some(lb) => {
            let tags = elb::tags(&clients.elb, &lb.arn).await?;
            ours(format!("load balancer {}", lb.name), &tags).then_some(lb)
        }
        None => None,
    };
    let target_group = match elb::find_target_group(&clients.elb, &names.target_group).await? {
        Some(group) => {
            let tags = elb::tags(&clients.elb, &group.arn).await?;
            ours(format!("target group {}", group.name), &tags).then_some(group)
        }
        None => None,
    };
    // The role and its profile go together: both must be ours.
    let role = iam::get_role(&clients.iam, &names.instance_role).await?;
    let profile = iam::get_instance_profile(&clients.iam, &names.instance_profile).await?;
    let role_ours = role.as_ref().is_none_or(|role| ours(format!("iam role {}", role.name), &role.tags));
    let profile_ours =
        profile.as_ref().is_none_or(|profile| ours(format!("instance profile {}", profile.name), &profile.tags));
    let (instance_role, instance_profile) =
        if role_ours && profile_ours { (role.is_some(), profile.is_some()) } else { (false, false) };
    let mut secrets = Vec::new();
    for name in ssm::names_under(&clients.ssm, &names.secrets_path).await? {
        let tags = ssm::parameter_tags(&clients.ssm, &name).await?;
        if ours(format!("parameter {name}"), &tags) {
            secrets.push(name);
        }
    }
    let monitoring = monitoring::discover(clients, environment, &mut foreign).await?;
    Ok(FleetResources {
        monitoring,
        foreign,
        groups,
        launch_templates,
        load_balancer,
        target_group,
        instance_role,
        instance_profile,
        secrets,
    })
}

/// Deletes what `discover` found; returns what it deleted, for the report.
pub async fn teardown(
    clients: &AwsClients,
    environment: &Environment,
    found: &FleetResources,
    progress: &dyn Progress,
) -> Result<Vec<String>, FleetError> {
    let names = FleetNames::for_env(environment);
    monitoring::teardown(clients, &found.monitoring, progress).await?;
    for group in &found.groups {
        autoscaling::delete_group(&clients.autoscaling, group).await?;
        progress.info(format!("deleting auto scaling group {group} and its instances"));
    }
    for template in &found.launch_templates {
        launch_template::delete(&clients.ec2, template).await?;
    }
    // The listener goes with the load balancer; the target group can only
    // be deleted once no listener points at it.
    if let Some(lb) = &found.load_balancer {
        elb::delete_load_balancer(&clients.elb, lb).await?;
    }
    if let Some(group) = &found.target_group {
        elb::delete_target_group(&clients.elb, group).await?;
    }
    if found.instance_role || found.instance_profile {
        iam::delete_instance_role(&clients.iam, &names.instance_profile, &names.instance_role, &names.role_policy)
            .await?;
    }
    for secret in &found.secrets {
        ssm::delete_parameter(&clients.ssm, secret).await?;
    }
    let deleted = found.listing();
    if !deleted.is_empty() {
        progress.info(format!("deleted the services' resources: {}", deleted.join(", ")));
    }
    Ok(deleted)
}
