//! The calls the appliers make, as traits: [`AwsClients`] implements them
//! with the SDK adapters of this module, and unit tests with an in-memory
//! fake that records each call ([`fake`]). Reads stay plain functions: the
//! planners are pure and are tested on their own.

use std::collections::BTreeMap;

use super::autoscaling::{self, GroupSpec, RefreshPlan};
use super::ec2::{self, IngressRule, RuleSource};
use super::elb::{self, Listener, LoadBalancer, TargetGroup};
use super::elb_rules::{self, Route};
use super::iam::{self, InstanceProfile, Role};
use super::launch_template::{self, LaunchTemplate, TemplateData};
use super::msk::{self, ClusterSpec, MskCluster, OperationStatus, Placement};
use super::scaling_policy::{self, TrackedMetric};
use super::ssm::{self, SecretValue};
use super::{ecr, msk_config, msk_update, AwsClients, AwsError};

pub type Tags = BTreeMap<String, String>;

// The traits are used through generics inside this crate only, so the
// futures' auto traits need no spelling out.
#[allow(async_fn_in_trait)]
pub trait Ec2Api {
    /// Returns the new group's ID.
    async fn create_security_group(
        &self,
        name: &str,
        description: &str,
        vpc_id: &str,
        tags: &Tags,
    ) -> Result<String, AwsError>;
    /// `group` is (ID, name); one TCP port to members of `source_group`.
    async fn authorize_ingress(&self, group: (&str, &str), ports: &[u16], source_group: &str) -> Result<(), AwsError>;
    async fn authorize_tcp(
        &self,
        group: (&str, &str),
        port: u16,
        sources: &[RuleSource],
        description: &str,
    ) -> Result<(), AwsError>;
    async fn revoke_ingress(&self, group: (&str, &str), rules: &[IngressRule]) -> Result<(), AwsError>;
    async fn tag(&self, resource_id: &str, tags: &Tags) -> Result<(), AwsError>;
    async fn create_launch_template(
        &self,
        name: &str,
        data: &TemplateData,
        description: &str,
        tags: &Tags,
    ) -> Result<LaunchTemplate, AwsError>;
    /// Returns the new version's number.
    async fn create_template_version(
        &self,
        template: &LaunchTemplate,
        data: &TemplateData,
        description: &str,
    ) -> Result<i64, AwsError>;
}

