//! EC2 Auto Scaling: one group per role, its target-tracking policy, and
//! instance refreshes for rolling updates.

use std::collections::BTreeMap;

use aws_sdk_autoscaling::types::{
    DesiredConfiguration, Filter, LaunchTemplateSpecification, MetricType, PredefinedMetricSpecification,
    RefreshPreferences, RefreshStrategy, Tag, TargetTrackingConfiguration,
};
use aws_sdk_autoscaling::Client;
use serde::Serialize;

use super::call::Call;
use super::error::AwsError;
use crate::naming::{MANAGED_BY, TAG_ENV, TAG_MANAGED_BY};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateRef {
    pub id: String,
    /// A number, or `$Latest`/`$Default` if someone set that by hand.
    pub version: String,
}

impl TemplateRef {
    pub fn number(&self) -> Option<i64> {
        self.version.parse().ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupInstance {
    pub id: String,
    pub template: Option<TemplateRef>,
    /// `Healthy` or `Unhealthy`.
    pub health: String,
    /// `InService`, `Pending`, `Terminating`...
    pub lifecycle: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub template: Option<TemplateRef>,
    pub instances: Vec<GroupInstance>,
    pub target_group_arns: Vec<String>,
    pub tags: BTreeMap<String, String>,
    /// The group metrics it publishes to CloudWatch (`GroupInServiceInstances`...).
    pub enabled_metrics: Vec<String>,
}

/// What a new group is created with.
#[derive(Debug, Clone)]
pub struct GroupSpec<'a> {
    pub name: &'a str,
    pub template_id: &'a str,
    pub template_version: i64,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    pub subnet_ids: &'a [String],
    pub target_group_arns: &'a [String],
    /// Replace instances the load balancer reports unhealthy, not only
    /// those EC2 reports impaired.
    pub elb_health_check: bool,
    pub health_check_grace_seconds: i32,
    pub tags: &'a BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refresh {
    pub id: String,
    /// AWS's status: `Pending`, `InProgress`, `Successful`, `Failed`,
    /// `Cancelling`, `Cancelled`, `RollbackInProgress`, `RollbackSuccessful`...
    pub status: String,
    pub reason: Option<String>,
    pub percentage_complete: u32,
    pub instances_to_update: u32,
    /// The launch template version the refresh moves the group to.
    pub target_version: Option<String>,
}

impl Refresh {
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "Successful" | "Failed" | "Cancelled" | "RollbackSuccessful" | "RollbackFailed")
    }
}

fn count(value: Option<i32>) -> u32 {
    value.and_then(|v| u32::try_from(v).ok()).unwrap_or(0)
}

fn signed(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn template_ref(spec: Option<&LaunchTemplateSpecification>) -> Option<TemplateRef> {
    let spec = spec?;
    Some(TemplateRef {
        id: spec.launch_template_id()?.to_string(),
        version: spec.version().unwrap_or("$Default").to_string(),
    })
}

fn template_spec(template_id: &str, version: i64) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder().launch_template_id(template_id).version(version.to_string()).build()
}

/// The environment's groups, found by tags.
pub async fn find_groups(client: &Client, env: &str) -> Result<Vec<Group>, AwsError> {
    let call =
        Call::new("autoscaling:DescribeAutoScalingGroups", format!("Auto Scaling groups tagged {TAG_ENV}={env}"));
    let mut groups = Vec::new();
    let mut pages = client
        .describe_auto_scaling_groups()
        .filters(Filter::builder().name(format!("tag:{TAG_ENV}")).values(env).build())
        .filters(Filter::builder().name(format!("tag:{TAG_MANAGED_BY}")).values(MANAGED_BY).build())
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| call.error(err))?;
        for group in page.auto_scaling_groups() {
            groups.push(convert_group(&call, group)?);
        }
    }
    Ok(groups)
}

