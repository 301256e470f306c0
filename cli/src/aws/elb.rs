//! Elastic Load Balancing v2: the producer's Application Load Balancer, its
//! target group (health check on `/ready`) and the listener between them.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum, Tag, TargetTypeEnum,
};
use aws_sdk_elasticloadbalancingv2::Client;
use serde::Serialize;

use super::error::{absent_if_not_found, AwsError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub port: i32,
    pub health_check_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetHealth {
    pub instance_id: String,
    /// `healthy`, `unhealthy`, `initial`, `draining`...
    pub state: String,
}

fn elb_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

pub async fn find_target_group(client: &Client, name: &str) -> Result<Option<TargetGroup>, AwsError> {
    let result = client.describe_target_groups().names(name).send().await.map_err(|err| {
        AwsError::from_sdk("elasticloadbalancing:DescribeTargetGroups", format!("target group {name}"), err)
    });
    Ok(absent_if_not_found(result)?.and_then(|output| {
        output.target_groups().iter().find_map(|group| {
            Some(TargetGroup {
                arn: group.target_group_arn()?.to_string(),
                name: group.target_group_name()?.to_string(),
                port: group.port().unwrap_or_default(),
                health_check_path: group.health_check_path().unwrap_or_default().to_string(),
            })
        })
    }))
}

pub async fn create_target_group(
    client: &Client,
    name: &str,
    vpc_id: &str,
    port: u16,
    health_check_path: &str,
    tags: &BTreeMap<String, String>,
) -> Result<TargetGroup, AwsError> {
    let action = "elasticloadbalancing:CreateTargetGroup";
    let resource = format!("target group {name}");
    let output = client
        .create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(i32::from(port))
        .vpc_id(vpc_id)
        .target_type(TargetTypeEnum::Instance)
        .health_check_protocol(ProtocolEnum::Http)
        .health_check_path(health_check_path)
        .health_check_interval_seconds(10)
        .healthy_threshold_count(2)
        .unhealthy_threshold_count(3)
        .set_tags(Some(elb_tags(tags)))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource.clone(), err))?;
    let group =
        output.target_groups().first().ok_or_else(|| AwsError::malformed(action, resource.clone(), "TargetGroups"))?;
    Ok(TargetGroup {
        arn: group.target_group_arn().unwrap_or_default().to_string(),
        name: name.to_string(),
        port: i32::from(port),
        health_check_path: health_check_path.to_string(),
    })
}

pub async fn set_health_check_path(client: &Client, group: &TargetGroup, path: &str) -> Result<(), AwsError> {
    client.modify_target_group().target_group_arn(&group.arn).health_check_path(path).send().await.map_err(|err| {
        AwsError::from_sdk("elasticloadbalancing:ModifyTargetGroup", format!("target group {}", group.name), err)
    })?;
    Ok(())
}

pub async fn find_load_balancer(client: &Client, name: &str) -> Result<Option<LoadBalancer>, AwsError> {
    let result = client.describe_load_balancers().names(name).send().await.map_err(|err| {
        AwsError::from_sdk("elasticloadbalancing:DescribeLoadBalancers", format!("load balancer {name}"), err)
    });
    Ok(absent_if_not_found(result)?.and_then(|output| output.load_balancers().iter().find_map(convert_load_balancer)))
}

fn convert_load_balancer(lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer) -> Option<LoadBalancer> {
    Some(LoadBalancer {
        arn: lb.load_balancer_arn()?.to_string(),
        name: lb.load_balancer_name()?.to_string(),
        dns_name: lb.dns_name().unwrap_or_default().to_string(),
    })
}

pub async fn create_load_balancer(
    client: &Client,
    name: &str,
    subnet_ids: &[String],
    security_group_id: &str,
    tags: &BTreeMap<String, String>,
) -> Result<LoadBalancer, AwsError> {
    let action = "elasticloadbalancing:CreateLoadBalancer";
    let resource = format!("load balancer {name}");
    let output = client
        .create_load_balancer()
        .name(name)
        .r#type(LoadBalancerTypeEnum::Application)
        .scheme(LoadBalancerSchemeEnum::InternetFacing)
        .set_subnets(Some(subnet_ids.to_vec()))
        .security_groups(security_group_id)
        .set_tags(Some(elb_tags(tags)))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(action, resource.clone(), err))?;
    output
        .load_balancers()
        .iter()
        .find_map(convert_load_balancer)
        .ok_or_else(|| AwsError::malformed(action, resource, "LoadBalancers"))
}

/// The ports the load balancer listens on.
pub async fn listener_ports(client: &Client, lb: &LoadBalancer) -> Result<Vec<i32>, AwsError> {
    let output = client.describe_listeners().load_balancer_arn(&lb.arn).send().await.map_err(|err| {
        AwsError::from_sdk("elasticloadbalancing:DescribeListeners", format!("load balancer {}", lb.name), err)
    })?;
    Ok(output.listeners().iter().filter_map(|listener| listener.port()).collect())
}

/// An HTTP listener on `port` forwarding everything to the target group.
pub async fn create_listener(
    client: &Client,
    lb: &LoadBalancer,
    port: u16,
    group: &TargetGroup,
) -> Result<(), AwsError> {
    client
        .create_listener()
        .load_balancer_arn(&lb.arn)
        .protocol(ProtocolEnum::Http)
        .port(i32::from(port))
        .default_actions(Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&group.arn).build())
        .send()
        .await
        .map_err(|err| {
            AwsError::from_sdk("elasticloadbalancing:CreateListener", format!("load balancer {}", lb.name), err)
        })?;
    Ok(())
}

pub async fn target_health(client: &Client, group: &TargetGroup) -> Result<Vec<TargetHealth>, AwsError> {
    let output = client.describe_target_health().target_group_arn(&group.arn).send().await.map_err(|err| {
        AwsError::from_sdk("elasticloadbalancing:DescribeTargetHealth", format!("target group {}", group.name), err)
    })?;
    Ok(output
        .target_health_descriptions()
        .iter()
        .filter_map(|description| {
            Some(TargetHealth {
                instance_id: description.target()?.id()?.to_string(),
                state: description
                    .target_health()
                    .and_then(|health| health.state())
                    .map(|state| state.as_str().to_string())
                    .unwrap_or_default(),
            })
        })
        .collect())
}

pub async fn delete_load_balancer(client: &Client, lb: &LoadBalancer) -> Result<(), AwsError> {
    let result = client.delete_load_balancer().load_balancer_arn(&lb.arn).send().await.map_err(|err| {
        AwsError::from_sdk("elasticloadbalancing:DeleteLoadBalancer", format!("load balancer {}", lb.name), err)
    });
    absent_if_not_found(result).map(|_| ())
}

pub async fn delete_target_group(client: &Client, group: &TargetGroup) -> Result<(), AwsError> {
    let result = client.delete_target_group().target_group_arn(&group.arn).send().await.map_err(|err| {
        AwsError::from_sdk("elasticloadbalancing:DeleteTargetGroup", format!("target group {}", group.name), err)
    });
    absent_if_not_found(result).map(|_| ())
}
