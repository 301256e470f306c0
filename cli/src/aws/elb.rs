//! Elastic Load Balancing v2: the producer's Application Load Balancer, its
//! target group (health check on `/ready`) and the listener between them.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
    ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, Tag, TargetTypeEnum,
};
use aws_sdk_elasticloadbalancingv2::Client;
use serde::Serialize;

use super::call::Call;
use super::elb_rules::Route;
use super::error::AwsError;

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
    /// `internet-facing` or `internal`.
    pub scheme: String,
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
    let call = Call::new("elasticloadbalancing:DescribeTargetGroups", format!("target group {name}"));
    let Some(output) = call.send_or_absent(client.describe_target_groups().names(name).send()).await? else {
        return Ok(None);
    };
    let Some(group) = output.target_groups().first() else { return Ok(None) };
    Ok(Some(TargetGroup {
        arn: call.required_str(group.target_group_arn(), "TargetGroupArn")?,
        name: call.required_str(group.target_group_name(), "TargetGroupName")?,
        // forgectl's target groups are of instances, which always have a port
        // and an HTTP health check.
        port: call.required(group.port(), "Port")?,
        health_check_path: call.required_str(group.health_check_path(), "HealthCheckPath")?,
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
    let call = Call::new("elasticloadbalancing:CreateTargetGroup", format!("target group {name}"));
    let request = client
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
        .send();
    let output = call.send(request).await?;
    let group = call.required(output.target_groups().first(), "TargetGroups")?;
    Ok(TargetGroup {
        arn: call.required_str(group.target_group_arn(), "TargetGroups[].TargetGroupArn")?,
        name: name.to_string(),
        port: i32::from(port),
        health_check_path: health_check_path.to_string(),
    })
}

pub async fn set_health_check_path(client: &Client, group: &TargetGroup, path: &str) -> Result<(), AwsError> {
    let call = Call::new("elasticloadbalancing:ModifyTargetGroup", format!("target group {}", group.name));
    call.send(client.modify_target_group().target_group_arn(&group.arn).health_check_path(path).send()).await?;
    Ok(())
}

pub async fn find_load_balancer(client: &Client, name: &str) -> Result<Option<LoadBalancer>, AwsError> {
    let call = Call::new("elasticloadbalancing:DescribeLoadBalancers", format!("load balancer {name}"));
    let Some(output) = call.send_or_absent(client.describe_load_balancers().names(name).send()).await? else {
        return Ok(None);
    };
    output.load_balancers().first().map(|lb| convert_load_balancer(&call, lb)).transpose()
}

fn convert_load_balancer(
    call: &Call,
    lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer,
) -> Result<LoadBalancer, AwsError> {
    Ok(LoadBalancer {
        arn: call.required_str(lb.load_balancer_arn(), "LoadBalancerArn")?,
        name: call.required_str(lb.load_balancer_name(), "LoadBalancerName")?,
        dns_name: call.required_str(lb.dns_name(), "DNSName")?,
        scheme: call.required(lb.scheme(), "Scheme")?.as_str().to_string(),
    })
}

pub async fn create_load_balancer(
    client: &Client,
    name: &str,
    scheme: &str,
    subnet_ids: &[String],
    security_group_id: &str,
    tags: &BTreeMap<String, String>,
) -> Result<LoadBalancer, AwsError> {
    let call = Call::new("elasticloadbalancing:CreateLoadBalancer", format!("load balancer {name}"));
    let request = client
        .create_load_balancer()
        .name(name)
        .r#type(LoadBalancerTypeEnum::Application)
        .scheme(LoadBalancerSchemeEnum::from(scheme))
        .set_subnets(Some(subnet_ids.to_vec()))
        .security_groups(security_group_id)
        .set_tags(Some(elb_tags(tags)))
        .send();
    let output = call.send(request).await?;
    convert_load_balancer(&call, call.required(output.load_balancers().first(), "LoadBalancers")?)
}

/// What a listener does with a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListenerAction {
    /// To the target group with this ARN.
    Forward(String),
    /// A permanent redirect to HTTPS on 443.
    RedirectToHttps,
    /// A fixed 404: what the API listener answers outside its routes.
    NotFound,
    /// Anything forgectl does not set (fixed responses, rules by hand).
    Other,
}

/// One listener, as read or as wanted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listener {
    /// Empty for a listener that does not exist yet.
    pub arn: String,
    pub port: u16,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    pub certificate_arn: Option<String>,
    /// The default action: what no route matches.
    pub action: ListenerAction,
    /// The listener's rules besides the default, by path.
    pub routes: Vec<Route>,
}

