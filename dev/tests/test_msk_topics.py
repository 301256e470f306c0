"""The MSK topic API, end to end against the real local Kafka."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
from conftest import Clusters, error_of, unique, wait_for


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def props(encoded: str) -> dict[str, str]:
    text = base64.b64decode(encoded).decode()
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def drop_topics(kafka: Any, cluster_arn: str, names: list[str]) -> None:
    """Best-effort cleanup through the MSK API: ignore topics already gone."""
    for name in names:
        try:
            kafka.delete_topic(ClusterArn=cluster_arn, TopicName=name)
        except kafka.exceptions.NotFoundException:
            pass


@pytest.fixture(scope="module")
def admin() -> AdminClient:
    return AdminClient({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})


@pytest.fixture
def topic(kafka: Any, shared_cluster: str, admin: AdminClient) -> Iterator[str]:
    """A unique topic name; deleted at teardown if the test left it behind."""
    name = unique("fgtopic")
    yield name
    drop_topics(kafka, shared_cluster, [name])


def kafka_view(
    admin: AdminClient, name: str, until: Callable[[tuple[int, int, dict[str, str]]], bool]
) -> tuple[int, int, dict[str, str]]:
    """(partitions, replication factor, configs) as a plain Kafka client sees them.

    Another client may ask a broker that has not caught up yet, so wait
    (bounded) until `until` holds.
    """

    def look() -> tuple[int, int, dict[str, str]] | None:
        md = admin.list_topics(topic=name, timeout=10).topics[name]
        if md.error is not None or not md.partitions:
            return None
        rf = {len(p.replicas) for p in md.partitions.values()}
        try:
            cfg = next(iter(admin.describe_configs([ConfigResource(ResourceType.TOPIC, name)]).values())).result(10)
        except KafkaException as err:
            # The broker answering DescribeConfigs may not have replayed the
            # topic's creation yet, even though the one that answered
            # Metadata had.
            if err.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                return None
            raise
        view = (len(md.partitions), max(rf), {k: v.value for k, v in cfg.items()})
        return view if until(view) else None

    return wait_for(look, 15, what=f"kafka view of {name}")


def test_topic_lifecycle_end_to_end(kafka: Any, shared_cluster: str, topic: str, admin: AdminClient) -> None:
    arn = shared_cluster
    created = kafka.create_topic(
        ClusterArn=arn, TopicName=topic, PartitionCount=3, ReplicationFactor=3,
        Configs=b64("cleanup.policy=compact\nretention.ms=3600000\n"),
    )
    cluster_name, cluster_id = arn.split(":cluster/")[1].split("/")
    assert created["TopicArn"] == f"{arn.split(':cluster/')[0]}:topic/{cluster_name}/{cluster_id}/{topic}"
    assert created["TopicName"] == topic and created["Status"] == "CREATING"

    # Visible to a plain Kafka client with the right shape.
    parts, rf, cfg = kafka_view(admin, topic, lambda v: v[2].get("retention.ms") == "3600000")
    assert (parts, rf) == (3, 3)
    assert cfg["cleanup.policy"] == "compact" and cfg["retention.ms"] == "3600000"

    desc = kafka.describe_topic(ClusterArn=arn, TopicName=topic)
    assert desc["TopicArn"] == created["TopicArn"] and desc["Status"] == "ACTIVE"
    assert (desc["PartitionCount"], desc["ReplicationFactor"]) == (3, 3)
    assert props(desc["Configs"]) == {"cleanup.policy": "compact", "retention.ms": "3600000"}

    # Partitions only.
    upd = kafka.update_topic(ClusterArn=arn, TopicName=topic, PartitionCount=6)
    assert upd["Status"] == "UPDATING" and upd["TopicName"] == topic
    assert kafka_view(admin, topic, lambda v: v[0] == 6)[0] == 6
    assert kafka.describe_topic(ClusterArn=arn, TopicName=topic)["PartitionCount"] == 6

    # Configs only (incremental: untouched keys stay).
    kafka.update_topic(ClusterArn=arn, TopicName=topic, Configs=b64("retention.ms=7200000\nmax.message.bytes=2097152"))
    _, _, cfg = kafka_view(admin, topic, lambda v: v[2].get("retention.ms") == "7200000")
    assert cfg["retention.ms"] == "7200000" and cfg["max.message.bytes"] == "2097152"
    assert cfg["cleanup.policy"] == "compact"
    assert props(kafka.describe_topic(ClusterArn=arn, TopicName=topic)["Configs"]) == {
        "cleanup.policy": "compact", "retention.ms": "7200000", "max.message.bytes": "2097152",
    }

    parts_info = kafka.describe_topic_partitions(ClusterArn=arn, TopicName=topic)["Partitions"]
    assert [p["Partition"] for p in parts_info] == list(range(6))
    assert all(len(p["Replicas"]) == 3 and set(p["Isr"]) == set(p["Replicas"]) for p in parts_info)

    listed = kafka.list_topics(ClusterArn=arn, TopicNameFilter=topic)["Topics"]
    assert listed == [{
        "TopicArn": created["TopicArn"], "TopicName": topic, "ReplicationFactor": 3,
        "PartitionCount": 6, "OutOfSyncReplicaCount": 0,
    }]

    deleted = kafka.delete_topic(ClusterArn=arn, TopicName=topic)
    assert deleted["Status"] == "DELETING" and deleted["TopicName"] == topic
    wait_for(lambda: topic not in admin.list_topics(timeout=10).topics, 15, what="topic gone")
    with pytest.raises(ClientError) as e:
        kafka.describe_topic(ClusterArn=arn, TopicName=topic)
    assert error_of(e) == ("NotFoundException", 404)


def test_create_existing_topic_is_409(kafka: Any, shared_cluster: str, topic: str) -> None:
    kafka.create_topic(ClusterArn=shared_cluster, TopicName=topic, PartitionCount=1, ReplicationFactor=3)
    with pytest.raises(ClientError) as e:
        kafka.create_topic(ClusterArn=shared_cluster, TopicName=topic, PartitionCount=1, ReplicationFactor=3)
    code, status = error_of(e)
    assert status == 409 and code in ("TopicExistsException", "ConflictException")


def test_topic_errors(kafka: Any, shared_cluster: str, topic: str) -> None:
    arn = shared_cluster
    for call, kw in (
        (kafka.describe_topic, {}),
        (kafka.delete_topic, {}),
        (kafka.update_topic, {"PartitionCount": 4}),
        (kafka.describe_topic_partitions, {}),
    ):
        with pytest.raises(ClientError) as e:
            call(ClusterArn=arn, TopicName=topic, **kw)
        assert error_of(e) == ("NotFoundException", 404), call

    bad_create = [
        {"PartitionCount": 1, "ReplicationFactor": 4},                   # > 3 brokers
        {"PartitionCount": 1, "ReplicationFactor": 3, "Configs": "%%%"},  # not base64
        {"PartitionCount": 1, "ReplicationFactor": 3, "Configs": b64("no.such.config=1")},
    ]
    for kw in bad_create:
        with pytest.raises(ClientError) as e:
            kafka.create_topic(ClusterArn=arn, TopicName=topic, **kw)
        assert error_of(e) == ("BadRequestException", 400), kw

    kafka.create_topic(ClusterArn=arn, TopicName=topic, PartitionCount=3, ReplicationFactor=3)
    for kw in (
        {"PartitionCount": 6, "Configs": b64("retention.ms=1000")},  # both in one call
        {},                                                           # neither
        {"PartitionCount": 2},                                        # decrease
        {"PartitionCount": 3},                                        # unchanged
    ):
        with pytest.raises(ClientError) as e:
            kafka.update_topic(ClusterArn=arn, TopicName=topic, **kw)
        assert error_of(e) == ("BadRequestException", 400), kw


def test_topics_need_a_known_active_cluster(kafka: Any, clusters: Clusters, delays: Any) -> None:
    missing = "arn:aws:kafka:us-east-1:123456789012:cluster/nope/00000000-0000-0000-0000-000000000000-1"
    with pytest.raises(ClientError) as e:
        kafka.list_topics(ClusterArn=missing)
    assert error_of(e) == ("NotFoundException", 404)
    delays(create_delay_seconds=30)
    creating = clusters.create()
    with pytest.raises(ClientError) as e:
        kafka.create_topic(ClusterArn=creating, TopicName=unique("t"), PartitionCount=1, ReplicationFactor=3)
    assert error_of(e) == ("BadRequestException", 400)


def test_list_topics_filter_and_paging(kafka: Any, shared_cluster: str, admin: AdminClient) -> None:
    prefix = unique("fglist")
    names = [f"{prefix}-{i}" for i in range(3)]
    try:
        for n in names:
            kafka.create_topic(ClusterArn=shared_cluster, TopicName=n, PartitionCount=1, ReplicationFactor=3)
        all_topics = kafka.list_topics(ClusterArn=shared_cluster)["Topics"]
        assert not any(t["TopicName"].startswith("__") for t in all_topics)
        got = kafka.list_topics(ClusterArn=shared_cluster, TopicNameFilter=prefix)["Topics"]
        assert [t["TopicName"] for t in got] == names
        page = kafka.list_topics(ClusterArn=shared_cluster, TopicNameFilter=prefix, MaxResults=2)
        assert len(page["Topics"]) == 2 and page["NextToken"]
        rest = kafka.list_topics(ClusterArn=shared_cluster, TopicNameFilter=prefix, MaxResults=2, NextToken=page["NextToken"])
        assert [t["TopicName"] for t in rest["Topics"]] == names[2:] and "NextToken" not in rest
    finally:
        drop_topics(kafka, shared_cluster, names)


def test_topic_status_lag_is_modelled_when_enabled(kafka: Any, shared_cluster: str, topic: str, plugin: Any) -> None:
    plugin.set_config(topic_status_lag_seconds=1.5)
    try:
        kafka.create_topic(ClusterArn=shared_cluster, TopicName=topic, PartitionCount=1, ReplicationFactor=3)
        assert kafka.describe_topic(ClusterArn=shared_cluster, TopicName=topic)["Status"] == "CREATING"
        wait_for(lambda: kafka.describe_topic(ClusterArn=shared_cluster, TopicName=topic)["Status"] == "ACTIVE", 10)
        kafka.update_topic(ClusterArn=shared_cluster, TopicName=topic, PartitionCount=2)
        assert kafka.describe_topic(ClusterArn=shared_cluster, TopicName=topic)["Status"] == "UPDATING"
    finally:
        plugin.reset_config()
