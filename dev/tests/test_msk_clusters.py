"""MSK cluster lifecycle, shapes, bootstrap brokers, tags."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Clusters, error_of, provisioned, unique, wait_for

ARN_RE = re.compile(r"^arn:aws:kafka:us-east-1:\d{12}:cluster/(?P<name>[^/]+)/[0-9a-f-]{36}-\d+$")
PLAINTEXT = "127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094"
TLS = "127.0.0.1:29192,127.0.0.1:29193,127.0.0.1:29194"


def test_create_goes_creating_then_active(kafka: Any, clusters: Clusters, delays: Any) -> None:
    delays(create_delay_seconds=2.0)
    name = unique("lifecycle")
    resp = kafka.create_cluster_v2(ClusterName=name, Provisioned=provisioned())
    clusters.arns.append(resp["ClusterArn"])
    assert resp["State"] == "CREATING" and resp["ClusterType"] == "PROVISIONED" and resp["ClusterName"] == name
    assert ARN_RE.match(resp["ClusterArn"]).group("name") == name
    assert clusters.state(resp["ClusterArn"]) == "CREATING"
    started = time.monotonic()
    clusters.wait_active(resp["ClusterArn"])
    assert 1.0 < time.monotonic() - started < 10


def test_create_cluster_v1_and_describe_shapes(kafka: Any, clusters: Clusters) -> None:
    name = unique("v1")
    p = provisioned(client_broker="TLS_PLAINTEXT")
    resp = kafka.create_cluster(
        ClusterName=name,
        BrokerNodeGroupInfo=p["BrokerNodeGroupInfo"],
        KafkaVersion="3.9.x",
        NumberOfBrokerNodes=3,
        EncryptionInfo=p["EncryptionInfo"],
        EnhancedMonitoring="PER_BROKER",
        Tags={"team": "forgectl"},
    )
    clusters.arns.append(resp["ClusterArn"])
    assert resp["State"] == "CREATING"
    info = clusters.wait_active(resp["ClusterArn"])
    assert info["ClusterName"] == name
    assert info["NumberOfBrokerNodes"] == 3
    assert info["BrokerNodeGroupInfo"]["InstanceType"] == "kafka.m5.large"
    assert info["BrokerNodeGroupInfo"]["StorageInfo"]["EbsStorageInfo"]["VolumeSize"] == 100
    assert info["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"] == "TLS_PLAINTEXT"
    assert info["EnhancedMonitoring"] == "PER_BROKER"
    assert info["CurrentBrokerSoftwareInfo"]["KafkaVersion"] == "3.9.x"
    assert info["Tags"] == {"team": "forgectl"}
    assert re.match(r"^K[A-Z0-9]{13}$", info["CurrentVersion"])
    assert info["CreationTime"].tzinfo is not None
    assert "ActiveOperationArn" not in info

    v2 = kafka.describe_cluster_v2(ClusterArn=resp["ClusterArn"])["ClusterInfo"]
    assert v2["ClusterType"] == "PROVISIONED" and v2["State"] == "ACTIVE"
    assert v2["Provisioned"]["NumberOfBrokerNodes"] == 3
    assert v2["Provisioned"]["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"] == "TLS_PLAINTEXT"
    assert v2["CurrentVersion"] == info["CurrentVersion"]


def test_defaults_to_tls_encryption(kafka: Any, clusters: Clusters) -> None:
    arn, info = clusters.create_active(client_broker=None)
    eit = info["EncryptionInfo"]["EncryptionInTransit"]
    assert eit == {"ClientBroker": "TLS", "InCluster": True}
    assert info["EncryptionInfo"]["EncryptionAtRest"]["DataVolumeKMSKeyId"].startswith("arn:aws:kms:")


def test_list_clusters_filters_by_name_prefix(kafka: Any, clusters: Clusters) -> None:
    prefix = unique("listing")
    a = clusters.create(name=f"{prefix}-a")
    b = clusters.create(name=f"{prefix}-b")
    clusters.create(name=unique("other"))
    v2 = kafka.list_clusters_v2(ClusterNameFilter=prefix)["ClusterInfoList"]
    assert sorted(c["ClusterArn"] for c in v2) == sorted([a, b])
    v1 = kafka.list_clusters(ClusterNameFilter=prefix)["ClusterInfoList"]
    assert sorted(c["ClusterName"] for c in v1) == [f"{prefix}-a", f"{prefix}-b"]
    page = kafka.list_clusters_v2(ClusterNameFilter=prefix, MaxResults=1)
    assert len(page["ClusterInfoList"]) == 1 and page["NextToken"]
    rest = kafka.list_clusters_v2(ClusterNameFilter=prefix, MaxResults=1, NextToken=page["NextToken"])
    assert len(rest["ClusterInfoList"]) == 1 and "NextToken" not in rest


def test_create_validation(kafka: Any, clusters: Clusters) -> None:
    with pytest.raises(ClientError) as e:
        kafka.create_cluster_v2(ClusterName=unique("bad"), Provisioned=provisioned(subnets=3, brokers=4))
    assert error_of(e) == ("BadRequestException", 400)
    assert "multiple of the number of client subnets" in str(e.value)

    name = unique("dup")
    clusters.create(name=name)
    with pytest.raises(ClientError) as e:
        kafka.create_cluster_v2(ClusterName=name, Provisioned=provisioned())
    assert error_of(e) == ("ConflictException", 409)


def test_unknown_cluster_is_404(kafka: Any) -> None:
    missing = "arn:aws:kafka:us-east-1:123456789012:cluster/nope/00000000-0000-0000-0000-000000000000-1"
    for call in (kafka.describe_cluster, kafka.describe_cluster_v2, kafka.get_bootstrap_brokers, kafka.delete_cluster):
        with pytest.raises(ClientError) as e:
            call(ClusterArn=missing)
        assert error_of(e) == ("NotFoundException", 404), call


def test_delete_goes_deleting_then_not_found(kafka: Any, clusters: Clusters, delays: Any) -> None:
    delays(delete_delay_seconds=1.5)
    arn, info = clusters.create_active()
    with pytest.raises(ClientError) as e:
        kafka.delete_cluster(ClusterArn=arn, CurrentVersion="Kstale")
    assert error_of(e) == ("BadRequestException", 400)
    resp = kafka.delete_cluster(ClusterArn=arn, CurrentVersion=info["CurrentVersion"])
    assert resp == {**resp, "ClusterArn": arn, "State": "DELETING"}
    assert clusters.state(arn) == "DELETING"
    with pytest.raises(ClientError) as e:
        kafka.get_bootstrap_brokers(ClusterArn=arn)
    assert error_of(e) == ("BadRequestException", 400)

    def gone() -> bool:
        try:
            kafka.describe_cluster_v2(ClusterArn=arn)
            return False
        except kafka.exceptions.NotFoundException:
            return True

    wait_for(gone, 10, what="cluster gone")
    assert arn not in [c["ClusterArn"] for c in kafka.list_clusters_v2()["ClusterInfoList"]]


def test_bootstrap_brokers_unavailable_while_creating(kafka: Any, clusters: Clusters, delays: Any) -> None:
    delays(create_delay_seconds=30)
    arn = clusters.create()
    with pytest.raises(ClientError) as e:
        kafka.get_bootstrap_brokers(ClusterArn=arn)
    assert error_of(e) == ("BadRequestException", 400)
    assert "CREATING" in e.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "client_broker, expected",
    [
        ("TLS", {"BootstrapBrokerStringTls": TLS}),
        ("PLAINTEXT", {"BootstrapBrokerString": PLAINTEXT}),
        ("TLS_PLAINTEXT", {"BootstrapBrokerString": PLAINTEXT, "BootstrapBrokerStringTls": TLS}),
        (None, {"BootstrapBrokerStringTls": TLS}),
    ],
)
def test_bootstrap_brokers_follow_client_broker_encryption(
    kafka: Any, clusters: Clusters, client_broker: str | None, expected: dict[str, str]
) -> None:
    arn, _ = clusters.create_active(client_broker=client_broker)
    resp = kafka.get_bootstrap_brokers(ClusterArn=arn)
    resp.pop("ResponseMetadata")
    assert resp == expected
    assert os.environ["KAFKA_BOOTSTRAP_SERVERS"] == PLAINTEXT
    assert os.environ["KAFKA_TLS_BOOTSTRAP_SERVERS"] == TLS


def test_bootstrap_brokers_offer_scram_but_never_iam(kafka: Any, clusters: Clusters) -> None:
    """A SCRAM cluster gets the local SASL_SSL listener's string, as AWS gives
    one per enabled mechanism; IAM has no local listener, so no string."""
    arn, _ = clusters.create_active(
        client_broker="TLS",
        client_authentication={"Sasl": {"Iam": {"Enabled": True}, "Scram": {"Enabled": True}},
                               "Unauthenticated": {"Enabled": False}},
    )
    resp = kafka.get_bootstrap_brokers(ClusterArn=arn)
    assert resp["BootstrapBrokerStringTls"] == TLS
    assert resp["BootstrapBrokerStringSaslScram"] == os.environ.get(
        "KAFKA_SASL_BOOTSTRAP_SERVERS", "127.0.0.1:29296,127.0.0.1:29297,127.0.0.1:29298"
    )
    assert not any("SaslIam" in k for k in resp)
    tls_only, _ = clusters.create_active(client_broker="TLS")
    assert not any("Sasl" in k for k in kafka.get_bootstrap_brokers(ClusterArn=tls_only))


def test_tags_on_clusters(kafka: Any, clusters: Clusters) -> None:
    arn = clusters.create(tags={"a": "1"})
    kafka.tag_resource(ResourceArn=arn, Tags={"b": "2", "a": "3"})
    assert kafka.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"a": "3", "b": "2"}
    kafka.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert kafka.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"b": "2"}
    assert kafka.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]["Tags"] == {"b": "2"}
