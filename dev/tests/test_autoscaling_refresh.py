"""EC2 Auto Scaling instance refresh (the plug-in's autoscaling/ package).

Every test builds its own launch template (version 1 and 2 differ in UserData)
and group in the default VPC, with unique names: the stack is shared.  The
batch time is set low through /forgectl-plugin/config and the previous values
of the keys touched here are put back afterwards (not a global reset, which
would also reset the MSK delays another suite may be relying on).  A refresh
captures the timing settings when it starts, and health is decided when an
instance launches, so a concurrent change by another suite cannot reshape a
refresh that is already running; unhealthy markers are added and removed one
by one (unique per test) instead of replacing the whole list.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import Plugin, error_of, unique, wait_for

TIMING_KEYS = ("refresh_batch_seconds", "refresh_unhealthy_timeout_seconds")
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
FINISHED = ("Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed")


@pytest.fixture(scope="module")
def clients(endpoint: str, aws_config: Any) -> dict[str, Any]:
    return {
        name: boto3.client(name, endpoint_url=endpoint, config=aws_config)
        for name in ("autoscaling", "ec2", "elbv2", "ssm")
    }


@pytest.fixture
def refresh_config(plugin: Plugin) -> Iterator[Callable[..., dict[str, Any]]]:
    """set_config for the timing keys; ``unhealthy_marker=...`` adds a marker."""
    before = plugin.config()
    if not all(k in before for k in TIMING_KEYS):
        pytest.fail(
            "the running moto predates the instance refresh plug-in: restart it "
            "(kill \"$(cat dev/.run/pids/moto.pid)\" && dev/stack up)",
            pytrace=False,
        )
    mine: list[str] = []

    def configure(unhealthy_marker: str | None = None, **changes: Any) -> dict[str, Any]:
        if unhealthy_marker is not None:
            mine.append(unhealthy_marker)
            changes["unhealthy_user_data_markers"] = [
                *plugin.config()["unhealthy_user_data_markers"], unhealthy_marker
            ]
        return plugin.set_config(**changes)

    try:
        yield configure
    finally:
        markers = [m for m in plugin.config()["unhealthy_user_data_markers"] if m not in mine]
        plugin.set_config(unhealthy_user_data_markers=markers, **{k: before[k] for k in TIMING_KEYS})


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Fleet:
    """Launch templates + groups for one test; deleted at teardown."""

    def __init__(self, clients: dict[str, Any]):
        self.asg = clients["autoscaling"]
        self.ec2 = clients["ec2"]
        self.elbv2 = clients["elbv2"]
        self.ami = clients["ssm"].get_parameter(Name=AMI_PARAMETER)["Parameter"]["Value"]
        vpc = self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        self.vpc = vpc
        subnets = self.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        self.subnets = [s["SubnetId"] for s in sorted(subnets, key=lambda s: s["AvailabilityZone"])][:3]
        self.groups: list[str] = []
        self.templates: list[str] = []
        self.target_groups: list[str] = []

    def template(self, v2_user_data: str = "#!/bin/sh\necho version 2\n") -> str:
        data = {"ImageId": self.ami, "InstanceType": "t3.micro"}
        lt = self.ec2.create_launch_template(
            LaunchTemplateName=unique("fgtest-lt"),
            LaunchTemplateData={**data, "UserData": b64("#!/bin/sh\necho version 1\n")},
        )["LaunchTemplate"]
        self.ec2.create_launch_template_version(
            LaunchTemplateId=lt["LaunchTemplateId"], LaunchTemplateData={**data, "UserData": b64(v2_user_data)}
        )
        self.templates.append(lt["LaunchTemplateId"])
        return lt["LaunchTemplateId"]

    def target_group(self) -> str:
        arn = self.elbv2.create_target_group(
            Name=unique("fgtest-tg")[:32], Protocol="HTTP", Port=80, VpcId=self.vpc, TargetType="instance"
        )["TargetGroups"][0]["TargetGroupArn"]
        self.target_groups.append(arn)
        return arn

    def group(self, template_id: str, version: str = "1", desired: int = 4, **kw: Any) -> str:
        name = unique("fgtest-asg")
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            MinSize=0,
            MaxSize=10,
            DesiredCapacity=desired,
            VPCZoneIdentifier=",".join(self.subnets),
            LaunchTemplate={"LaunchTemplateId": template_id, "Version": version},
            **kw,
        )
        self.groups.append(name)
        return name

    def describe_group(self, name: str) -> dict[str, Any]:
        return self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]

    def versions(self, name: str) -> list[str]:
        return sorted(i["LaunchTemplate"]["Version"] for i in self.describe_group(name)["Instances"])

    def start(self, name: str, template_id: str, version: str = "2", **prefs: Any) -> str:
        return self.asg.start_instance_refresh(
            AutoScalingGroupName=name,
            DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": template_id, "Version": version}},
            Preferences=prefs,
        )["InstanceRefreshId"]

    def refresh(self, name: str) -> dict[str, Any]:
        return self.asg.describe_instance_refreshes(AutoScalingGroupName=name)["InstanceRefreshes"][0]

    def wait_status(self, name: str, *statuses: str, timeout: float = 20.0) -> dict[str, Any]:
        return wait_for(
            lambda: (r := self.refresh(name))["Status"] in statuses and r, timeout, 0.1, what=f"{name} {statuses}"
        )

    def watch(self, name: str, timeout: float = 20.0) -> tuple[dict[str, Any], list[tuple[int, list[str]]]]:
        """Poll until the refresh finishes; (last description, [(percentage, versions)...])."""
        seen: list[tuple[int, list[str]]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.refresh(name)
            seen.append((r["PercentageComplete"], self.versions(name)))
            if r["Status"] in FINISHED:
                return r, seen
            time.sleep(0.1)
        raise AssertionError(f"refresh of {name} did not finish in {timeout}s: {seen[-3:]}")

    def cleanup(self) -> None:
        for name in self.groups:
            try:
                self.asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
            except ClientError:
                pass
        for arn in self.target_groups:
            try:
                self.elbv2.delete_target_group(TargetGroupArn=arn)
            except ClientError:
                pass
        for template_id in self.templates:
            try:
                self.ec2.delete_launch_template(LaunchTemplateId=template_id)
            except ClientError:
                pass


@pytest.fixture
def fleet(clients: dict[str, Any], refresh_config: Callable[..., Any]) -> Iterator[Fleet]:
    f = Fleet(clients)
    try:
        yield f
    finally:
        f.cleanup()


def test_refresh_replaces_every_instance_and_updates_the_group(
    fleet: Fleet, refresh_config: Callable[..., Any]
) -> None:
    refresh_config(refresh_batch_seconds=0.4)
    lt = fleet.template()
    tg = fleet.target_group()
    name = fleet.group(lt, TargetGroupARNs=[tg])
    old_ids = {i["InstanceId"] for i in fleet.describe_group(name)["Instances"]}
    assert fleet.versions(name) == ["1"] * 4

    refresh_id = fleet.start(name, lt)
    first = fleet.refresh(name)
    assert first["InstanceRefreshId"] == refresh_id and first["AutoScalingGroupName"] == name
    assert first["Status"] in ("Pending", "InProgress") and first["Strategy"] == "Rolling"
    assert first["InstancesToUpdate"] == 4 and first["PercentageComplete"] == 0
    assert first["ProgressDetails"]["LivePoolProgress"] == {"PercentageComplete": 0, "InstancesToUpdate": 4}
    assert first["DesiredConfiguration"] == {"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "2"}}
    # Defaults of understand-instance-refresh-default-values (CLI/SDK column).
    assert first["Preferences"] == {
        "MinHealthyPercentage": 90,
        "InstanceWarmup": 300,  # the group's health check grace period
        "SkipMatching": False,
        "AutoRollback": False,
        "ScaleInProtectedInstances": "Wait",
        "StandbyInstances": "Wait",
    }
    assert "EndTime" not in first

    done, seen = fleet.watch(name)
    assert done["Status"] == "Successful" and done["PercentageComplete"] == 100 and done["InstancesToUpdate"] == 0
    assert done["EndTime"] > done["StartTime"]
    # MinHealthyPercentage 90 of 4 keeps all 4 in service: one instance at a
    # time, terminated and launched together (MaxHealthyPercentage omitted).
    assert all(len(v) == 4 for _, v in seen), seen
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)
    assert any(0 < p < 100 for p, _ in seen), seen
    assert {p for p, _ in seen} <= {0, 25, 50, 75, 100}

    group = fleet.describe_group(name)
    assert group["LaunchTemplate"]["Version"] == "2"
    assert fleet.versions(name) == ["2"] * 4
    new_ids = {i["InstanceId"] for i in group["Instances"]}
    assert not new_ids & old_ids
    details = fleet.asg.describe_auto_scaling_instances(InstanceIds=sorted(new_ids))["AutoScalingInstances"]
    assert {d["LaunchTemplate"]["Version"] for d in details} == {"2"}
    assert {d["HealthStatus"] for d in details} == {"Healthy"}
    # EC2 sees the new instances (from version 2) and the old ones terminated.
    reservations = fleet.ec2.describe_instances(InstanceIds=sorted(new_ids | old_ids))["Reservations"]
    instances = {i["InstanceId"]: i for r in reservations for i in r["Instances"]}
    assert {instances[i]["State"]["Name"] for i in old_ids} <= {"shutting-down", "terminated"}
    for i in new_ids:
        assert instances[i]["State"]["Name"] == "running"
        tags = {t["Key"]: t["Value"] for t in instances[i]["Tags"]}
        assert tags["aws:ec2launchtemplate:version"] == "2" and tags["aws:autoscaling:groupName"] == name
    # The new instances are the group's targets now.
    targets = fleet.elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    assert {t["Target"]["Id"] for t in targets} == new_ids


@pytest.mark.parametrize(
    "prefs, in_flight",
    [
        # 50 % of 4 must stay healthy: two at a time, terminated and launched together.
        ({"MinHealthyPercentage": 50}, {(2, 2)}),
        # 100..150 %: two replacements launch before two old instances go.
        ({"MinHealthyPercentage": 100, "MaxHealthyPercentage": 150}, {(4, 2), (2, 4)}),
    ],
)
def test_batch_size_follows_healthy_percentages(
    fleet: Fleet, refresh_config: Callable[..., Any], prefs: dict[str, int], in_flight: set[tuple[int, int]]
) -> None:
    refresh_config(refresh_batch_seconds=0.8)
    lt = fleet.template()
    name = fleet.group(lt)
    fleet.start(name, lt, **prefs)
    done, seen = fleet.watch(name)
    assert done["Status"] == "Successful"
    mixes = {(v.count("1"), v.count("2")) for _, v in seen}
    # Never a single-instance step, never below the minimum, never above the maximum.
    assert mixes - {(4, 0), (0, 4)} == in_flight, seen
    assert {p for p, _ in seen} >= {50, 100}
    assert fleet.versions(name) == ["2"] * 4


def test_second_start_is_refused_and_cancel_keeps_replaced_instances(
    fleet: Fleet, refresh_config: Callable[..., Any]
) -> None:
    refresh_config(refresh_batch_seconds=0.6)
    lt = fleet.template()
    name = fleet.group(lt)
    refresh_id = fleet.start(name, lt, MinHealthyPercentage=75)  # one instance per batch
    with pytest.raises(ClientError) as e:
        fleet.start(name, lt)
    assert error_of(e) == ("InstanceRefreshInProgress", 400)

    wait_for(lambda: fleet.refresh(name)["PercentageComplete"] >= 25, 10, 0.05, what="first batch done")
    assert fleet.asg.cancel_instance_refresh(AutoScalingGroupName=name)["InstanceRefreshId"] == refresh_id
    assert fleet.refresh(name)["Status"] == "Cancelling"  # the in-flight batch finishes first
    done = fleet.wait_status(name, "Cancelled")
    assert done["InstanceRefreshId"] == refresh_id and "EndTime" in done
    versions = fleet.versions(name)
    assert len(versions) == 4 and 1 <= versions.count("2") < 4, versions
    time.sleep(1.0)  # no further replacements after the cancel
    assert fleet.versions(name) == versions
    assert fleet.describe_group(name)["LaunchTemplate"]["Version"] == "1"  # not successful: group unchanged

    with pytest.raises(ClientError) as e:
        fleet.asg.cancel_instance_refresh(AutoScalingGroupName=name)
    assert error_of(e) == ("ActiveInstanceRefreshNotFound", 400)
    # A new refresh may start once the old one is over.
    fleet.start(name, lt)


def test_unhealthy_batch_stalls_and_rollback_restores_version_1(
    fleet: Fleet, refresh_config: Callable[..., Any]
) -> None:
    marker = f"FGTEST-UNHEALTHY-{uuid.uuid4().hex[:8]}"
    refresh_config(refresh_batch_seconds=0.3, unhealthy_marker=marker)
    lt = fleet.template(v2_user_data=f"#!/bin/sh\necho {marker}\n")
    name = fleet.group(lt)
    refresh_id = fleet.start(name, lt, MinHealthyPercentage=50)

    stalled = wait_for(
        lambda: "healthy" in ((r := fleet.refresh(name)).get("StatusReason") or "") and r, 10, 0.1, what="stall"
    )
    time.sleep(1.0)  # several batch times: still stuck
    stalled = fleet.refresh(name)
    assert stalled["Status"] == "InProgress" and stalled["PercentageComplete"] < 100
    assert stalled["PercentageComplete"] == 0 and stalled["InstancesToUpdate"] == 4
    assert "become healthy" in stalled["StatusReason"]
    health = {(i["LaunchTemplate"]["Version"], i["HealthStatus"]) for i in fleet.describe_group(name)["Instances"]}
    assert health == {("1", "Healthy"), ("2", "Unhealthy")}

    assert fleet.asg.rollback_instance_refresh(AutoScalingGroupName=name)["InstanceRefreshId"] == refresh_id
    assert fleet.refresh(name)["Status"] == "RollbackInProgress"
    done = fleet.wait_status(name, "RollbackSuccessful", "RollbackFailed")
    assert done["Status"] == "RollbackSuccessful" and done["PercentageComplete"] == 0
    rollback = done["RollbackDetails"]
    assert rollback["PercentageCompleteOnRollback"] == 0 and rollback["InstancesToUpdateOnRollback"] == 4
    assert rollback["RollbackReason"] and rollback["RollbackStartTime"] >= done["StartTime"]
    assert rollback["ProgressDetailsOnRollback"]["LivePoolProgress"]["InstancesToUpdate"] == 4
    group = fleet.describe_group(name)
    assert group["LaunchTemplate"]["Version"] == "1"
    assert {(i["LaunchTemplate"]["Version"], i["HealthStatus"]) for i in group["Instances"]} == {("1", "Healthy")}
    assert len(group["Instances"]) == 4

    with pytest.raises(ClientError) as e:
        fleet.asg.rollback_instance_refresh(AutoScalingGroupName=name)
    assert error_of(e) == ("ActiveInstanceRefreshNotFound", 400)


def test_auto_rollback_when_the_unhealthy_timeout_fails_the_refresh(
    fleet: Fleet, refresh_config: Callable[..., Any]
) -> None:
    marker = f"FGTEST-UNHEALTHY-{uuid.uuid4().hex[:8]}"
    refresh_config(refresh_batch_seconds=0.3, refresh_unhealthy_timeout_seconds=0.6, unhealthy_marker=marker)
    lt = fleet.template(v2_user_data=f"#!/bin/sh\necho {marker}\n")
    name = fleet.group(lt, desired=2)
    fleet.start(name, lt, MinHealthyPercentage=50, AutoRollback=True)
    done = fleet.wait_status(name, *FINISHED)
    assert done["Status"] == "RollbackSuccessful"
    assert done["RollbackDetails"]["RollbackReason"].startswith("Automatic rollback")
    assert fleet.versions(name) == ["1", "1"]


def test_skip_matching_leaves_matching_instances(fleet: Fleet, refresh_config: Callable[..., Any]) -> None:
    refresh_config(refresh_batch_seconds=0.3)
    lt = fleet.template()
    name = fleet.group(lt, desired=2)
    # Two more instances, launched by moto from version 2.
    fleet.asg.update_auto_scaling_group(
        AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateId": lt, "Version": "2"}, DesiredCapacity=4
    )
    assert fleet.versions(name) == ["1", "1", "2", "2"]
    keep = {i["InstanceId"] for i in fleet.describe_group(name)["Instances"] if i["LaunchTemplate"]["Version"] == "2"}
    fleet.start(name, lt, SkipMatching=True, MinHealthyPercentage=0)
    assert fleet.refresh(name)["InstancesToUpdate"] == 2
    done, _ = fleet.watch(name)
    assert done["Status"] == "Successful"
    assert keep <= {i["InstanceId"] for i in fleet.describe_group(name)["Instances"]}
    assert fleet.versions(name) == ["2"] * 4


def test_errors(fleet: Fleet, refresh_config: Callable[..., Any]) -> None:
    refresh_config(refresh_batch_seconds=0.3)
    lt = fleet.template()
    name = fleet.group(lt, desired=1)
    asg = fleet.asg

    def code(call: Callable[..., Any], **kw: Any) -> tuple[str, int]:
        with pytest.raises(ClientError) as e:
            call(**kw)
        return error_of(e)

    assert code(asg.rollback_instance_refresh, AutoScalingGroupName=name) == ("ActiveInstanceRefreshNotFound", 400)
    assert code(asg.cancel_instance_refresh, AutoScalingGroupName=name) == ("ActiveInstanceRefreshNotFound", 400)
    assert code(asg.start_instance_refresh, AutoScalingGroupName=unique("fgtest-none")) == ("ValidationError", 400)
    bad_prefs = [
        {"MaxHealthyPercentage": 150},  # needs MinHealthyPercentage
        {"MinHealthyPercentage": 20, "MaxHealthyPercentage": 150},  # range wider than 100
        {"MinHealthyPercentage": 101},
        {"CheckpointPercentages": [50, 20]},
        {"CheckpointDelay": 60},  # needs CheckpointPercentages
        {"AutoRollback": True},  # no desired configuration
    ]
    for prefs in bad_prefs:
        assert code(asg.start_instance_refresh, AutoScalingGroupName=name, Preferences=prefs) == ("ValidationError", 400)
    assert code(
        asg.start_instance_refresh,
        AutoScalingGroupName=name,
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "9"}},
    ) == ("ValidationError", 400)

    # Without a desired configuration a refresh cannot be rolled back.
    asg.start_instance_refresh(AutoScalingGroupName=name)
    assert code(asg.rollback_instance_refresh, AutoScalingGroupName=name) == ("IrreversibleInstanceRefresh", 400)
    fleet.wait_status(name, "Successful")
    # Nor when the group runs $Latest (no specific version to go back to):
    # AutoRollback is refused up front, a manual rollback later.
    latest = fleet.group(lt, version="$Latest", desired=1)
    assert code(
        asg.start_instance_refresh,
        AutoScalingGroupName=latest,
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "1"}},
        Preferences={"AutoRollback": True},
    ) == ("ValidationError", 400)
    fleet.start(latest, lt, version="1")
    assert code(asg.rollback_instance_refresh, AutoScalingGroupName=latest) == ("IrreversibleInstanceRefresh", 400)


def test_describe_is_newest_first_and_pages(fleet: Fleet, refresh_config: Callable[..., Any]) -> None:
    refresh_config(refresh_batch_seconds=0.3)
    lt = fleet.template()
    name = fleet.group(lt, desired=1)
    first = fleet.start(name, lt)
    fleet.asg.cancel_instance_refresh(AutoScalingGroupName=name, WaitForTransitioningInstances=False)
    fleet.wait_status(name, "Cancelled")
    second = fleet.start(name, lt)
    asg = fleet.asg
    assert [r["InstanceRefreshId"] for r in asg.describe_instance_refreshes(AutoScalingGroupName=name)[
        "InstanceRefreshes"]] == [second, first]
    page = asg.describe_instance_refreshes(AutoScalingGroupName=name, MaxRecords=1)
    assert [r["InstanceRefreshId"] for r in page["InstanceRefreshes"]] == [second]
    rest = asg.describe_instance_refreshes(AutoScalingGroupName=name, MaxRecords=1, NextToken=page["NextToken"])
    assert [r["InstanceRefreshId"] for r in rest["InstanceRefreshes"]] == [first] and "NextToken" not in rest
    only = asg.describe_instance_refreshes(AutoScalingGroupName=name, InstanceRefreshIds=[first])
    assert [r["InstanceRefreshId"] for r in only["InstanceRefreshes"]] == [first]
    with pytest.raises(ClientError) as e:
        asg.describe_instance_refreshes(AutoScalingGroupName=name, NextToken="bogus")
    assert error_of(e) == ("InvalidNextToken", 400)


def test_request_log_classifies_refresh_operations(
    fleet: Fleet, refresh_config: Callable[..., Any], plugin: Plugin, endpoint: str, aws_config: Any
) -> None:
    refresh_config(refresh_batch_seconds=0.3)
    lt = fleet.template()
    name = fleet.group(lt, desired=1)
    key = "AKIATEST" + uuid.uuid4().hex[:12].upper()
    asg = boto3.client(
        "autoscaling", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key="testing", config=aws_config
    )
    fleet.start(name, lt)  # signed with the shared key: not in this key's log
    asg.describe_instance_refreshes(AutoScalingGroupName=name)
    asg.cancel_instance_refresh(AutoScalingGroupName=name)
    with pytest.raises(ClientError):
        asg.rollback_instance_refresh(AutoScalingGroupName=name)
    fleet.wait_status(name, "Cancelled")
    asg.start_instance_refresh(AutoScalingGroupName=name)
    log = [(r["operation"], r["mutating"]) for r in plugin.requests(access_key=key)]
    assert log == [
        ("DescribeInstanceRefreshes", False),
        ("CancelInstanceRefresh", True),
        ("RollbackInstanceRefresh", True),
        ("StartInstanceRefresh", True),
    ]
