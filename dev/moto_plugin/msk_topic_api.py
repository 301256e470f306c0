"""The MSK topic API as the backend serves it: CreateTopic, DescribeTopic,
DescribeTopicPartitions, ListTopics, UpdateTopic and DeleteTopic.

topics.py does the work on the real local Kafka; this mixin adds what belongs
to the emulated cluster in front of it: the cluster must exist and be serving,
topic ARNs carry the cluster's name and id, and the optional status lag makes
a topic report CREATING/UPDATING/DELETING for a while after a write, as MSK's
slowly refreshed topic status does.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from moto.utilities.utils import get_partition

from . import settings
from .exceptions import BadRequestException
from .msk_common import SERVING_STATES, Json
from .topics import admin as topic_admin
from .topics import decode_configs, encode_configs

if TYPE_CHECKING:
    import threading

    from .models import EmulatedCluster


class TopicApi:
    """Mixed into ``ForgeKafkaBackend``, which owns the state."""

    # Set by moto's BaseBackend and ForgeKafkaBackend.__init__; declared so
    # this module reads on its own.
    region_name: str
    account_id: str
    lock: threading.RLock
    topic_status: dict[tuple[str, str], tuple[str, float]]

    if TYPE_CHECKING:

        def _cluster(self, cluster_arn: str) -> EmulatedCluster: ...

    def _serving_cluster(self, cluster_arn: str) -> EmulatedCluster:
        with self.lock:
            cluster = self._cluster(cluster_arn)
            if cluster.state not in SERVING_STATES:
                raise BadRequestException(
                    f"The cluster is in {cluster.state} state; topics can only be managed "
                    "while it is ACTIVE or UPDATING.",
                    invalid_parameter="clusterArn",
                )
            return cluster

    def topic_arn(self, cluster: EmulatedCluster, topic: str) -> str:
        return (
            f"arn:{get_partition(self.region_name)}:kafka:{self.region_name}:{self.account_id}:"
            f"topic/{cluster.cluster_name}/{cluster.arn_uuid}/{topic}"
        )

    def _mark_topic(self, cluster: EmulatedCluster, topic: str, status: str) -> None:
        lag = settings.get().topic_status_lag_seconds
        with self.lock:
            if lag > 0:
                self.topic_status[(cluster.arn, topic)] = (status, time.time() + lag)
            else:
                self.topic_status.pop((cluster.arn, topic), None)

    def _topic_status(self, cluster: EmulatedCluster, topic: str) -> str:
        with self.lock:
            entry = self.topic_status.get((cluster.arn, topic))
            if entry is None:
                return "ACTIVE"
            status, until = entry
            if time.time() >= until:
                del self.topic_status[(cluster.arn, topic)]
                return "ACTIVE"
            return status

    def create_topic(self, cluster_arn: str, name: Any, partitions: Any, rf: Any, configs: Any) -> Json:
        cluster = self._serving_cluster(cluster_arn)
        if not isinstance(name, str) or not name:
            raise BadRequestException("topicName is required", invalid_parameter="topicName")
        for param, value in (("partitionCount", partitions), ("replicationFactor", rf)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise BadRequestException(f"{param} must be an integer >= 1", invalid_parameter=param)
        if configs is not None and not isinstance(configs, str):
            raise BadRequestException("configs must be a Base64 string", invalid_parameter="configs")
        topic_admin.create(name, partitions, rf, decode_configs(configs))
        self._mark_topic(cluster, name, "CREATING")
        return {"topicArn": self.topic_arn(cluster, name), "topicName": name, "status": "CREATING"}

    def describe_topic(self, cluster_arn: str, name: str) -> Json:
        cluster = self._serving_cluster(cluster_arn)
        details = topic_admin.describe(name)
        overrides = topic_admin.topic_overrides(name)
        return {
            "topicArn": self.topic_arn(cluster, name),
            "topicName": name,
            "replicationFactor": details.replication_factor,
            "partitionCount": details.partition_count,
            "configs": encode_configs(overrides),
            "status": self._topic_status(cluster, name),
        }

    def describe_topic_partitions(self, cluster_arn: str, name: str) -> list[Json]:
        self._serving_cluster(cluster_arn)
        return topic_admin.describe(name).partitions

    def list_topics(self, cluster_arn: str, name_filter: str | None) -> list[Json]:
        cluster = self._serving_cluster(cluster_arn)
        return [
            {
                "topicArn": self.topic_arn(cluster, t.name),
                "topicName": t.name,
                "replicationFactor": t.replication_factor,
                "partitionCount": t.partition_count,
                "outOfSyncReplicaCount": t.out_of_sync_replica_count,
            }
            for t in topic_admin.list()
            if not name_filter or t.name.startswith(name_filter)
        ]

    def update_topic(self, cluster_arn: str, name: str, partitions: Any, configs: Any) -> Json:
        cluster = self._serving_cluster(cluster_arn)
        if partitions is not None and configs is not None:
            raise BadRequestException(
                "You can update either the partition count or the topic configurations in a single "
                "call, but not both."
            )
        if partitions is None and configs is None:
            raise BadRequestException("Specify partitionCount or configs.")
        topic_admin.describe(name)  # NotFoundException for an unknown topic
        if partitions is not None:
            if not isinstance(partitions, int) or isinstance(partitions, bool) or partitions < 1:
                raise BadRequestException("partitionCount must be an integer >= 1", invalid_parameter="partitionCount")
            topic_admin.set_partition_count(name, partitions)
        else:
            if not isinstance(configs, str):
                raise BadRequestException("configs must be a Base64 string", invalid_parameter="configs")
            parsed = decode_configs(configs)
            if not parsed:
                raise BadRequestException("configs contains no key=value pairs", invalid_parameter="configs")
            topic_admin.set_configs(name, parsed)
        self._mark_topic(cluster, name, "UPDATING")
        return {"topicArn": self.topic_arn(cluster, name), "topicName": name, "status": "UPDATING"}

    def delete_topic(self, cluster_arn: str, name: str) -> Json:
        cluster = self._serving_cluster(cluster_arn)
        topic_admin.describe(name)  # NotFoundException for an unknown topic
        topic_admin.delete(name)
        self._mark_topic(cluster, name, "DELETING")
        return {"topicArn": self.topic_arn(cluster, name), "topicName": name, "status": "DELETING"}
