"""Cluster operations: the broker and configuration updates
(UpdateBrokerCount, UpdateBrokerStorage, UpdateBrokerType,
UpdateClusterConfiguration) and the operation records that
DescribeClusterOperation(V2) and ListClusterOperations(V2) return.

The four updates share one set of rules (currentVersion must match, the
cluster must be ACTIVE, a new version is issued at once, the change only shows
when the operation completes), so each one only validates its own input and
hands ``_begin_update`` a closure; the backend's ``_tick`` runs that closure
once the update delay has passed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.utilities.utils import get_partition

from . import settings
from .exceptions import BadRequestException, NotFoundException
from .msk_common import Json, drop_none, iso, new_current_version

if TYPE_CHECKING:
    import threading

    from .models import EmulatedCluster
    from .msk_configurations import ConfigurationRevision

MAX_VOLUME_GB = 16384


@dataclass
class ClusterOperation:
    arn: str
    cluster_arn: str
    cluster_type: str
    operation_type: str
    created_at: float
    duration: float
    source: Json
    target: Json
    apply: Callable[[], None] = field(repr=False)
    client_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    end_time: float | None = None

    @property
    def due_at(self) -> float:
        return self.created_at + self.duration

    def state(self, now: float) -> str:
        # Documented flow: PENDING -> UPDATE_IN_PROGRESS -> UPDATE_COMPLETE.
        if self.end_time is not None:
            return "UPDATE_COMPLETE"
        if now < self.created_at + self.duration * 0.25:
            return "PENDING"
        return "UPDATE_IN_PROGRESS"

    def steps(self, now: float) -> list[Json]:
        state = self.state(now)
        names = ["INITIALIZE_UPDATE", "UPDATE_APPLY", "FINALIZE_UPDATE"]
        done = {"PENDING": 0, "UPDATE_IN_PROGRESS": 1, "UPDATE_COMPLETE": 3}[state]
        out = []
        for i, name in enumerate(names):
            status = "SUCCESS" if i < done else ("IN_PROGRESS" if i == done else "PENDING")
            out.append({"stepInfo": {"stepStatus": status}, "stepName": name})
        return out

    def info_v1(self, now: float) -> Json:
        return drop_none(
            {
                "clientRequestId": self.client_request_id,
                "clusterArn": self.cluster_arn,
                "creationTime": iso(self.created_at),
                "endTime": iso(self.end_time),
                "operationArn": self.arn,
                "operationState": self.state(now),
                "operationSteps": self.steps(now),
                "operationType": self.operation_type,
                "sourceClusterInfo": self.source,
                "targetClusterInfo": self.target,
            }
        )

    def _identity_v2(self, now: float) -> Json:
        """The fields V2's operation summary and full description share."""
        return {
            "clusterArn": self.cluster_arn,
            "clusterType": self.cluster_type,
            "startTime": iso(self.created_at),
            "endTime": iso(self.end_time),
            "operationArn": self.arn,
            "operationState": self.state(now),
            "operationType": self.operation_type,
        }

    def info_v2(self, now: float) -> Json:
        return drop_none(
            {
                **self._identity_v2(now),
                "provisioned": {
                    "operationSteps": self.steps(now),
                    "sourceClusterInfo": self.source,
                    "targetClusterInfo": self.target,
                },
            }
        )

    def summary_v2(self, now: float) -> Json:
        return drop_none(self._identity_v2(now))


