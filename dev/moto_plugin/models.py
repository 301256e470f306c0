"""MSK backend: moto's KafkaBackend, extended.

What moto 5.2 ships (``moto.kafka``): CreateCluster(V2), DescribeCluster(V2),
ListClusters(V2), DeleteCluster, cluster policies and tagging.  Its clusters
stay CREATING forever, CreateClusterV2 drops most of the provisioned settings
(encryption, auth, configuration), timestamps carry no time zone and unknown
ARNs raise a 500.  ``ForgeKafkaBackend`` keeps moto's tagging and policy code
and replaces/adds the rest; every behaviour and the AWS page it follows is
listed in README.md next to this file.

State is lazy: nothing runs in the background.  Every read or write first calls
``_tick`` which moves clusters/operations along according to the wall clock
(CREATING -> ACTIVE after the create delay, UPDATING -> ACTIVE after the update
delay, DELETING -> gone after the delete delay).
"""

from __future__ import annotations

import base64
import binascii
import copy
import random
import re
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from moto.core.base_backend import BackendDict
from moto.core.resource_tagging import TaggedResource
from moto.kafka.models import FakeKafkaCluster, KafkaBackend
from moto.utilities.utils import get_partition

from . import settings
from .exceptions import BadRequestException, ConflictException, NotFoundException
from .topics import admin as topic_admin
from .topics import decode_configs, encode_configs

Json = dict[str, Any]

# Cluster states in which brokers serve traffic (GetBootstrapBrokers, topic API).
SERVING_STATES = ("ACTIVE", "UPDATING")
CONFIG_NAME_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,}$")
MAX_VOLUME_GB = 16384


def iso(ts: float | None) -> str | None:
    """Epoch seconds -> ISO-8601 UTC with milliseconds, the format MSK uses."""
    if ts is None:
        return None
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def new_current_version() -> str:
    # MSK versions look like "K3AEGXETSR30VB".
    return "K" + "".join(random.choices(string.ascii_uppercase + string.digits, k=13))


def arn_id() -> str:
    # MSK resource ids are a UUID plus a short numeric suffix: "abcd...-2".
    return f"{uuid.uuid4()}-{random.randint(1, 25)}"


def drop_none(d: Json) -> Json:
    return {k: v for k, v in d.items() if v is not None}


# ---------------------------------------------------------------------------
# Clusters and operations
# ---------------------------------------------------------------------------


