"""MSK's Kafka versions as AWS documents them: which CreateCluster accepts,
ListKafkaVersions, and ZooKeeper strings only on ZooKeeper-mode clusters."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import error_of


def test_list_kafka_versions_offers_kraft_4_1(kafka: Any) -> None:
    versions = {v["Version"]: v["Status"] for v in kafka.list_kafka_versions()["KafkaVersions"]}
    assert versions["4.1.x.kraft"] == "ACTIVE"
    assert "3.9.x" in versions and "3.9.x.kraft" in versions
    assert "4.1.x" not in versions  # Kafka 4 has no ZooKeeper mode


@pytest.mark.parametrize("version", ["4.1.x", "2.8.1", "9.9.x"])
def test_create_cluster_refuses_versions_msk_does_not_offer(clusters: Any, version: str) -> None:
    with pytest.raises(clusters.kafka.exceptions.BadRequestException) as caught:
        clusters.create(kafka_version=version)
    assert error_of(caught) == ("BadRequestException", 400)
    if version == "4.1.x":
        assert "4.1.x.kraft" in str(caught.value)


def test_zookeeper_strings_only_on_zookeeper_clusters(clusters: Any) -> None:
    zk_arn = clusters.create(kafka_version="3.9.x")
    kraft_arn = clusters.create(kafka_version="4.1.x.kraft")
    zk = clusters.kafka.describe_cluster(ClusterArn=zk_arn)["ClusterInfo"]
    assert zk["ZookeeperConnectString"].count(":2181") == 3
    assert zk["ZookeeperConnectStringTls"].count(":2182") == 3
    zk_v2 = clusters.kafka.describe_cluster_v2(ClusterArn=zk_arn)["ClusterInfo"]["Provisioned"]
    assert zk_v2["ZookeeperConnectString"] == zk["ZookeeperConnectString"]
    kraft = clusters.kafka.describe_cluster(ClusterArn=kraft_arn)["ClusterInfo"]
    assert "ZookeeperConnectString" not in kraft
    assert kraft["CurrentBrokerSoftwareInfo"]["KafkaVersion"] == "4.1.x.kraft"