class ClusterOperationsApi:
    """Mixed into ``ForgeKafkaBackend``, which owns the state."""

    # Set by moto's BaseBackend and ForgeKafkaBackend.__init__; declared so
    # this module reads on its own.
    region_name: str
    account_id: str
    lock: threading.RLock
    operations: dict[str, ClusterOperation]

    if TYPE_CHECKING:

        def _tick(self) -> None: ...

        def _cluster(self, cluster_arn: str) -> EmulatedCluster: ...

        def _configuration_revision(self, arn: str | None, revision: Any) -> ConfigurationRevision: ...

    def _begin_update(
        self,
        cluster_arn: str,
        current_version: str | None,
        operation_type: str,
        source: Json,
        target: Json,
        apply: Callable[[EmulatedCluster], None],
        validate: Callable[[EmulatedCluster], None],
    ) -> ClusterOperation:
        cluster = self._cluster(cluster_arn)
        if not current_version:
            raise BadRequestException("currentVersion is required", invalid_parameter="currentVersion")
        if cluster.state != "ACTIVE":
            raise BadRequestException(
                f"The cluster must be in ACTIVE state to be updated; it is {cluster.state}.",
                invalid_parameter="clusterArn",
            )
        if current_version != cluster.current_version:
            raise BadRequestException(
                "The provided currentVersion does not match the current version of the cluster.",
                invalid_parameter="currentVersion",
            )
        validate(cluster)
        op = ClusterOperation(
            arn=(
                f"arn:{get_partition(self.region_name)}:kafka:{self.region_name}:{self.account_id}:"
                f"cluster-operation/{cluster.cluster_name}/{cluster.arn_uuid}/{uuid.uuid4()}"
            ),
            cluster_arn=cluster.arn,
            cluster_type=cluster.cluster_type,
            operation_type=operation_type,
            created_at=time.time(),
            duration=settings.get().update_delay_seconds,
            source=source,
            target=target,
            apply=lambda: apply(cluster),
        )
        self.operations[op.arn] = op
        cluster.active_operation = op
        cluster.state = "UPDATING"
        # A new version right away, so the old one can't be replayed.
        cluster.current_version = new_current_version()
        self._tick()  # a zero delay completes at once
        return op

    def update_broker_count(self, cluster_arn: str, current_version: str | None, target: Any) -> ClusterOperation:
        if not isinstance(target, int) or target < 1:
            raise BadRequestException(
                "targetNumberOfBrokerNodes must be a positive integer", invalid_parameter="targetNumberOfBrokerNodes"
            )

        def validate(c: EmulatedCluster) -> None:
            current = c.number_of_broker_nodes or 0
            if target == current:
                raise BadRequestException(
                    f"The cluster already has {current} broker nodes.", invalid_parameter="targetNumberOfBrokerNodes"
                )
            if target < current:
                raise BadRequestException(
                    f"The number of broker nodes can only be increased (current {current}, requested {target}).",
                    invalid_parameter="targetNumberOfBrokerNodes",
                )
            subnets = len(c.client_subnets) or 1
            if target % subnets != 0:
                raise BadRequestException(
                    f"The number of broker nodes ({target}) must be a multiple of the number of "
                    f"client subnets ({subnets}).",
                    invalid_parameter="targetNumberOfBrokerNodes",
                )

        def apply(c: EmulatedCluster) -> None:
            c.number_of_broker_nodes = target

        with self.lock:
            cluster = self._cluster(cluster_arn)
            return self._begin_update(
                cluster_arn,
                current_version,
                "INCREASE_BROKER_COUNT",
                {"numberOfBrokerNodes": cluster.number_of_broker_nodes},
                {"numberOfBrokerNodes": target},
                apply,
                validate,
            )

    def update_broker_storage(self, cluster_arn: str, current_version: str | None, volumes: Any) -> ClusterOperation:
        if not isinstance(volumes, list) or len(volumes) != 1:
            raise BadRequestException(
                "targetBrokerEBSVolumeInfo must contain exactly one entry", invalid_parameter="targetBrokerEBSVolumeInfo"
            )
        vol = volumes[0] or {}
        if vol.get("kafkaBrokerNodeId") != "All":
            raise BadRequestException(
                'kafkaBrokerNodeId must be "All"', invalid_parameter="kafkaBrokerNodeId"
            )
        size = vol.get("volumeSizeGB")
        if not isinstance(size, int) or size < 1 or size > MAX_VOLUME_GB:
            raise BadRequestException(
                f"volumeSizeGB must be an integer between 1 and {MAX_VOLUME_GB}", invalid_parameter="volumeSizeGB"
            )

        def validate(c: EmulatedCluster) -> None:
            current = c.volume_size or 0
            if size <= current:
                raise BadRequestException(
                    f"Storage can only be increased (current {current} GiB, requested {size} GiB).",
                    invalid_parameter="volumeSizeGB",
                )

        def apply(c: EmulatedCluster) -> None:
            bngi = c.broker_node_group_info = c.broker_node_group_info or {}
            ebs = bngi.setdefault("storageInfo", {}).setdefault("ebsStorageInfo", {})
            ebs["volumeSize"] = size
            if vol.get("provisionedThroughput") is not None:
                ebs["provisionedThroughput"] = vol["provisionedThroughput"]

        with self.lock:
            cluster = self._cluster(cluster_arn)
            return self._begin_update(
                cluster_arn,
                current_version,
                "UPDATE_BROKER_STORAGE",
                {"brokerEBSVolumeInfo": [{"kafkaBrokerNodeId": "All", "volumeSizeGB": cluster.volume_size}]},
                {"brokerEBSVolumeInfo": [drop_none({"kafkaBrokerNodeId": "All", "volumeSizeGB": size,
                                                    "provisionedThroughput": vol.get("provisionedThroughput")})]},
                apply,
                validate,
            )

    def update_broker_type(self, cluster_arn: str, current_version: str | None, target: Any) -> ClusterOperation:
        if not isinstance(target, str) or not target.startswith(("kafka.", "express.")):
            raise BadRequestException(
                "targetInstanceType must be an MSK broker type such as kafka.m5.large",
                invalid_parameter="targetInstanceType",
            )

        def validate(c: EmulatedCluster) -> None:
            if c.instance_type == target:
                raise BadRequestException(
                    f"The brokers are already of type {target}.", invalid_parameter="targetInstanceType"
                )

        def apply(c: EmulatedCluster) -> None:
            c.broker_node_group_info = c.broker_node_group_info or {}
            c.broker_node_group_info["instanceType"] = target

        with self.lock:
            cluster = self._cluster(cluster_arn)
            return self._begin_update(
                cluster_arn,
                current_version,
                "UPDATE_BROKER_TYPE",
                {"instanceType": cluster.instance_type},
                {"instanceType": target},
                apply,
                validate,
            )

    def update_cluster_configuration(self, cluster_arn: str, current_version: str | None, conf: Any) -> ClusterOperation:
        if not isinstance(conf, dict):
            raise BadRequestException("configurationInfo is required", invalid_parameter="configurationInfo")
        arn, revision = conf.get("arn"), conf.get("revision")

        def validate(c: EmulatedCluster) -> None:
            self._configuration_revision(arn, revision)

        def apply(c: EmulatedCluster) -> None:
            c.configuration_info = {"arn": arn, "revision": revision}

        with self.lock:
            cluster = self._cluster(cluster_arn)
            return self._begin_update(
                cluster_arn,
                current_version,
                "UPDATE_CLUSTER_CONFIGURATION",
                {"configurationInfo": cluster.configuration_info} if cluster.configuration_info else {},
                {"configurationInfo": {"arn": arn, "revision": revision}},
                apply,
                validate,
            )

    def describe_cluster_operation(self, operation_arn: str) -> ClusterOperation:
        with self.lock:
            self._tick()
            op = self.operations.get(operation_arn)
            if op is None:
                raise NotFoundException(
                    f"The specified cluster operation was not found: {operation_arn}",
                    invalid_parameter="clusterOperationArn",
                )
            return op

    def list_cluster_operations(self, cluster_arn: str) -> list[ClusterOperation]:
        with self.lock:
            self._cluster(cluster_arn)
            ops = [o for o in self.operations.values() if o.cluster_arn == cluster_arn]
            return sorted(ops, key=lambda o: o.created_at, reverse=True)