fn convert_group(call: &Call, group: &aws_sdk_autoscaling::types::AutoScalingGroup) -> Result<Group, AwsError> {
    let name = call.required_str(group.auto_scaling_group_name(), "AutoScalingGroups[].AutoScalingGroupName")?;
    let call = call.about(format!("Auto Scaling group {name}"));
    let instances = group
        .instances()
        .iter()
        .map(|instance| {
            Ok(GroupInstance {
                id: call.required_str(instance.instance_id(), "Instances[].InstanceId")?,
                template: template_ref(instance.launch_template()),
                health: call.required_str(instance.health_status(), "Instances[].HealthStatus")?,
                lifecycle: call
                    .required(instance.lifecycle_state(), "Instances[].LifecycleState")?
                    .as_str()
                    .to_string(),
            })
        })
        .collect::<Result<_, AwsError>>()?;
    Ok(Group {
        name,
        min: count(Some(call.required(group.min_size(), "MinSize")?)),
        max: count(Some(call.required(group.max_size(), "MaxSize")?)),
        desired: count(Some(call.required(group.desired_capacity(), "DesiredCapacity")?)),
        template: template_ref(group.launch_template()),
        instances,
        target_group_arns: group.target_group_arns().to_vec(),
        // A tag without a value has an empty one, as AWS stores it.
        tags: group
            .tags()
            .iter()
            .filter_map(|tag| Some((tag.key()?.to_string(), tag.value().unwrap_or_default().to_string())))
            .collect(),
        enabled_metrics: group
            .enabled_metrics()
            .iter()
            .map(|enabled| call.required_str(enabled.metric(), "EnabledMetrics[].Metric"))
            .collect::<Result<_, _>>()?,
    })
}

pub async fn create_group(client: &Client, spec: &GroupSpec<'_>) -> Result<(), AwsError> {
    let tags = spec
        .tags
        .iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .propagate_at_launch(true)
                .resource_id(spec.name)
                .resource_type("auto-scaling-group")
                .build()
        })
        .collect();
    let call = Call::new("autoscaling:CreateAutoScalingGroup", format!("Auto Scaling group {}", spec.name));
    let request = client
        .create_auto_scaling_group()
        .auto_scaling_group_name(spec.name)
        .launch_template(template_spec(spec.template_id, spec.template_version))
        .min_size(signed(spec.min))
        .max_size(signed(spec.max))
        .desired_capacity(signed(spec.desired))
        .vpc_zone_identifier(spec.subnet_ids.join(","))
        .set_target_group_arns((!spec.target_group_arns.is_empty()).then(|| spec.target_group_arns.to_vec()))
        .health_check_type(if spec.elb_health_check { "ELB" } else { "EC2" })
        .health_check_grace_period(spec.health_check_grace_seconds)
        .set_tags(Some(tags))
        .send();
    call.send(request).await?;
    Ok(())
}

pub async fn update_size(client: &Client, name: &str, min: u32, max: u32, desired: u32) -> Result<(), AwsError> {
    let call = Call::new("autoscaling:UpdateAutoScalingGroup", format!("Auto Scaling group {name}"));
    let request = client
        .update_auto_scaling_group()
        .auto_scaling_group_name(name)
        .min_size(signed(min))
        .max_size(signed(max))
        .desired_capacity(signed(desired))
        .send();
    call.send(request).await?;
    Ok(())
}

/// The CPU target of the group's target-tracking policy `policy`, if any.
pub async fn cpu_target(client: &Client, group: &str, policy: &str) -> Result<Option<f64>, AwsError> {
    let call = Call::new("autoscaling:DescribePolicies", format!("Auto Scaling group {group}"));
    let output =
        call.send(client.describe_policies().auto_scaling_group_name(group).policy_names(policy).send()).await?;
    Ok(output
        .scaling_policies()
        .iter()
        .filter(|found| found.policy_name() == Some(policy))
        .find_map(|found| found.target_tracking_configuration().and_then(|config| config.target_value())))
}

/// PutScalingPolicy: average CPU of the group held at `target` percent.
pub async fn put_cpu_target(client: &Client, group: &str, policy: &str, target: f64) -> Result<(), AwsError> {
    let call = Call::new("autoscaling:PutScalingPolicy", format!("scaling policy {policy} of {group}"));
    let metric =
        PredefinedMetricSpecification::builder().predefined_metric_type(MetricType::AsgAverageCpuUtilization).build();
    let tracking =
        TargetTrackingConfiguration::builder().predefined_metric_specification(metric).target_value(target).build();
    put_target_tracking(client, &call, group, policy, tracking).await
}

