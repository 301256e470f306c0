//! Grants for `deploy`'s fleet and its removal by `destroy`: ECR images,
//! Parameter Store secrets, the instance role, the load balancer, launch
//! templates, Auto Scaling groups, alarms, dashboard and alert topic.
//!
//! Without resource-level permissions (so `*`): every ELBv2 and Auto Scaling
//! Describe*, `ec2:DescribeLaunchTemplates`/`Versions`/`DescribeImages`,
//! `cloudwatch:DescribeAlarms`, `sns:ListTopics`. Launch templates and
//! Auto Scaling groups are scoped by tags as well as by name, because their
//! ARNs carry an ID (templates) or a name any prefix could start
//! (`{prefix}-*`).

use super::{Scope, Statement};
use crate::monitoring::MonitoringNames;
use crate::naming::fleet::{FleetNames, CONSUMER_REPOSITORY, PRODUCER_REPOSITORY};

/// The public parameter of the Amazon Linux 2023 AMI deploy launches.
const PUBLIC_AMI_PARAMETERS: &str = "parameter/aws/service/ami-amazon-linux-latest/*";

struct FleetArns {
    repositories: Vec<String>,
    secrets: Vec<String>,
    role: String,
    instance_profile: String,
    load_balancer: String,
    target_group: String,
    listener: String,
    listener_rule: String,
    groups: String,
}

impl FleetArns {
    fn new(scope: &Scope, names: &FleetNames) -> Self {
        let secrets_path = names.secrets_path.trim_end_matches('/');
        let lb = &names.load_balancer;
        FleetArns {
            repositories: [PRODUCER_REPOSITORY, CONSUMER_REPOSITORY]
                .iter()
                .map(|repository| scope.arn("ecr", &format!("repository/{repository}")))
                .collect(),
            // GetParametersByPath names the path itself; the rest name parameters under it.
            secrets: vec![
                scope.arn("ssm", &format!("parameter{secrets_path}")),
                scope.arn("ssm", &format!("parameter{secrets_path}/*")),
            ],
            role: scope.iam_arn(&format!("role/{}", names.instance_role)),
            instance_profile: scope.iam_arn(&format!("instance-profile/{}", names.instance_profile)),
            load_balancer: scope.arn("elasticloadbalancing", &format!("loadbalancer/app/{lb}/*")),
            target_group: scope.arn("elasticloadbalancing", &format!("targetgroup/{}/*", names.target_group)),
            listener: scope.arn("elasticloadbalancing", &format!("listener/app/{lb}/*")),
            listener_rule: scope.arn("elasticloadbalancing", &format!("listener-rule/app/{lb}/*")),
            groups: scope.arn("autoscaling", &format!("autoScalingGroup:*:autoScalingGroupName/{}-*", scope.prefix)),
        }
    }
}

pub fn fleet_read(scope: &Scope, names: &FleetNames) -> Vec<Statement> {
    let arns = FleetArns::new(scope, names);
    vec![
        Statement::allow_any_resource(
            "FleetDescribeNoResourceLevel",
            &[
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:DescribeImages",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags",
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribePolicies",
                "autoscaling:DescribeInstanceRefreshes",
            ],
        ),
        Statement::allow(
            "EcrReadServiceRepositories",
            &["ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:GetLifecyclePolicy"],
            arns.repositories,
        ),
        Statement::allow(
            "SsmReadEnvironmentSecrets",
            &["ssm:GetParameter", "ssm:GetParametersByPath", "ssm:ListTagsForResource"],
            arns.secrets,
        ),
        // AWS's public parameters have no account in their ARN.
        Statement::allow(
            "SsmReadPublicAmiParameter",
            &["ssm:GetParameter"],
            vec![format!("arn:aws:ssm:{}::{PUBLIC_AMI_PARAMETERS}", scope.region)],
        ),
        Statement::allow(
            "IamReadInstanceRole",
            &["iam:GetRole", "iam:GetRolePolicy", "iam:GetInstanceProfile"],
            vec![arns.role, arns.instance_profile],
        ),
    ]
}