#[allow(async_fn_in_trait)]
pub trait AutoScalingApi {
    async fn create_group(&self, spec: &GroupSpec<'_>) -> Result<(), AwsError>;
    async fn update_size(&self, name: &str, min: u32, max: u32, desired: u32) -> Result<(), AwsError>;
    /// Returns the refresh's ID.
    async fn start_refresh(
        &self,
        group: &str,
        template_id: &str,
        version: i64,
        plan: RefreshPlan,
    ) -> Result<String, AwsError>;
    async fn put_cpu_target(&self, group: &str, policy: &str, target: f64) -> Result<(), AwsError>;
    async fn put_tracked_metric(&self, group: &str, policy: &str, tracked: &TrackedMetric) -> Result<(), AwsError>;
    async fn enable_group_metrics(&self, group: &str, metrics: &[&str]) -> Result<(), AwsError>;
}

#[allow(async_fn_in_trait)]
pub trait LoadBalancingApi {
    async fn create_target_group(
        &self,
        name: &str,
        vpc_id: &str,
        port: u16,
        health_check_path: &str,
        tags: &Tags,
    ) -> Result<TargetGroup, AwsError>;
    async fn set_health_check_path(&self, group: &TargetGroup, path: &str) -> Result<(), AwsError>;
    async fn create_load_balancer(
        &self,
        name: &str,
        scheme: &str,
        subnet_ids: &[String],
        security_group_id: &str,
        tags: &Tags,
    ) -> Result<LoadBalancer, AwsError>;
    /// Returns the new listener's ARN.
    async fn create_listener(&self, lb: &LoadBalancer, listener: &Listener) -> Result<String, AwsError>;
    /// Returns the new rule's ARN.
    async fn create_rule(&self, listener_arn: &str, route: &Route) -> Result<String, AwsError>;
    async fn delete_rule(&self, arn: &str) -> Result<(), AwsError>;
    async fn modify_listener(&self, arn: &str, listener: &Listener) -> Result<(), AwsError>;
    async fn delete_listener(&self, arn: &str) -> Result<(), AwsError>;
}

/// What deploy sets up once per account and environment besides the
/// fleet: ECR repositories' settings, the instance role, the secrets.
#[allow(async_fn_in_trait)]
pub trait AccountSetupApi {
    async fn enable_scan_on_push(&self, repository: &str) -> Result<(), AwsError>;
    async fn put_lifecycle_policy(&self, repository: &str, policy: &str) -> Result<(), AwsError>;
    async fn create_role(
        &self,
        name: &str,
        trust_policy: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<Role, AwsError>;
    async fn put_role_policy(&self, role: &str, name: &str, policy: &str) -> Result<(), AwsError>;
    async fn create_instance_profile(&self, name: &str, tags: &Tags) -> Result<InstanceProfile, AwsError>;
    async fn add_role_to_instance_profile(&self, profile: &str, role: &str) -> Result<(), AwsError>;
    async fn put_secret(&self, name: &str, value: &SecretValue, exists: bool, tags: &Tags) -> Result<(), AwsError>;
}

#[allow(async_fn_in_trait)]
pub trait MskApi {
    /// Returns the new cluster's ARN.
    async fn create_cluster(&self, spec: &ClusterSpec, placement: &Placement<'_>) -> Result<String, AwsError>;
    async fn describe_cluster(&self, arn: &str) -> Result<Option<MskCluster>, AwsError>;
    async fn tag_cluster(&self, cluster: &MskCluster, tags: &Tags) -> Result<(), AwsError>;
    /// Each update returns the cluster operation's ARN.
    async fn update_broker_count(&self, cluster: &MskCluster, target: u32) -> Result<String, AwsError>;
    async fn update_broker_storage(&self, cluster: &MskCluster, gib: u32) -> Result<String, AwsError>;
    async fn update_broker_type(&self, cluster: &MskCluster, broker_type: &str) -> Result<String, AwsError>;
    async fn update_monitoring(&self, cluster: &MskCluster, level: &str) -> Result<String, AwsError>;
    async fn update_cluster_configuration(
        &self,
        cluster: &MskCluster,
        configuration_arn: &str,
        revision: i64,
    ) -> Result<String, AwsError>;
    async fn describe_operation(&self, arn: &str) -> Result<OperationStatus, AwsError>;
    /// Returns the configuration's ARN and first revision.
    async fn create_configuration(
        &self,
        name: &str,
        description: &str,
        kafka_versions: &[String],
        server_properties: &str,
    ) -> Result<(String, i64), AwsError>;
    /// Returns the new revision's number.
    async fn update_configuration(
        &self,
        configuration: &msk_config::MskConfiguration,
        server_properties: &str,
    ) -> Result<i64, AwsError>;
}

impl Ec2Api for AwsClients {
    async fn create_security_group(
        &self,
        name: &str,
        description: &str,
        vpc_id: &str,
        tags: &Tags,
    ) -> Result<String, AwsError> {
        ec2::create_security_group(&self.ec2, name, description, vpc_id, tags).await
    }
    async fn authorize_ingress(&self, group: (&str, &str), ports: &[u16], source_group: &str) -> Result<(), AwsError> {
        ec2::authorize_ingress(&self.ec2, group, ports, source_group).await
    }
    async fn authorize_tcp(
        &self,
        group: (&str, &str),
        port: u16,
        sources: &[RuleSource],
        description: &str,
    ) -> Result<(), AwsError> {
        ec2::authorize_tcp(&self.ec2, group, port, sources, description).await
    }
    async fn revoke_ingress(&self, group: (&str, &str), rules: &[IngressRule]) -> Result<(), AwsError> {
        ec2::revoke_ingress(&self.ec2, group, rules).await
    }
    async fn tag(&self, resource_id: &str, tags: &Tags) -> Result<(), AwsError> {
        ec2::tag(&self.ec2, resource_id, tags).await
    }
    async fn create_launch_template(
        &self,
        name: &str,
        data: &TemplateData,
        description: &str,
        tags: &Tags,
    ) -> Result<LaunchTemplate, AwsError> {
        launch_template::create(&self.ec2, name, data, description, tags).await
    }
    async fn create_template_version(
        &self,
        template: &LaunchTemplate,
        data: &TemplateData,
        description: &str,
    ) -> Result<i64, AwsError> {
        launch_template::create_version(&self.ec2, template, data, description).await
    }
}

impl AutoScalingApi for AwsClients {
    async fn create_group(&self, spec: &GroupSpec<'_>) -> Result<(), AwsError> {
        autoscaling::create_group(&self.autoscaling, spec).await
    }
    async fn update_size(&self, name: &str, min: u32, max: u32, desired: u32) -> Result<(), AwsError> {
        autoscaling::update_size(&self.autoscaling, name, min, max, desired).await
    }
    async fn start_refresh(
        &self,
        group: &str,
        template_id: &str,
        version: i64,
        plan: RefreshPlan,
    ) -> Result<String, AwsError> {
        autoscaling::start_refresh(&self.autoscaling, group, template_id, version, plan).await
    }
    async fn put_cpu_target(&self, group: &str, policy: &str, target: f64) -> Result<(), AwsError> {
        autoscaling::put_cpu_target(&self.autoscaling, group, policy, target).await
    }
    async fn put_tracked_metric(&self, group: &str, policy: &str, tracked: &TrackedMetric) -> Result<(), AwsError> {
        scaling_policy::put_tracked_metric(&self.autoscaling, group, policy, tracked).await
    }
    async fn enable_group_metrics(&self, group: &str, metrics: &[&str]) -> Result<(), AwsError> {
        scaling_policy::enable_group_metrics(&self.autoscaling, group, metrics).await
    }
}

impl LoadBalancingApi for AwsClients {
    async fn create_target_group(
        &self,
        name: &str,
        vpc_id: &str,
        port: u16,
        health_check_path: &str,
        tags: &Tags,
    ) -> Result<TargetGroup, AwsError> {
        elb::create_target_group(&self.elb, name, vpc_id, port, health_check_path, tags).await
    }
    async fn set_health_check_path(&self, group: &TargetGroup, path: &str) -> Result<(), AwsError> {
        elb::set_health_check_path(&self.elb, group, path).await
    }
    async fn create_load_balancer(
        &self,
        name: &str,
        scheme: &str,
        subnet_ids: &[String],
        security_group_id: &str,
        tags: &Tags,
    ) -> Result<LoadBalancer, AwsError> {
        elb::create_load_balancer(&self.elb, name, scheme, subnet_ids, security_group_id, tags).await
    }
    async fn create_listener(&self, lb: &LoadBalancer, listener: &Listener) -> Result<String, AwsError> {
        elb::create_listener(&self.elb, lb, listener).await
    }
    async fn create_rule(&self, listener_arn: &str, route: &Route) -> Result<String, AwsError> {
        elb_rules::create_rule(&self.elb, listener_arn, route).await
    }
    async fn delete_rule(&self, arn: &str) -> Result<(), AwsError> {
        elb_rules::delete_rule(&self.elb, arn).await
    }
    async fn modify_listener(&self, arn: &str, listener: &Listener) -> Result<(), AwsError> {
        elb::modify_listener(&self.elb, arn, listener).await
    }
    async fn delete_listener(&self, arn: &str) -> Result<(), AwsError> {
        elb::delete_listener(&self.elb, arn).await
    }
}

impl AccountSetupApi for AwsClients {
    async fn enable_scan_on_push(&self, repository: &str) -> Result<(), AwsError> {
        ecr::enable_scan_on_push(&self.ecr, repository).await
    }
    async fn put_lifecycle_policy(&self, repository: &str, policy: &str) -> Result<(), AwsError> {
        ecr::put_lifecycle_policy(&self.ecr, repository, policy).await
    }
    async fn create_role(
        &self,
        name: &str,
        trust_policy: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<Role, AwsError> {
        iam::create_role(&self.iam, name, trust_policy, description, tags).await
    }
    async fn put_role_policy(&self, role: &str, name: &str, policy: &str) -> Result<(), AwsError> {
        iam::put_role_policy(&self.iam, role, name, policy).await
    }
    async fn create_instance_profile(&self, name: &str, tags: &Tags) -> Result<InstanceProfile, AwsError> {
        iam::create_instance_profile(&self.iam, name, tags).await
    }
    async fn add_role_to_instance_profile(&self, profile: &str, role: &str) -> Result<(), AwsError> {
        iam::add_role_to_instance_profile(&self.iam, profile, role).await
    }
    async fn put_secret(&self, name: &str, value: &SecretValue, exists: bool, tags: &Tags) -> Result<(), AwsError> {
        ssm::put_secret(&self.ssm, name, value, exists, tags).await
    }
}

impl MskApi for AwsClients {
    async fn create_cluster(&self, spec: &ClusterSpec, placement: &Placement<'_>) -> Result<String, AwsError> {
        msk::create_cluster(&self.kafka, spec, placement).await
    }
    async fn describe_cluster(&self, arn: &str) -> Result<Option<MskCluster>, AwsError> {
        msk::describe_cluster(&self.kafka, arn).await
    }
    async fn tag_cluster(&self, cluster: &MskCluster, tags: &Tags) -> Result<(), AwsError> {
        msk_update::tag_cluster(&self.kafka, cluster, tags).await
    }
    async fn update_broker_count(&self, cluster: &MskCluster, target: u32) -> Result<String, AwsError> {
        msk_update::update_broker_count(&self.kafka, cluster, target).await
    }
    async fn update_broker_storage(&self, cluster: &MskCluster, gib: u32) -> Result<String, AwsError> {
        msk_update::update_broker_storage(&self.kafka, cluster, gib).await
    }
    async fn update_broker_type(&self, cluster: &MskCluster, broker_type: &str) -> Result<String, AwsError> {
        msk_update::update_broker_type(&self.kafka, cluster, broker_type).await
    }
    async fn update_monitoring(&self, cluster: &MskCluster, level: &str) -> Result<String, AwsError> {
        msk_update::update_monitoring(&self.kafka, cluster, level).await
    }
    async fn update_cluster_configuration(
        &self,
        cluster: &MskCluster,
        configuration_arn: &str,
        revision: i64,
    ) -> Result<String, AwsError> {
        msk_update::update_cluster_configuration(&self.kafka, cluster, configuration_arn, revision).await
    }
    async fn describe_operation(&self, arn: &str) -> Result<OperationStatus, AwsError> {
        msk_update::describe_operation(&self.kafka, arn).await
    }
    async fn create_configuration(
        &self,
        name: &str,
        description: &str,
        kafka_versions: &[String],
        server_properties: &str,
    ) -> Result<(String, i64), AwsError> {
        msk_config::create_configuration(&self.kafka, name, description, kafka_versions, server_properties).await
    }
    async fn update_configuration(
        &self,
        configuration: &msk_config::MskConfiguration,
        server_properties: &str,
    ) -> Result<i64, AwsError> {
        msk_config::update_configuration(&self.kafka, configuration, server_properties).await
    }
}

/// Everything `deploy`'s applier calls.
pub trait DeployApi: Ec2Api + AutoScalingApi + LoadBalancingApi + AccountSetupApi {}

impl<T: Ec2Api + AutoScalingApi + LoadBalancingApi + AccountSetupApi> DeployApi for T {}
