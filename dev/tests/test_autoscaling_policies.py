"""Target tracking on metric math and group metrics collection (the
consumers' lag-per-instance policy that `forgectl deploy` puts next to the
CPU target), and that a group's scaling policies go with the group.

AWS references: Amazon EC2 Auto Scaling API Reference, PutScalingPolicy,
TargetTrackingConfiguration, CustomizedMetricSpecification,
TargetTrackingMetricDataQuery, EnableMetricsCollection and
DeleteAutoScalingGroup ("deleting the group deletes ... its scaling
policies").  Unique names: the stack is shared.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from conftest import unique

AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


@pytest.fixture(scope="module")
def clients(endpoint: str, aws_config: Any) -> dict[str, Any]:
    return {name: boto3.client(name, endpoint_url=endpoint, config=aws_config) for name in ("autoscaling", "ec2", "ssm")}


def _group(clients: dict[str, Any]) -> str:
    ec2 = clients["ec2"]
    image = clients["ssm"].get_parameter(Name=AMI_PARAMETER)["Parameter"]["Value"]
    template = unique("lag-lt")
    ec2.create_launch_template(
        LaunchTemplateName=template, LaunchTemplateData={"ImageId": image, "InstanceType": "t3.small"}
    )
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]
    name = unique("lag-group")
    clients["autoscaling"].create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=0,
        MaxSize=2,
        DesiredCapacity=0,
        LaunchTemplate={"LaunchTemplateName": template, "Version": "1"},
        VPCZoneIdentifier=subnet["SubnetId"],
    )
    return name


def _lag_policy(group: str) -> dict[str, Any]:
    lag = {
        "Namespace": "AWS/Kafka",
        "MetricName": "SumOffsetLag",
        "Dimensions": [
            {"Name": "Cluster Name", "Value": "forgectl-test"},
            {"Name": "Consumer Group", "Value": "sms-consumer-group"},
            {"Name": "Topic", "Value": "sms_batched"},
        ],
    }
    instances = {
        "Namespace": "AWS/AutoScaling",
        "MetricName": "GroupInServiceInstances",
        "Dimensions": [{"Name": "AutoScalingGroupName", "Value": group}],
    }
    return {
        "TargetValue": 100.0,
        "CustomizedMetricSpecification": {
            "Metrics": [
                {"Id": "lag_0", "MetricStat": {"Metric": lag, "Stat": "Maximum"}, "ReturnData": False},
                {"Id": "instances", "MetricStat": {"Metric": instances, "Stat": "Average"}, "ReturnData": False},
                {"Id": "per_instance", "Expression": "(FILL(lag_0, 0)) / instances", "ReturnData": True},
            ]
        },
    }


def test_metric_math_policy_and_group_metrics_read_back_as_put(clients: dict[str, Any]) -> None:
    autoscaling = clients["autoscaling"]
    group = _group(clients)
    try:
        autoscaling.enable_metrics_collection(
            AutoScalingGroupName=group, Granularity="1Minute", Metrics=["GroupInServiceInstances"]
        )
        described = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
        assert described["EnabledMetrics"] == [{"Metric": "GroupInServiceInstances", "Granularity": "1Minute"}]

        wanted = _lag_policy(group)
        autoscaling.put_scaling_policy(
            AutoScalingGroupName=group,
            PolicyName=f"{group}-lag",
            PolicyType="TargetTrackingScaling",
            TargetTrackingConfiguration=wanted,
        )
        policies = autoscaling.describe_policies(AutoScalingGroupName=group)["ScalingPolicies"]
        assert [policy["PolicyName"] for policy in policies] == [f"{group}-lag"]
        tracking = policies[0]["TargetTrackingConfiguration"]
        assert tracking["TargetValue"] == 100.0
        assert tracking["CustomizedMetricSpecification"]["Metrics"] == wanted["CustomizedMetricSpecification"]["Metrics"]
    finally:
        autoscaling.delete_auto_scaling_group(AutoScalingGroupName=group, ForceDelete=True)


def test_deleting_a_group_deletes_its_scaling_policies(clients: dict[str, Any]) -> None:
    autoscaling = clients["autoscaling"]
    group = _group(clients)
    autoscaling.put_scaling_policy(
        AutoScalingGroupName=group,
        PolicyName=f"{group}-lag",
        PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration=_lag_policy(group),
    )
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName=group, ForceDelete=True)
    assert autoscaling.describe_policies(AutoScalingGroupName=group)["ScalingPolicies"] == []