pub fn fleet_write(scope: &Scope, names: &FleetNames) -> Vec<Statement> {
    let arns = FleetArns::new(scope, names);
    vec![
        Statement::allow(
            "EcrConfigureServiceRepositories",
            &["ecr:PutImageScanningConfiguration", "ecr:PutLifecyclePolicy"],
            arns.repositories,
        ),
        Statement::allow("SsmWriteEnvironmentSecrets", &["ssm:PutParameter", "ssm:AddTagsToResource"], arns.secrets),
        // SecureString parameters with the AWS managed key, through SSM only.
        Statement::allow_any_resource("KmsForSecureStringsViaSsm", &["kms:Encrypt", "kms:Decrypt"]).when(
            "StringLike",
            "kms:ViaService",
            vec![scope.via_service("ssm")],
        ),
        Statement::allow(
            "IamWriteInstanceRole",
            &[
                "iam:CreateRole",
                "iam:TagRole",
                "iam:PutRolePolicy",
                "iam:CreateInstanceProfile",
                "iam:TagInstanceProfile",
                "iam:AddRoleToInstanceProfile",
            ],
            vec![arns.role.clone(), arns.instance_profile],
        ),
        Statement::allow("IamPassInstanceRoleToEc2", &["iam:PassRole"], vec![arns.role]).when(
            "StringEquals",
            "iam:PassedToService",
            vec!["ec2.amazonaws.com".into()],
        ),
        Statement::allow(
            "FleetServiceLinkedRoles",
            &["iam:CreateServiceLinkedRole"],
            vec![
                scope.iam_arn("role/aws-service-role/autoscaling.amazonaws.com/*"),
                scope.iam_arn("role/aws-service-role/elasticloadbalancing.amazonaws.com/*"),
            ],
        )
        .when(
            "StringEquals",
            "iam:AWSServiceName",
            vec!["autoscaling.amazonaws.com".into(), "elasticloadbalancing.amazonaws.com".into()],
        ),
        Statement::allow(
            "Ec2CreateTaggedLaunchTemplates",
            &["ec2:CreateLaunchTemplate"],
            vec![scope.arn("ec2", "launch-template/*")],
        )
        .creating_tagged(scope),
        Statement::allow(
            "Ec2TagLaunchTemplatesOnCreate",
            &["ec2:CreateTags"],
            vec![scope.arn("ec2", "launch-template/*")],
        )
        .when("StringEquals", "ec2:CreateAction", vec!["CreateLaunchTemplate".into()]),
        Statement::allow(
            "Ec2VersionOwnLaunchTemplates",
            &["ec2:CreateLaunchTemplateVersion"],
            vec![scope.arn("ec2", "launch-template/*")],
        )
        .on_tagged(scope),
        // Auto Scaling launches with the caller's permission to use the template.
        Statement::allow_any_resource("Ec2RunInstancesFromLaunchTemplates", &["ec2:RunInstances", "ec2:CreateTags"])
            .when("Bool", "ec2:IsLaunchTemplateResource", vec!["true".into()]),
        Statement::allow(
            "ElbCreateTaggedLoadBalancer",
            &["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            vec![arns.load_balancer.clone(), arns.target_group.clone()],
        )
        .creating_tagged(scope),
        Statement::allow(
            "ElbChangeOwnLoadBalancer",
            &[
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            vec![arns.load_balancer, arns.target_group, arns.listener, arns.listener_rule],
        ),
        Statement::allow(
            "AutoScalingCreateTaggedGroups",
            &["autoscaling:CreateAutoScalingGroup", "autoscaling:CreateOrUpdateTags"],
            vec![arns.groups.clone()],
        )
        .creating_tagged(scope),
        Statement::allow(
            "AutoScalingChangeOwnGroups",
            &[
                "autoscaling:UpdateAutoScalingGroup",
                "autoscaling:PutScalingPolicy",
                "autoscaling:EnableMetricsCollection",
                "autoscaling:StartInstanceRefresh",
                "autoscaling:CancelInstanceRefresh",
                "autoscaling:RollbackInstanceRefresh",
            ],
            vec![arns.groups],
        )
        .on_tagged(scope),
    ]
}

pub fn fleet_delete(scope: &Scope, names: &FleetNames) -> Vec<Statement> {
    let arns = FleetArns::new(scope, names);
    vec![
        Statement::allow("AutoScalingDeleteOwnGroups", &["autoscaling:DeleteAutoScalingGroup"], vec![arns.groups])
            .on_tagged(scope),
        Statement::allow(
            "Ec2DeleteOwnLaunchTemplates",
            &["ec2:DeleteLaunchTemplate"],
            vec![scope.arn("ec2", "launch-template/*")],
        )
        .on_tagged(scope),
        Statement::allow(
            "ElbDeleteOwnLoadBalancer",
            &["elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteTargetGroup"],
            vec![arns.load_balancer, arns.target_group],
        )
        .on_tagged(scope),
        Statement::allow(
            "IamDeleteInstanceRole",
            &[
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:DeleteRolePolicy",
                "iam:DeleteRole",
            ],
            vec![arns.role, arns.instance_profile],
        ),
        Statement::allow("SsmDeleteEnvironmentSecrets", &["ssm:DeleteParameter"], arns.secrets),
    ]
}

struct MonitoringArns {
    alarms: String,
    dashboard: String,
    topic: String,
    subscriptions: String,
}

impl MonitoringArns {
    fn new(scope: &Scope) -> Self {
        let names = MonitoringNames::for_prefix(&scope.prefix);
        MonitoringArns {
            alarms: scope.arn("cloudwatch", &format!("alarm:{}*", names.alarm_prefix)),
            // Dashboards are global: no region in their ARN.
            dashboard: format!("arn:aws:cloudwatch::{}:dashboard/{}", scope.account, names.dashboard),
            topic: scope.arn("sns", &names.topic),
            subscriptions: scope.arn("sns", &format!("{}:*", names.topic)),
        }
    }
}

pub fn monitoring_read(scope: &Scope) -> Vec<Statement> {
    let arns = MonitoringArns::new(scope);
    vec![
        Statement::allow_any_resource(
            "MonitoringListNoResourceLevel",
            &["cloudwatch:DescribeAlarms", "sns:ListTopics"],
        ),
        Statement::allow(
            "MonitoringReadOwn",
            &[
                "cloudwatch:ListTagsForResource",
                "cloudwatch:GetDashboard",
                "sns:ListTagsForResource",
                "sns:ListSubscriptionsByTopic",
            ],
            vec![arns.alarms, arns.dashboard, arns.topic],
        ),
    ]
}

pub fn monitoring_write(scope: &Scope) -> Vec<Statement> {
    let arns = MonitoringArns::new(scope);
    vec![Statement::allow(
        "MonitoringWriteOwn",
        &[
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:TagResource",
            "cloudwatch:DeleteAlarms",
            "cloudwatch:PutDashboard",
            "sns:CreateTopic",
            "sns:TagResource",
            "sns:Subscribe",
            "sns:Unsubscribe",
        ],
        vec![arns.alarms, arns.dashboard, arns.topic, arns.subscriptions],
    )]
}

pub fn monitoring_delete(scope: &Scope) -> Vec<Statement> {
    let arns = MonitoringArns::new(scope);
    vec![Statement::allow(
        "MonitoringDeleteOwn",
        &["cloudwatch:DeleteAlarms", "cloudwatch:DeleteDashboards", "sns:Unsubscribe", "sns:DeleteTopic"],
        vec![arns.alarms, arns.dashboard, arns.topic, arns.subscriptions],
    )]
}