impl std::fmt::Display for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let action = match &self.action {
            ListenerAction::Forward(_) => "forward to the producers",
            ListenerAction::RedirectToHttps => "redirect to HTTPS",
            ListenerAction::NotFound => "404",
            ListenerAction::Other => "other",
        };
        write!(f, "{} :{} {action}", self.protocol, self.port)?;
        for route in &self.routes {
            write!(f, ", {route}")?;
        }
        Ok(())
    }
}

/// The API listener's answer outside its routes.
const NOT_FOUND_STATUS: &str = "404";

/// TLS 1.3 and 1.2 only: what AWS recommends for new HTTPS listeners.
const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

pub async fn listeners(client: &Client, lb: &LoadBalancer) -> Result<Vec<Listener>, AwsError> {
    let call = Call::new("elasticloadbalancing:DescribeListeners", format!("load balancer {}", lb.name));
    let output = call.send(client.describe_listeners().load_balancer_arn(&lb.arn).send()).await?;
    output.listeners().iter().map(|listener| convert_listener(&call, listener)).collect()
}

fn convert_listener(
    call: &Call,
    listener: &aws_sdk_elasticloadbalancingv2::types::Listener,
) -> Result<Listener, AwsError> {
    let action = match listener.default_actions() {
        [only] => match only.r#type() {
            Some(ActionTypeEnum::Forward) => {
                only.target_group_arn().map(|arn| ListenerAction::Forward(arn.to_string()))
            }
            Some(ActionTypeEnum::Redirect) => only
                .redirect_config()
                .filter(|redirect| redirect.protocol() == Some("HTTPS"))
                .map(|_| ListenerAction::RedirectToHttps),
            Some(ActionTypeEnum::FixedResponse) => only
                .fixed_response_config()
                .filter(|fixed| fixed.status_code() == Some(NOT_FOUND_STATUS))
                .map(|_| ListenerAction::NotFound),
            _ => None,
        },
        _ => None,
    };
    let port = call.required(listener.port(), "Listeners[].Port")?;
    Ok(Listener {
        arn: call.required_str(listener.listener_arn(), "Listeners[].ListenerArn")?,
        port: call.required(u16::try_from(port).ok(), "Listeners[].Port (a TCP port)")?,
        protocol: call.required(listener.protocol(), "Listeners[].Protocol")?.as_str().to_string(),
        certificate_arn: listener.certificates().first().and_then(|c| c.certificate_arn()).map(str::to_string),
        action: action.unwrap_or(ListenerAction::Other),
        // Read separately (DescribeRules), by `elb_rules::routes`.
        routes: Vec::new(),
    })
}

/// `None` for [`ListenerAction::Other`], which forgectl never sets.
fn listener_action(action: &ListenerAction) -> Option<Vec<Action>> {
    let action = match action {
        ListenerAction::Forward(arn) => Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(arn).build(),
        ListenerAction::RedirectToHttps => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol("HTTPS")
                    .port("443")
                    .status_code(RedirectActionStatusCodeEnum::Http301)
                    .build(),
            )
            .build(),
        ListenerAction::NotFound => Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(NOT_FOUND_STATUS)
                    .content_type("text/plain")
                    .message_body("not found")
                    .build(),
            )
            .build(),
        ListenerAction::Other => return None,
    };
    Some(vec![action])
}

