"""The request log's parsed parameters and the botocore-model check over them.

What the check covers is written in request_shapes.py; forgectl's own requests
go through it in cli/tests/iam_policy.rs. Here: the parsing of each wire form
against the running plug-in (each test signs with its own access key), and
that the check rejects what AWS would.
"""

from __future__ import annotations

import urllib.request
import uuid
from typing import Any

import boto3
import pytest
from request_shapes import check_entries

SIGNING = "AWS4-HMAC-SHA256 Credential={key}/20261202/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"


@pytest.fixture
def own_key() -> str:
    return "AKIASHAPE" + uuid.uuid4().hex[:11].upper()


def client(service: str, endpoint: str, key: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key="testing")


def raw_query(endpoint: str, key: str, service: str, form: str) -> None:
    """A Query-protocol request as a non-SDK client might send it (moto checks no signature)."""
    request = urllib.request.Request(
        endpoint,
        data=form.encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": SIGNING.format(key=key, service=service),
        },
    )
    try:
        urllib.request.urlopen(request, timeout=10).read()
    except urllib.error.HTTPError:
        pass  # moto may refuse it too; the log has it either way


def test_query_and_ec2_forms_are_folded_back_into_the_input_shape(plugin: Any, endpoint: str, own_key: str) -> None:
    name = f"shape-{uuid.uuid4().hex[:8]}"
    client("sns", endpoint, own_key).create_topic(
        Name=name, Attributes={"DisplayName": "d"}, Tags=[{"Key": "team", "Value": "platform"}]
    )
    client("ec2", endpoint, own_key).describe_security_groups(Filters=[{"Name": "tag:forgectl:env", "Values": ["a", "b"]}])
    sns, ec2 = plugin.requests(access_key=own_key)
    assert sns["protocol"] == "query" and sns["unmapped"] == []
    assert sns["params"] == {"Name": name, "Attributes": {"DisplayName": "d"}, "Tags": [{"Key": "team", "Value": "platform"}]}
    assert ec2["protocol"] == "ec2"
    assert ec2["params"] == {"Filters": [{"Name": "tag:forgectl:env", "Values": ["a", "b"]}]}
    assert check_entries([sns, ec2]).ok()


def test_rest_json_members_come_from_body_uri_and_query(plugin: Any, endpoint: str, own_key: str) -> None:
    kafka = client("kafka", endpoint, own_key)
    arn = kafka.create_configuration(Name=f"shape-{uuid.uuid4().hex[:8]}", ServerProperties=b"num.partitions=1\n")["Arn"]
    kafka.describe_configuration_revision(Arn=arn, Revision=1)
    kafka.list_clusters_v2(MaxResults=5)
    kafka.delete_configuration(Arn=arn)
    create, revision, listing, _ = plugin.requests(access_key=own_key)
    assert set(create["params"]) == {"Name", "ServerProperties"}
    assert revision["params"] == {"Arn": arn, "Revision": 1}
    assert listing["params"] == {"MaxResults": 5}
    assert check_entries([create, revision, listing]).ok()


def test_sensitive_members_are_masked_to_their_length(plugin: Any, endpoint: str, own_key: str) -> None:
    name = f"/shape/{uuid.uuid4().hex[:8]}"
    ssm = client("ssm", endpoint, own_key)
    ssm.put_parameter(Name=name, Value="s3cret-value", Type="SecureString")
    ssm.delete_parameter(Name=name)
    put = plugin.requests(access_key=own_key)[0]
    assert put["params"]["Value"] == "*" * len("s3cret-value")
    assert "s3cret" not in str(plugin.requests(access_key=own_key))


def test_malformed_requests_are_reported(plugin: Any, endpoint: str, own_key: str) -> None:
    # No MinSize/MaxSize, a HealthCheckType over 32 characters, and a tag list
    # in the Query form (`Tags.member.N.*`) whose key breaks the pattern's length.
    raw_query(
        endpoint, own_key, "autoscaling",
        "Action=CreateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=shape"
        f"&HealthCheckType={'X' * 40}&Tags.member.1.Key={'k' * 200}&Tags.member.1.Value=v",
    )
    # An EC2 enum out of its list, nested in a flattened list of structures.
    raw_query(
        endpoint, own_key, "ec2",
        "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=g&GroupDescription=d"
        "&TagSpecification.1.ResourceType=not-a-type&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v",
    )
    report = check_entries(plugin.requests(access_key=own_key))
    text = "\n".join(report.violations)
    assert "required member MinSize is missing" in text
    assert "required member MaxSize is missing" in text
    assert "HealthCheckType: 40 characters, more than the maximum 32" in text
    assert "Tags[0].Key: 200 characters, more than the maximum 128" in text
    assert "TagSpecifications[0].ResourceType: 'not-a-type' is not one of" in text
    assert not report.ok()


def test_numbers_and_patterns_are_checked() -> None:
    entries = [
        {"seq": 1, "service": "iam", "operation": "CreateRole", "api_version": "2010-05-08",
         "params": {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "MaxSessionDuration": 60}, "unmapped": []},
        {"seq": 2, "service": "iam", "operation": "CreateRole", "params": {
            "RoleName": "has space", "AssumeRolePolicyDocument": "{}"}, "unmapped": []},
        {"seq": 3, "service": "monitoring", "operation": "PutMetricAlarm", "protocol": "cbor", "params": None},
        {"seq": 4, "service": "sns", "operation": "NoSuchOperation", "params": {}},
        {"seq": 5, "service": "sns", "operation": "ListTopics", "params": {}, "unmapped": ["Odd.Key"]},
    ]
    report = check_entries(entries)
    text = "\n".join(report.violations)
    assert "#1 iam:CreateRole: MaxSessionDuration: 60, less than the minimum 3600" in text
    assert "#2 iam:CreateRole: RoleName: 'has space' does not match the pattern" in text
    assert len(report.violations) == 2
    assert report.checked == 3
    assert report.skipped == {"unreadable body (cbor)": 1, "operation not in botocore": 1, "unmapped form keys": 1}
