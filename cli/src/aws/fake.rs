//! An in-memory AWS for the appliers' unit tests: every call is recorded
//! as `action resource`, creates answer with made-up IDs, and one action can
//! be made to fail.

use std::cell::RefCell;

use super::api::{AccountSetupApi, AutoScalingApi, Ec2Api, LoadBalancingApi, MskApi, Tags};
use super::autoscaling::{GroupSpec, RefreshPlan};
use super::ec2::{IngressRule, RuleSource};
use super::elb::{Listener, LoadBalancer, TargetGroup};
use super::elb_rules::Route;
use super::iam::{InstanceProfile, Role};
use super::launch_template::{LaunchTemplate, TemplateData};
use super::msk::{ClusterSpec, MskCluster, OperationStatus, Placement};
use super::msk_config::MskConfiguration;
use super::scaling_policy::TrackedMetric;
use super::ssm::SecretValue;
use super::{AwsError, AwsErrorKind};

#[derive(Debug, Default)]
pub struct FakeAws {
    calls: RefCell<Vec<String>>,
    /// The IAM action that fails, e.g. `ec2:CreateLaunchTemplate`.
    failing: Option<&'static str>,
    /// What DescribeClusterV2 answers.
    cluster: Option<MskCluster>,
}

impl FakeAws {
    pub fn failing_on(action: &'static str) -> Self {
        FakeAws { failing: Some(action), ..FakeAws::default() }
    }

    /// DescribeClusterV2 answers with `cluster` (none by default).
    pub fn with_cluster(self, cluster: MskCluster) -> Self {
        FakeAws { cluster: Some(cluster), ..self }
    }

    /// The calls made so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }

    /// Only the actions, in order.
    pub fn actions(&self) -> Vec<String> {
        self.calls().iter().map(|call| call.split(' ').next().unwrap_or_default().to_string()).collect()
    }

    fn call(&self, action: &str, resource: &str) -> Result<(), AwsError> {
        self.calls.borrow_mut().push(format!("{action} {resource}"));
        if self.failing == Some(action) {
            return Err(AwsError {
                action: action.to_string(),
                resource: resource.to_string(),
                kind: AwsErrorKind::Service,
                code: Some("InternalFailure".into()),
                message: "the fake was told to fail".into(),
                credentials: None,
            });
        }
        Ok(())
    }
}

impl Ec2Api for FakeAws {
    async fn create_security_group(&self, name: &str, _: &str, _: &str, _: &Tags) -> Result<String, AwsError> {
        self.call("ec2:CreateSecurityGroup", name)?;
        Ok(format!("sg-{name}"))
    }
    async fn authorize_ingress(&self, group: (&str, &str), ports: &[u16], source: &str) -> Result<(), AwsError> {
        self.call("ec2:AuthorizeSecurityGroupIngress", &format!("{} {ports:?} from {source}", group.0))
    }
    async fn authorize_tcp(
        &self,
        group: (&str, &str),
        port: u16,
        sources: &[RuleSource],
        _: &str,
    ) -> Result<(), AwsError> {
        self.call("ec2:AuthorizeSecurityGroupIngress", &format!("{} {port} from {sources:?}", group.0))
    }
    async fn revoke_ingress(&self, group: (&str, &str), _: &[IngressRule]) -> Result<(), AwsError> {
        self.call("ec2:RevokeSecurityGroupIngress", group.0)
    }
    async fn tag(&self, resource_id: &str, _: &Tags) -> Result<(), AwsError> {
        self.call("ec2:CreateTags", resource_id)
    }
    async fn create_launch_template(
        &self,
        name: &str,
        data: &TemplateData,
        _: &str,
        tags: &Tags,
    ) -> Result<LaunchTemplate, AwsError> {
        self.call("ec2:CreateLaunchTemplate", &format!("{name} {:?}", data.security_group_ids))?;
        Ok(LaunchTemplate { id: format!("lt-{name}"), name: name.to_string(), latest_version: 1, tags: tags.clone() })
    }
    async fn create_template_version(
        &self,
        template: &LaunchTemplate,
        _: &TemplateData,
        _: &str,
    ) -> Result<i64, AwsError> {
        self.call("ec2:CreateLaunchTemplateVersion", &template.id)?;
        Ok(template.latest_version + 1)
    }
}