/// PutScalingPolicy of type TargetTrackingScaling, for any tracked metric.
pub async fn put_target_tracking(
    client: &Client,
    call: &Call<'_>,
    group: &str,
    policy: &str,
    tracking: TargetTrackingConfiguration,
) -> Result<(), AwsError> {
    let request = client
        .put_scaling_policy()
        .auto_scaling_group_name(group)
        .policy_name(policy)
        .policy_type("TargetTrackingScaling")
        .target_tracking_configuration(tracking)
        .send();
    call.send(request).await?;
    Ok(())
}

/// How an instance refresh replaces instances.
#[derive(Debug, Clone, Copy)]
pub struct RefreshPlan {
    /// Share of the group kept in service: 50 replaces half at a time.
    pub min_healthy_percent: i32,
    /// Seconds a new instance gets before it counts towards the group.
    pub warmup_seconds: i32,
}

/// StartInstanceRefresh to the given template version. The group switches
/// to it only when the refresh succeeds, which is what makes AWS's
/// RollbackInstanceRefresh possible.
pub async fn start_refresh(
    client: &Client,
    group: &str,
    template_id: &str,
    version: i64,
    plan: RefreshPlan,
) -> Result<String, AwsError> {
    let call = Call::new("autoscaling:StartInstanceRefresh", format!("Auto Scaling group {group}"));
    let request = client
        .start_instance_refresh()
        .auto_scaling_group_name(group)
        .strategy(RefreshStrategy::Rolling)
        .desired_configuration(
            DesiredConfiguration::builder().launch_template(template_spec(template_id, version)).build(),
        )
        .preferences(
            RefreshPreferences::builder()
                .min_healthy_percentage(plan.min_healthy_percent)
                .instance_warmup(plan.warmup_seconds)
                .skip_matching(true)
                .auto_rollback(true)
                .build(),
        )
        .send();
    let output = call.send(request).await?;
    call.required_str(output.instance_refresh_id(), "InstanceRefreshId")
}

pub async fn describe_refresh(client: &Client, group: &str, id: &str) -> Result<Option<Refresh>, AwsError> {
    Ok(refreshes(client, group, Some(id)).await?.into_iter().find(|refresh| refresh.id == id))
}

/// The group's refresh that is still running, if any (AWS allows one).
pub async fn active_refresh(client: &Client, group: &str) -> Result<Option<Refresh>, AwsError> {
    Ok(refreshes(client, group, None).await?.into_iter().find(|refresh| !refresh.is_finished()))
}

async fn refreshes(client: &Client, group: &str, id: Option<&str>) -> Result<Vec<Refresh>, AwsError> {
    let call = Call::new("autoscaling:DescribeInstanceRefreshes", format!("Auto Scaling group {group}"));
    let request = client
        .describe_instance_refreshes()
        .auto_scaling_group_name(group)
        .set_instance_refresh_ids(id.map(|id| vec![id.to_string()]))
        .send();
    let output = call.send(request).await?;
    output
        .instance_refreshes()
        .iter()
        .map(|refresh| {
            Ok(Refresh {
                id: call.required_str(refresh.instance_refresh_id(), "InstanceRefreshes[].InstanceRefreshId")?,
                status: call.required(refresh.status(), "InstanceRefreshes[].Status")?.as_str().to_string(),
                reason: refresh.status_reason().map(str::to_string),
                percentage_complete: count(refresh.percentage_complete()),
                instances_to_update: count(refresh.instances_to_update()),
                target_version: refresh
                    .desired_configuration()
                    .and_then(|desired| desired.launch_template())
                    .and_then(|template| template.version())
                    .map(str::to_string),
            })
        })
        .collect()
}

/// RollbackInstanceRefresh: AWS puts back the instances the refresh
/// replaced, from the previous template version. Returns the refresh ID.
pub async fn rollback_refresh(client: &Client, group: &str) -> Result<String, AwsError> {
    let call = Call::new("autoscaling:RollbackInstanceRefresh", format!("Auto Scaling group {group}"));
    let output = call.send(client.rollback_instance_refresh().auto_scaling_group_name(group).send()).await?;
    call.required_str(output.instance_refresh_id(), "InstanceRefreshId")
}

/// Deletes the group and terminates its instances.
pub async fn delete_group(client: &Client, name: &str) -> Result<(), AwsError> {
    let call = Call::new("autoscaling:DeleteAutoScalingGroup", format!("Auto Scaling group {name}"));
    call.send_or_absent(client.delete_auto_scaling_group().auto_scaling_group_name(name).force_delete(true).send())
        .await?;
    Ok(())
}
