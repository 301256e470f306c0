"""UpdateBrokerCount/Storage/Type, UpdateClusterConfiguration and cluster operations."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Clusters, error_of, unique, wait_for

OP_ARN_RE = re.compile(r"^arn:aws:kafka:us-east-1:\d{12}:cluster-operation/[^/]+/[0-9a-f-]{36}-\d+/[0-9a-f-]{36}$")


def op_info(kafka: Any, arn: str) -> dict[str, Any]:
    return kafka.describe_cluster_operation(ClusterOperationArn=arn)["ClusterOperationInfo"]


def wait_op_complete(kafka: Any, arn: str) -> dict[str, Any]:
    return wait_for(
        lambda: (i := op_info(kafka, arn))["OperationState"] == "UPDATE_COMPLETE" and i, 15, what="operation complete"
    )


def test_update_broker_count(kafka: Any, clusters: Clusters) -> None:
    arn, info = clusters.create_active(subnets=3, brokers=3)
    v0 = info["CurrentVersion"]
    resp = kafka.update_broker_count(ClusterArn=arn, CurrentVersion=v0, TargetNumberOfBrokerNodes=6)
    assert resp["ClusterArn"] == arn and OP_ARN_RE.match(resp["ClusterOperationArn"])
    during = kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]
    assert during["State"] == "UPDATING"
    assert during["ActiveOperationArn"] == resp["ClusterOperationArn"]
    assert during["NumberOfBrokerNodes"] == 3  # applied when the operation completes
    assert during["CurrentVersion"] != v0

    # Another update while UPDATING is refused.
    with pytest.raises(ClientError) as e:
        kafka.update_broker_count(ClusterArn=arn, CurrentVersion=during["CurrentVersion"], TargetNumberOfBrokerNodes=9)
    assert error_of(e) == ("BadRequestException", 400)

    op = wait_op_complete(kafka, resp["ClusterOperationArn"])
    assert op["OperationType"] == "INCREASE_BROKER_COUNT"
    assert op["SourceClusterInfo"] == {"NumberOfBrokerNodes": 3}
    assert op["TargetClusterInfo"] == {"NumberOfBrokerNodes": 6}
    after = clusters.wait_active(arn)
    assert after["NumberOfBrokerNodes"] == 6
    assert "ActiveOperationArn" not in after
    assert kafka.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]["Provisioned"]["NumberOfBrokerNodes"] == 6


def test_broker_count_rules(kafka: Any, clusters: Clusters) -> None:
    arn, info = clusters.create_active(subnets=3, brokers=6)
    v = info["CurrentVersion"]
    cases = [
        (3, "can only be increased"),       # decrease refused
        (6, "already has"),                 # no-op refused
        (7, "multiple of the number of client subnets"),
    ]
    for target, message in cases:
        with pytest.raises(ClientError) as e:
            kafka.update_broker_count(ClusterArn=arn, CurrentVersion=v, TargetNumberOfBrokerNodes=target)
        assert error_of(e) == ("BadRequestException", 400)
        assert message in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        kafka.update_broker_count(ClusterArn=arn, CurrentVersion="KWRONGVERSION1", TargetNumberOfBrokerNodes=9)
    assert error_of(e) == ("BadRequestException", 400)
    assert "currentVersion" in e.value.response["Error"]["Message"]
    # Nothing changed.
    again = kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]
    assert again["State"] == "ACTIVE" and again["CurrentVersion"] == v and again["NumberOfBrokerNodes"] == 6


def test_update_broker_storage(kafka: Any, clusters: Clusters) -> None:
    arn, info = clusters.create_active(volume=100)
    v = info["CurrentVersion"]
    for size in (100, 50):
        with pytest.raises(ClientError) as e:
            kafka.update_broker_storage(
                ClusterArn=arn, CurrentVersion=v,
                TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "All", "VolumeSizeGB": size}],
            )
        assert error_of(e) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        kafka.update_broker_storage(
            ClusterArn=arn, CurrentVersion="Kmismatch",
            TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 200}],
        )
    assert error_of(e) == ("BadRequestException", 400)

    resp = kafka.update_broker_storage(
        ClusterArn=arn, CurrentVersion=v, TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 250}]
    )
    assert clusters.state(arn) == "UPDATING"
    op = wait_op_complete(kafka, resp["ClusterOperationArn"])
    assert op["OperationType"] == "UPDATE_BROKER_STORAGE"
    assert op["SourceClusterInfo"]["BrokerEBSVolumeInfo"] == [{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 100}]
    assert op["TargetClusterInfo"]["BrokerEBSVolumeInfo"] == [{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 250}]
    after = clusters.wait_active(arn)
    assert after["BrokerNodeGroupInfo"]["StorageInfo"]["EbsStorageInfo"]["VolumeSize"] == 250
    assert after["CurrentVersion"] != v


def test_update_broker_type(kafka: Any, clusters: Clusters) -> None:
    arn, info = clusters.create_active(instance_type="kafka.m5.large")
    with pytest.raises(ClientError) as e:
        kafka.update_broker_type(ClusterArn=arn, CurrentVersion=info["CurrentVersion"], TargetInstanceType="kafka.m5.large")
    assert error_of(e) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        kafka.update_broker_type(ClusterArn=arn, CurrentVersion="Kold", TargetInstanceType="kafka.m5.xlarge")
    assert error_of(e) == ("BadRequestException", 400)
    resp = kafka.update_broker_type(ClusterArn=arn, CurrentVersion=info["CurrentVersion"], TargetInstanceType="kafka.m7g.xlarge")
    op = wait_op_complete(kafka, resp["ClusterOperationArn"])
    assert op["OperationType"] == "UPDATE_BROKER_TYPE"
    assert op["SourceClusterInfo"] == {"InstanceType": "kafka.m5.large"}
    assert op["TargetClusterInfo"] == {"InstanceType": "kafka.m7g.xlarge"}
    assert clusters.wait_active(arn)["BrokerNodeGroupInfo"]["InstanceType"] == "kafka.m7g.xlarge"


def test_updates_refused_while_creating(kafka: Any, clusters: Clusters, delays: Any) -> None:
    delays(create_delay_seconds=30)
    arn = clusters.create()
    v = kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["CurrentVersion"]
    with pytest.raises(ClientError) as e:
        kafka.update_broker_count(ClusterArn=arn, CurrentVersion=v, TargetNumberOfBrokerNodes=6)
    assert error_of(e) == ("BadRequestException", 400)
    assert "ACTIVE" in e.value.response["Error"]["Message"]


def test_cluster_operation_lifecycle(kafka: Any, clusters: Clusters, delays: Any) -> None:
    delays(update_delay_seconds=4.0)
    arn, info = clusters.create_active()
    started = time.monotonic()
    resp = kafka.update_broker_count(ClusterArn=arn, CurrentVersion=info["CurrentVersion"], TargetNumberOfBrokerNodes=6)
    op_arn = resp["ClusterOperationArn"]
    first = op_info(kafka, op_arn)
    if time.monotonic() - started < 0.9:  # PENDING lasts the first quarter of the delay
        assert first["OperationState"] == "PENDING"
    assert first["ClusterArn"] == arn and first["OperationArn"] == op_arn
    assert "EndTime" not in first
    assert [s["StepName"] for s in first["OperationSteps"]] == ["INITIALIZE_UPDATE", "UPDATE_APPLY", "FINALIZE_UPDATE"]
    wait_for(lambda: op_info(kafka, op_arn)["OperationState"] == "UPDATE_IN_PROGRESS", 5, 0.1, "UPDATE_IN_PROGRESS")
    assert clusters.state(arn) == "UPDATING"
    done = wait_op_complete(kafka, op_arn)
    assert done["EndTime"] > done["CreationTime"]
    assert all(s["StepInfo"]["StepStatus"] == "SUCCESS" for s in done["OperationSteps"])
    assert clusters.state(arn) == "ACTIVE"

    v2 = kafka.describe_cluster_operation_v2(ClusterOperationArn=op_arn)["ClusterOperationInfo"]
    assert v2["OperationState"] == "UPDATE_COMPLETE" and v2["ClusterType"] == "PROVISIONED"
    assert v2["Provisioned"]["TargetClusterInfo"] == {"NumberOfBrokerNodes": 6}
    listed = kafka.list_cluster_operations(ClusterArn=arn)["ClusterOperationInfoList"]
    assert [o["OperationArn"] for o in listed] == [op_arn]
    listed2 = kafka.list_cluster_operations_v2(ClusterArn=arn)["ClusterOperationInfoList"]
    assert listed2[0]["OperationType"] == "INCREASE_BROKER_COUNT"


def test_unknown_operation_is_404(kafka: Any) -> None:
    with pytest.raises(ClientError) as e:
        kafka.describe_cluster_operation(
            ClusterOperationArn="arn:aws:kafka:us-east-1:123456789012:cluster-operation/x/y/z"
        )
    assert error_of(e) == ("NotFoundException", 404)


def test_update_cluster_configuration(kafka: Any, clusters: Clusters) -> None:
    conf = kafka.create_configuration(Name=unique("cfg"), ServerProperties=b"auto.create.topics.enable=false\n")
    arn = None
    try:
        arn, info = clusters.create_active()
        resp = kafka.update_cluster_configuration(
            ClusterArn=arn, CurrentVersion=info["CurrentVersion"],
            ConfigurationInfo={"Arn": conf["Arn"], "Revision": 1},
        )
        op = wait_op_complete(kafka, resp["ClusterOperationArn"])
        assert op["OperationType"] == "UPDATE_CLUSTER_CONFIGURATION"
        sw = clusters.wait_active(arn)["CurrentBrokerSoftwareInfo"]
        assert sw["ConfigurationArn"] == conf["Arn"] and sw["ConfigurationRevision"] == 1
        after = kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]
        with pytest.raises(ClientError) as e:
            kafka.update_cluster_configuration(
                ClusterArn=arn, CurrentVersion=after["CurrentVersion"],
                ConfigurationInfo={"Arn": conf["Arn"], "Revision": 7},
            )
        assert error_of(e) == ("BadRequestException", 400)
        # In use -> cannot be deleted.
        with pytest.raises(ClientError) as e:
            kafka.delete_configuration(Arn=conf["Arn"])
        assert error_of(e) == ("BadRequestException", 400)
    finally:
        clusters.cleanup()
        if arn:
            wait_for(lambda: all(c["ClusterArn"] != arn for c in kafka.list_clusters_v2()["ClusterInfoList"]), 15)
        kafka.delete_configuration(Arn=conf["Arn"])