impl AutoScalingApi for FakeAws {
    async fn create_group(&self, spec: &GroupSpec<'_>) -> Result<(), AwsError> {
        let resource =
            format!("{} {}:{} {:?}", spec.name, spec.template_id, spec.template_version, spec.target_group_arns);
        self.call("autoscaling:CreateAutoScalingGroup", &resource)
    }
    async fn update_size(&self, name: &str, min: u32, max: u32, desired: u32) -> Result<(), AwsError> {
        self.call("autoscaling:UpdateAutoScalingGroup", &format!("{name} {min}..{max} {desired}"))
    }
    async fn start_refresh(
        &self,
        group: &str,
        template_id: &str,
        version: i64,
        _: RefreshPlan,
    ) -> Result<String, AwsError> {
        self.call("autoscaling:StartInstanceRefresh", &format!("{group} {template_id}:{version}"))?;
        Ok(format!("refresh-{group}"))
    }
    async fn put_cpu_target(&self, group: &str, policy: &str, target: f64) -> Result<(), AwsError> {
        self.call("autoscaling:PutScalingPolicy", &format!("{group} {policy} {target}"))
    }
    async fn put_tracked_metric(&self, group: &str, policy: &str, tracked: &TrackedMetric) -> Result<(), AwsError> {
        self.call("autoscaling:PutScalingPolicy", &format!("{group} {policy} {}", tracked.target))
    }
    async fn enable_group_metrics(&self, group: &str, metrics: &[&str]) -> Result<(), AwsError> {
        self.call("autoscaling:EnableMetricsCollection", &format!("{group} {}", metrics.join(",")))
    }
}

impl LoadBalancingApi for FakeAws {
    async fn create_target_group(
        &self,
        name: &str,
        _: &str,
        port: u16,
        path: &str,
        _: &Tags,
    ) -> Result<TargetGroup, AwsError> {
        self.call("elasticloadbalancing:CreateTargetGroup", name)?;
        Ok(TargetGroup {
            arn: format!("arn:tg/{name}"),
            name: name.into(),
            port: i32::from(port),
            health_check_path: path.into(),
        })
    }
    async fn set_health_check_path(&self, group: &TargetGroup, path: &str) -> Result<(), AwsError> {
        self.call("elasticloadbalancing:ModifyTargetGroup", &format!("{} {path}", group.name))
    }
    async fn create_load_balancer(
        &self,
        name: &str,
        scheme: &str,
        _: &[String],
        sg: &str,
        _: &Tags,
    ) -> Result<LoadBalancer, AwsError> {
        self.call("elasticloadbalancing:CreateLoadBalancer", &format!("{name} {sg}"))?;
        Ok(LoadBalancer {
            arn: format!("arn:lb/{name}"),
            name: name.into(),
            dns_name: format!("{name}.elb.test"),
            scheme: scheme.into(),
        })
    }
    async fn create_listener(&self, lb: &LoadBalancer, listener: &Listener) -> Result<String, AwsError> {
        self.call("elasticloadbalancing:CreateListener", &format!("{} {:?}", lb.name, listener.action))?;
        Ok(format!("arn:listener/{}/{}", lb.name, listener.port))
    }
    async fn create_rule(&self, listener_arn: &str, route: &Route) -> Result<String, AwsError> {
        let resource = format!("{listener_arn} {} {:?}", route.path_patterns.join(" "), route.forward_to);
        self.call("elasticloadbalancing:CreateRule", &resource)?;
        Ok(format!("{listener_arn}/rule/{}", route.priority))
    }
    async fn delete_rule(&self, arn: &str) -> Result<(), AwsError> {
        self.call("elasticloadbalancing:DeleteRule", arn)
    }
    async fn modify_listener(&self, arn: &str, _: &Listener) -> Result<(), AwsError> {
        self.call("elasticloadbalancing:ModifyListener", arn)
    }
    async fn delete_listener(&self, arn: &str) -> Result<(), AwsError> {
        self.call("elasticloadbalancing:DeleteListener", arn)
    }
}

