//! The services' part of `forgectl destroy`: Auto Scaling groups (and so
//! their instances), launch templates, the load balancer and target group,
//! the instance role and the environment's secrets. Their security groups
//! go with the control plane's, after the instances are gone. The ECR
//! repositories stay: they serve every environment of the account.

use crate::aws::{autoscaling, elb, iam, launch_template, ssm, AwsClients};
use crate::config::Environment;
use crate::fleet::FleetError;
use crate::naming::fleet::FleetNames;
use crate::profile::RoleName;
use crate::progress::Progress;

const ROLES: [RoleName; 4] =
    [RoleName::Producer, RoleName::SmsConsumer, RoleName::EventsConsumer, RoleName::CommonConsumer];

/// What of the fleet exists, found by tags and names.
#[derive(Debug, Clone, Default)]
pub struct FleetResources {
    pub groups: Vec<String>,
    pub launch_templates: Vec<String>,
    pub load_balancer: Option<elb::LoadBalancer>,
    pub target_group: Option<elb::TargetGroup>,
    pub instance_role: bool,
    pub instance_profile: bool,
    pub secrets: Vec<String>,
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
        listing
    }
}

pub async fn discover(clients: &AwsClients, environment: &Environment) -> Result<FleetResources, FleetError> {
    let names = FleetNames::for_env(environment);
    let groups =
        autoscaling::find_groups(&clients.autoscaling, &environment.name).await?.into_iter().map(|g| g.name).collect();
    let mut launch_templates = Vec::new();
    for role in ROLES {
        if let Some(template) = launch_template::find(&clients.ec2, &names.launch_template(role)).await? {
            launch_templates.push(template.name);
        }
    }
    Ok(FleetResources {
        groups,
        launch_templates,
        load_balancer: elb::find_load_balancer(&clients.elb, &names.load_balancer).await?,
        target_group: elb::find_target_group(&clients.elb, &names.target_group).await?,
        instance_role: iam::get_role(&clients.iam, &names.instance_role).await?.is_some(),
        instance_profile: iam::get_instance_profile(&clients.iam, &names.instance_profile).await?.is_some(),
        secrets: ssm::names_under(&clients.ssm, &names.secrets_path).await?,
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