class EmulatedCluster(FakeKafkaCluster):
    """moto's FakeKafkaCluster + lifecycle timestamps and an AWS-shaped ARN."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.arn_uuid = arn_id()
        super().__init__(*args, **kwargs)
        now = time.time()
        self.created_at = now
        self.ready_at = now + settings.get().create_delay_seconds
        self.delete_at: float | None = None
        self.current_version = new_current_version()
        self.active_operation: ClusterOperation | None = None

    def _generate_arn(self) -> str:
        # AWS: arn:aws:kafka:us-east-1:123456789012:cluster/<name>/<uuid>-<n>
        kind = "cluster" if self.cluster_type == "PROVISIONED" else "serverless-cluster"
        partition = get_partition(self.region_name)
        return (
            f"arn:{partition}:kafka:{self.region_name}:{self.account_id}:"
            f"{kind}/{self.cluster_name}/{self.arn_uuid}"
        )

    # Convenience accessors over the request-shaped (camelCase) dicts.
    @property
    def client_subnets(self) -> list[str]:
        return list((self.broker_node_group_info or {}).get("clientSubnets") or [])

    @property
    def instance_type(self) -> str | None:
        return (self.broker_node_group_info or {}).get("instanceType")

    @property
    def volume_size(self) -> int | None:
        ebs = ((self.broker_node_group_info or {}).get("storageInfo") or {}).get("ebsStorageInfo") or {}
        return ebs.get("volumeSize")

    @property
    def client_broker_encryption(self) -> str:
        eit = (self.encryption_info or {}).get("encryptionInTransit") or {}
        return eit.get("clientBroker") or "TLS"


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

    def info_v2(self, now: float) -> Json:
        return drop_none(
            {
                "clusterArn": self.cluster_arn,
                "clusterType": self.cluster_type,
                "startTime": iso(self.created_at),
                "endTime": iso(self.end_time),
                "operationArn": self.arn,
                "operationState": self.state(now),
                "operationType": self.operation_type,
                "provisioned": {
                    "operationSteps": self.steps(now),
                    "sourceClusterInfo": self.source,
                    "targetClusterInfo": self.target,
                },
            }
        )

    def summary_v2(self, now: float) -> Json:
        return drop_none(
            {
                "clusterArn": self.cluster_arn,
                "clusterType": self.cluster_type,
                "startTime": iso(self.created_at),
                "endTime": iso(self.end_time),
                "operationArn": self.arn,
                "operationState": self.state(now),
                "operationType": self.operation_type,
            }
        )


# ---------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------


@dataclass
class ConfigurationRevision:
    revision: int
    created_at: float
    description: str | None
    server_properties: bytes

    def summary(self) -> Json:
        return drop_none(
            {"creationTime": iso(self.created_at), "description": self.description, "revision": self.revision}
        )


@dataclass
class Configuration:
    arn: str
    name: str
    description: str
    kafka_versions: list[str]
    created_at: float
    revisions: list[ConfigurationRevision]
    state: str = "ACTIVE"

    @property
    def latest(self) -> ConfigurationRevision:
        return self.revisions[-1]

    def info(self) -> Json:
        return {
            "arn": self.arn,
            "creationTime": iso(self.created_at),
            "description": self.description,
            "kafkaVersions": self.kafka_versions,
            "latestRevision": self.latest.summary(),
            "name": self.name,
            "state": self.state,
        }


def decode_blob(value: Any, param: str) -> bytes:
    if not isinstance(value, str) or value == "":
        raise BadRequestException(f"{param} is required", invalid_parameter=param)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequestException(f"{param} must be Base64-encoded", invalid_parameter=param) from exc


# ---------------------------------------------------------------------------
# Backend
# ---------------------------------------------------------------------------


class ForgeKafkaBackend(KafkaBackend):
    """MSK as forgectl needs it; see README.md for the behaviour list."""

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.clusters: dict[str, EmulatedCluster] = {}  # type: ignore[assignment]
        self.operations: dict[str, ClusterOperation] = {}
        self.configurations: dict[str, Configuration] = {}
        self.topic_status: dict[tuple[str, str], tuple[str, float]] = {}
        self.lock = threading.RLock()

    # Serve the routes from this package's urls.py (moto derives the module
    # from the backend's module name; be explicit rather than rely on that).
    @property
    def _url_module(self) -> Any:  # type: ignore[override]
        from . import urls

        return urls

    # -- lifecycle ---------------------------------------------------------

    def _tick(self) -> None:
        now = time.time()
        for arn, cluster in list(self.clusters.items()):
            if cluster.state == "CREATING" and now >= cluster.ready_at:
                cluster.state = "ACTIVE"
            op = cluster.active_operation
            if op is not None and now >= op.due_at:
                op.apply()
                op.end_time = op.due_at
                cluster.active_operation = None
                if cluster.state == "UPDATING":
                    cluster.state = "ACTIVE"
            if cluster.state == "DELETING" and cluster.delete_at is not None and now >= cluster.delete_at:
                del self.clusters[arn]
                self.tagger.delete_all_tags_for_resource(arn)
                self.policies.pop(arn, None)

    def _cluster(self, cluster_arn: str) -> EmulatedCluster:
        self._tick()
        cluster = self.clusters.get(cluster_arn)
        if cluster is None:
            raise NotFoundException(
                f"The specified cluster was not found: {cluster_arn}", invalid_parameter="clusterArn"
            )
        return cluster

    # -- create ------------------------------------------------------------

    def _validate_new_cluster(self, cluster_name: str | None, provisioned: Json | None) -> None:
        if not cluster_name:
            raise BadRequestException("clusterName is required", invalid_parameter="clusterName")
        self._tick()
        if any(c.cluster_name == cluster_name for c in self.clusters.values()):
            raise ConflictException(
                f"A cluster with the name {cluster_name} already exists.", invalid_parameter="clusterName"
            )
        if provisioned is None:
            return
        bngi = provisioned.get("brokerNodeGroupInfo") or {}
        subnets = bngi.get("clientSubnets") or []
        if not subnets:
            raise BadRequestException(
                "brokerNodeGroupInfo.clientSubnets is required", invalid_parameter="clientSubnets"
            )
        if not bngi.get("instanceType"):
            raise BadRequestException(
                "brokerNodeGroupInfo.instanceType is required", invalid_parameter="instanceType"
            )
        count = provisioned.get("numberOfBrokerNodes")
        if not isinstance(count, int) or count < 1:
            raise BadRequestException(
                "numberOfBrokerNodes must be a positive integer", invalid_parameter="numberOfBrokerNodes"
            )
        if count % len(subnets) != 0:
            raise BadRequestException(
                f"The number of broker nodes ({count}) must be a multiple of the number of "
                f"client subnets ({len(subnets)}).",
                invalid_parameter="numberOfBrokerNodes",
            )
        if not provisioned.get("kafkaVersion"):
            raise BadRequestException("kafkaVersion is required", invalid_parameter="kafkaVersion")
        conf = provisioned.get("configurationInfo")
        if conf:
            self._configuration_revision(conf.get("arn"), conf.get("revision"))

    def _default_encryption(self, encryption_info: Json | None) -> Json:
        # AWS defaults: TLS between clients and brokers, TLS inside the cluster,
        # encryption at rest with the AWS managed key.
        info = copy.deepcopy(encryption_info or {})
        eit = info.setdefault("encryptionInTransit", {})
        eit.setdefault("clientBroker", "TLS")
        eit.setdefault("inCluster", True)
        ear = info.setdefault("encryptionAtRest", {})
        ear.setdefault(
            "dataVolumeKMSKeyId",
            f"arn:{get_partition(self.region_name)}:kms:{self.region_name}:{self.account_id}:key/{uuid.uuid4()}",
        )
        return info

    def _new_cluster(self, cluster_name: str, cluster_type: str, p: Json, tags: Json | None, serverless: Json | None) -> EmulatedCluster:
        bngi = copy.deepcopy(p.get("brokerNodeGroupInfo")) if p else None
        cluster = EmulatedCluster(
            cluster_name=cluster_name,
            account_id=self.account_id,
            region_name=self.region_name,
            cluster_type=cluster_type,
            tags=tags,
            broker_node_group_info=bngi,
            kafka_version=p.get("kafkaVersion") if p else None,
            number_of_broker_nodes=p.get("numberOfBrokerNodes") if p else None,
            configuration_info=copy.deepcopy(p.get("configurationInfo")) if p else None,
            serverless_config=serverless,
            encryption_info=self._default_encryption(p.get("encryptionInfo")) if p else None,
            enhanced_monitoring=(p.get("enhancedMonitoring") or "DEFAULT") if p else "DEFAULT",
            open_monitoring=p.get("openMonitoring") if p else None,
            logging_info=p.get("loggingInfo") if p else None,
            storage_mode=(p.get("storageMode") or "LOCAL") if p else "LOCAL",
            client_authentication=p.get("clientAuthentication") if p else None,
            state="CREATING",
        )
        with self.lock:
            self.clusters[cluster.arn] = cluster
            if tags:
                self.tag_resource(cluster.arn, tags)
        return cluster

    def create_cluster(self, **kw: Any) -> tuple[str, str, str]:  # type: ignore[override]
        """CreateCluster (v1): same fields as v2's ``provisioned`` at top level."""
        provisioned = {
            "brokerNodeGroupInfo": kw.get("broker_node_group_info"),
            "clientAuthentication": kw.get("client_authentication"),
            "configurationInfo": kw.get("configuration_info"),
            "encryptionInfo": kw.get("encryption_info"),
            "enhancedMonitoring": kw.get("enhanced_monitoring"),
            "openMonitoring": kw.get("open_monitoring"),
            "kafkaVersion": kw.get("kafka_version"),
            "loggingInfo": kw.get("logging_info"),
            "numberOfBrokerNodes": kw.get("number_of_broker_nodes"),
            "storageMode": kw.get("storage_mode"),
        }
        with self.lock:
            self._validate_new_cluster(kw.get("cluster_name"), provisioned)
            cluster = self._new_cluster(kw["cluster_name"], "PROVISIONED", provisioned, kw.get("tags"), None)
        return cluster.arn, cluster.cluster_name, cluster.state

    def create_cluster_v2(  # type: ignore[override]
        self,
        cluster_name: str,
        tags: dict[str, str] | None,
        provisioned: Json | None,
        serverless: Json | None,
    ) -> tuple[str, str, str, str]:
        if bool(provisioned) == bool(serverless):
            raise BadRequestException("Exactly one of provisioned or serverless must be specified.")
        with self.lock:
            self._validate_new_cluster(cluster_name, provisioned)
            if provisioned:
                cluster = self._new_cluster(cluster_name, "PROVISIONED", provisioned, tags, None)
            else:
                cluster = self._new_cluster(cluster_name, "SERVERLESS", {}, tags, serverless)
        return cluster.arn, cluster.cluster_name, cluster.state, cluster.cluster_type

    # -- describe / list ---------------------------------------------------

    def _state_info(self, cluster: EmulatedCluster) -> Json:
        out: Json = {}
        if cluster.active_operation is not None:
            out["activeOperationArn"] = cluster.active_operation.arn
        return out

    def _software_info(self, cluster: EmulatedCluster) -> Json:
        conf = cluster.configuration_info or {}
        return drop_none(
            {
                "configurationArn": conf.get("arn"),
                "configurationRevision": conf.get("revision"),
                "kafkaVersion": cluster.kafka_version,
            }
        )

    def _cluster_info_v1(self, cluster: EmulatedCluster) -> Json:
        info: Json = {
            **self._state_info(cluster),
            "brokerNodeGroupInfo": cluster.broker_node_group_info or {},
            "clientAuthentication": cluster.client_authentication or {},
            "clusterArn": cluster.arn,
            "clusterName": cluster.cluster_name,
            "creationTime": iso(cluster.created_at),
            "currentBrokerSoftwareInfo": self._software_info(cluster),
            "currentVersion": cluster.current_version,
            "encryptionInfo": cluster.encryption_info or {},
            "enhancedMonitoring": cluster.enhanced_monitoring,
            "numberOfBrokerNodes": cluster.number_of_broker_nodes or 0,
            "state": cluster.state,
            "storageMode": cluster.storage_mode,
            "tags": self.list_tags_for_resource(cluster.arn),
        }
        for key, value in (("openMonitoring", cluster.open_monitoring), ("loggingInfo", cluster.logging_info)):
            if value:
                info[key] = value
        return info

    def _cluster_info_v2(self, cluster: EmulatedCluster) -> Json:
        info: Json = {
            **self._state_info(cluster),
            "clusterArn": cluster.arn,
            "clusterName": cluster.cluster_name,
            "clusterType": cluster.cluster_type,
            "creationTime": iso(cluster.created_at),
            "currentVersion": cluster.current_version,
            "state": cluster.state,
            "tags": self.list_tags_for_resource(cluster.arn),
        }
        if cluster.cluster_type == "PROVISIONED":
            prov: Json = {
                "brokerNodeGroupInfo": cluster.broker_node_group_info or {},
                "clientAuthentication": cluster.client_authentication or {},
                "currentBrokerSoftwareInfo": self._software_info(cluster),
                "encryptionInfo": cluster.encryption_info or {},
                "enhancedMonitoring": cluster.enhanced_monitoring,
                "numberOfBrokerNodes": cluster.number_of_broker_nodes or 0,
                "storageMode": cluster.storage_mode,
            }
            for key, value in (("openMonitoring", cluster.open_monitoring), ("loggingInfo", cluster.logging_info)):
                if value:
                    prov[key] = value
            info["provisioned"] = prov
        else:
            sc = cluster.serverless_config or {}
            info["serverless"] = {
                "vpcConfigs": sc.get("vpcConfigs", []),
                "clientAuthentication": sc.get("clientAuthentication", {}),
            }
        return info

    def describe_cluster(self, cluster_arn: str) -> Json:
        with self.lock:
            return self._cluster_info_v1(self._cluster(cluster_arn))

    def describe_cluster_v2(self, cluster_arn: str) -> Json:
        with self.lock:
            return self._cluster_info_v2(self._cluster(cluster_arn))

    def list_clusters(self, cluster_name_filter: str | None) -> list[Json]:
        with self.lock:
            self._tick()
            return [
                self._cluster_info_v1(c)
                for c in self.clusters.values()
                if c.cluster_type == "PROVISIONED"
                and (not cluster_name_filter or c.cluster_name.startswith(cluster_name_filter))
            ]

    def list_clusters_v2(self, cluster_name_filter: str | None, cluster_type_filter: str | None) -> list[Json]:
        with self.lock:
            self._tick()
            out = []
            for c in self.clusters.values():
                if cluster_name_filter and not c.cluster_name.startswith(cluster_name_filter):
                    continue
                if cluster_type_filter and cluster_type_filter.upper() != "ALL" and c.cluster_type != cluster_type_filter.upper():
                    continue
                out.append(self._cluster_info_v2(c))
            return out

    # -- delete ------------------------------------------------------------

    def delete_cluster(self, cluster_arn: str, current_version: str | None) -> tuple[str, str]:  # type: ignore[override]
        with self.lock:
            cluster = self._cluster(cluster_arn)
            if current_version and current_version != cluster.current_version:
                raise BadRequestException(
                    "The provided currentVersion does not match the current version of the cluster.",
                    invalid_parameter="currentVersion",
                )
            if cluster.state != "DELETING":
                cluster.state = "DELETING"
                cluster.delete_at = time.time() + settings.get().delete_delay_seconds
            return cluster.arn, cluster.state

    # -- bootstrap brokers ---------------------------------------------------

    def get_bootstrap_brokers(self, cluster_arn: str) -> Json:
        with self.lock:
            cluster = self._cluster(cluster_arn)
            if cluster.state not in SERVING_STATES:
                raise BadRequestException(
                    f"You can't get bootstrap broker nodes for a cluster in {cluster.state} state."
                )
            s = settings.get()
            if cluster.cluster_type == "SERVERLESS":
                # Serverless clusters only offer SASL/IAM, which has no local listener.
                return {}
            mode = cluster.client_broker_encryption
            out: Json = {}
            if mode in ("PLAINTEXT", "TLS_PLAINTEXT"):
                out["bootstrapBrokerString"] = s.kafka_bootstrap_servers
            if mode in ("TLS", "TLS_PLAINTEXT"):
                out["bootstrapBrokerStringTls"] = s.kafka_tls_bootstrap_servers
            return out

    # -- updates / operations -------------------------------------------------

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

    # -- configurations ----------------------------------------------------

    def _configuration(self, arn: str | None) -> Configuration:
        conf = self.configurations.get(arn or "")
        if conf is None:
            raise NotFoundException(f"The specified configuration was not found: {arn}", invalid_parameter="arn")
        return conf

    def _configuration_revision(self, arn: str | None, revision: Any) -> ConfigurationRevision:
        conf = self.configurations.get(arn or "")
        if conf is None:
            raise BadRequestException(
                f"The specified configuration was not found: {arn}", invalid_parameter="configurationInfo"
            )
        for rev in conf.revisions:
            if rev.revision == revision:
                return rev
        raise BadRequestException(
            f"Configuration {arn} has no revision {revision}", invalid_parameter="configurationInfo"
        )

    def create_configuration(self, name: Any, description: Any, kafka_versions: Any, server_properties: Any) -> Configuration:
        if not isinstance(name, str) or not CONFIG_NAME_RE.match(name):
            raise BadRequestException(
                "name must match ^[0-9A-Za-z][0-9A-Za-z-]{0,}$", invalid_parameter="name"
            )
        blob = decode_blob(server_properties, "serverProperties")
        with self.lock:
            if any(c.name == name for c in self.configurations.values()):
                raise ConflictException(f"A configuration with the name {name} already exists.", invalid_parameter="name")
            now = time.time()
            conf = Configuration(
                arn=(
                    f"arn:{get_partition(self.region_name)}:kafka:{self.region_name}:{self.account_id}:"
                    f"configuration/{name}/{arn_id()}"
                ),
                name=name,
                description=description or "",
                kafka_versions=list(kafka_versions or []),
                created_at=now,
                revisions=[ConfigurationRevision(1, now, description, blob)],
            )
            self.configurations[conf.arn] = conf
            return conf

    def update_configuration(self, arn: str, description: Any, server_properties: Any) -> Configuration:
        blob = decode_blob(server_properties, "serverProperties")
        with self.lock:
            conf = self._configuration(arn)
            conf.revisions.append(ConfigurationRevision(conf.latest.revision + 1, time.time(), description, blob))
            return conf

    def describe_configuration(self, arn: str) -> Configuration:
        with self.lock:
            return self._configuration(arn)

    def describe_configuration_revision(self, arn: str, revision: Any) -> ConfigurationRevision:
        with self.lock:
            conf = self._configuration(arn)
            try:
                wanted = int(revision)
            except (TypeError, ValueError) as exc:
                raise BadRequestException("revision must be an integer", invalid_parameter="revision") from exc
            for rev in conf.revisions:
                if rev.revision == wanted:
                    return rev
            raise NotFoundException(f"Configuration {arn} has no revision {wanted}", invalid_parameter="revision")

    def list_configurations(self) -> list[Configuration]:
        with self.lock:
            return sorted(self.configurations.values(), key=lambda c: c.created_at)

    def delete_configuration(self, arn: str) -> Configuration:
        with self.lock:
            conf = self._configuration(arn)
            self._tick()
            users = [c.cluster_name for c in self.clusters.values() if (c.configuration_info or {}).get("arn") == arn]
            if users:
                raise BadRequestException(
                    f"The configuration is in use by cluster(s): {', '.join(sorted(users))}", invalid_parameter="arn"
                )
            del self.configurations[arn]
            self.tagger.delete_all_tags_for_resource(arn)
            conf.state = "DELETING"
            return conf

    # -- topics (real Kafka) -----------------------------------------------

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

    # -- tagging (moto's TaggingService) ----------------------------------------

    def iter_tagged_resources(self) -> Iterator[TaggedResource]:
        yield from super().iter_tagged_resources()
        for conf in self.configurations.values():
            yield TaggedResource(
                arn=conf.arn,
                tags=self.tagger.get_tag_dict_for_resource(conf.arn),
                resource_type="kafka:configuration",
            )


kafka_backends = BackendDict(ForgeKafkaBackend, "kafka")