impl AccountSetupApi for FakeAws {
    async fn enable_scan_on_push(&self, repository: &str) -> Result<(), AwsError> {
        self.call("ecr:PutImageScanningConfiguration", repository)
    }
    async fn put_lifecycle_policy(&self, repository: &str, _: &str) -> Result<(), AwsError> {
        self.call("ecr:PutLifecyclePolicy", repository)
    }
    async fn create_role(&self, name: &str, _: &str, _: &str, _: &Tags) -> Result<Role, AwsError> {
        self.call("iam:CreateRole", name)?;
        Ok(Role { name: name.into(), arn: format!("arn:role/{name}"), tags: Default::default() })
    }
    async fn put_role_policy(&self, role: &str, name: &str, _: &str) -> Result<(), AwsError> {
        self.call("iam:PutRolePolicy", &format!("{role} {name}"))
    }
    async fn create_instance_profile(&self, name: &str, _: &Tags) -> Result<InstanceProfile, AwsError> {
        self.call("iam:CreateInstanceProfile", name)?;
        Ok(InstanceProfile {
            name: name.into(),
            arn: format!("arn:profile/{name}"),
            roles: Vec::new(),
            tags: Default::default(),
        })
    }
    async fn add_role_to_instance_profile(&self, profile: &str, role: &str) -> Result<(), AwsError> {
        self.call("iam:AddRoleToInstanceProfile", &format!("{profile} {role}"))
    }
    async fn put_secret(&self, name: &str, _: &SecretValue, _: bool, _: &Tags) -> Result<(), AwsError> {
        self.call("ssm:PutParameter", name)
    }
}

impl MskApi for FakeAws {
    async fn create_cluster(&self, spec: &ClusterSpec, placement: &Placement<'_>) -> Result<String, AwsError> {
        self.call("kafka:CreateClusterV2", &format!("{} {}", spec.name, placement.security_group))?;
        Ok(format!("arn:cluster/{}", spec.name))
    }
    async fn describe_cluster(&self, arn: &str) -> Result<Option<MskCluster>, AwsError> {
        self.call("kafka:DescribeClusterV2", arn)?;
        Ok(self.cluster.clone())
    }
    async fn tag_cluster(&self, cluster: &MskCluster, _: &Tags) -> Result<(), AwsError> {
        self.call("kafka:TagResource", &cluster.name)
    }
    async fn update_broker_count(&self, cluster: &MskCluster, target: u32) -> Result<String, AwsError> {
        self.call("kafka:UpdateBrokerCount", &format!("{} {target}", cluster.name))?;
        Ok("arn:operation/count".into())
    }
    async fn update_broker_storage(&self, cluster: &MskCluster, gib: u32) -> Result<String, AwsError> {
        self.call("kafka:UpdateBrokerStorage", &format!("{} {gib}", cluster.name))?;
        Ok("arn:operation/storage".into())
    }
    async fn update_broker_type(&self, cluster: &MskCluster, broker_type: &str) -> Result<String, AwsError> {
        self.call("kafka:UpdateBrokerType", &format!("{} {broker_type}", cluster.name))?;
        Ok("arn:operation/type".into())
    }
    async fn update_monitoring(&self, cluster: &MskCluster, level: &str) -> Result<String, AwsError> {
        self.call("kafka:UpdateMonitoring", &format!("{} {level}", cluster.name))?;
        Ok("arn:operation/monitoring".into())
    }
    async fn update_cluster_configuration(
        &self,
        cluster: &MskCluster,
        arn: &str,
        revision: i64,
    ) -> Result<String, AwsError> {
        self.call("kafka:UpdateClusterConfiguration", &format!("{} {arn}:{revision}", cluster.name))?;
        Ok("arn:operation/configuration".into())
    }
    async fn describe_operation(&self, arn: &str) -> Result<OperationStatus, AwsError> {
        self.call("kafka:DescribeClusterOperation", arn)?;
        Ok(OperationStatus {
            arn: arn.into(),
            operation_type: None,
            state: "UPDATE_COMPLETE".into(),
            error_code: None,
            error_message: None,
        })
    }
    async fn create_configuration(
        &self,
        name: &str,
        _: &str,
        _: &[String],
        _: &str,
    ) -> Result<(String, i64), AwsError> {
        self.call("kafka:CreateConfiguration", name)?;
        Ok((format!("arn:configuration/{name}"), 1))
    }
    async fn update_configuration(&self, configuration: &MskConfiguration, _: &str) -> Result<i64, AwsError> {
        self.call("kafka:UpdateConfiguration", &configuration.name)?;
        Ok(configuration.latest_revision + 1)
    }
}