fn certificates(listener: &Listener) -> Option<Vec<Certificate>> {
    listener.certificate_arn.as_ref().map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

/// Returns the new listener's ARN (its routes are created by rule).
pub async fn create_listener(client: &Client, lb: &LoadBalancer, listener: &Listener) -> Result<String, AwsError> {
    let https = listener.protocol == "HTTPS";
    let call = Call::new("elasticloadbalancing:CreateListener", format!("load balancer {}", lb.name));
    let request = client
        .create_listener()
        .load_balancer_arn(&lb.arn)
        .protocol(ProtocolEnum::from(listener.protocol.as_str()))
        .port(i32::from(listener.port))
        .set_certificates(certificates(listener))
        .set_ssl_policy(https.then(|| SSL_POLICY.to_string()))
        .set_default_actions(listener_action(&listener.action))
        .send();
    let output = call.send(request).await?;
    let created = call.required(output.listeners().first(), "Listeners")?;
    call.required_str(created.listener_arn(), "Listeners[].ListenerArn")
}

/// Sets protocol, certificate and action of the listener at `arn`.
pub async fn modify_listener(client: &Client, arn: &str, listener: &Listener) -> Result<(), AwsError> {
    let https = listener.protocol == "HTTPS";
    let call = Call::new("elasticloadbalancing:ModifyListener", format!("listener {arn}"));
    let request = client
        .modify_listener()
        .listener_arn(arn)
        .protocol(ProtocolEnum::from(listener.protocol.as_str()))
        .port(i32::from(listener.port))
        .set_certificates(certificates(listener))
        .set_ssl_policy(https.then(|| SSL_POLICY.to_string()))
        .set_default_actions(listener_action(&listener.action))
        .send();
    call.send(request).await?;
    Ok(())
}

pub async fn delete_listener(client: &Client, arn: &str) -> Result<(), AwsError> {
    let call = Call::new("elasticloadbalancing:DeleteListener", format!("listener {arn}"));
    call.send_or_absent(client.delete_listener().listener_arn(arn).send()).await?;
    Ok(())
}

pub async fn target_health(client: &Client, group: &TargetGroup) -> Result<Vec<TargetHealth>, AwsError> {
    let call = Call::new("elasticloadbalancing:DescribeTargetHealth", format!("target group {}", group.name));
    let output = call.send(client.describe_target_health().target_group_arn(&group.arn).send()).await?;
    output
        .target_health_descriptions()
        .iter()
        .map(|description| {
            Ok(TargetHealth {
                instance_id: call.required_str(description.target().and_then(|t| t.id()), "Target.Id")?,
                state: call
                    .required(description.target_health().and_then(|health| health.state()), "TargetHealth.State")?
                    .as_str()
                    .to_string(),
            })
        })
        .collect()
}

/// The tags of a load balancer or target group.
pub async fn tags(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let call = Call::new("elasticloadbalancing:DescribeTags", arn.to_string());
    let output = call.send(client.describe_tags().resource_arns(arn).send()).await?;
    Ok(output
        .tag_descriptions()
        .iter()
        .filter(|description| description.resource_arn() == Some(arn))
        .flat_map(|description| description.tags())
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value().unwrap_or_default().to_string())))
        .collect())
}

pub async fn delete_load_balancer(client: &Client, lb: &LoadBalancer) -> Result<(), AwsError> {
    let call = Call::new("elasticloadbalancing:DeleteLoadBalancer", format!("load balancer {}", lb.name));
    call.send_or_absent(client.delete_load_balancer().load_balancer_arn(&lb.arn).send()).await?;
    Ok(())
}

pub async fn delete_target_group(client: &Client, group: &TargetGroup) -> Result<(), AwsError> {
    let call = Call::new("elasticloadbalancing:DeleteTargetGroup", format!("target group {}", group.name));
    call.send_or_absent(client.delete_target_group().target_group_arn(&group.arn).send()).await?;
    Ok(())
}
