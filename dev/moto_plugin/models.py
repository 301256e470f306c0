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

The backend is assembled from mixins, one per part of the API, so that no
module has to hold all of MSK: ``msk_cluster_info`` (DescribeCluster(V2),
ListClusters(V2)), ``msk_operations`` (broker/configuration updates and
cluster operations), ``msk_configurations`` (configurations) and
``msk_topic_api`` (the topic API); ``msk_common`` has the shared formats.
This module keeps what ties them together: the cluster model, the state, the
lazy lifecycle, cluster creation and deletion, bootstrap brokers, tagging and
the ``BackendDict`` that server.py installs.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from moto.core.base_backend import BackendDict
from moto.core.resource_tagging import TaggedResource
from moto.kafka.models import FakeKafkaCluster, KafkaBackend
from moto.utilities.utils import get_partition

from . import settings
from .exceptions import BadRequestException, ConflictException, NotFoundException
from .msk_cluster_info import ClusterInfoApi
from .msk_common import SERVING_STATES, Json, arn_id, iso, new_current_version
from .msk_configurations import Configuration, ConfigurationApi
from .msk_operations import ClusterOperation, ClusterOperationsApi
from .msk_scram import ScramSecretApi
from .msk_topic_api import TopicApi
from .msk_versions import check_new_cluster

# The names the rest of the package imports from this module (iso lives in
# msk_common; responses.py takes it from here together with the backend).
__all__ = ["EmulatedCluster", "ForgeKafkaBackend", "iso", "kafka_backends"]

# ---------------------------------------------------------------------------
# Clusters
# ---------------------------------------------------------------------------


# Kept in this module: moto files every BaseModel subclass under the name of
# its module (InstanceTrackerMeta; listed by /moto-api/data.json), so moving
# the class would change that listing.
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


# ---------------------------------------------------------------------------
# Backend
# ---------------------------------------------------------------------------


# The mixins come before KafkaBackend so that their methods replace moto's
# (describe_cluster, list_clusters...).
class ForgeKafkaBackend(
    ClusterInfoApi, ClusterOperationsApi, ConfigurationApi, TopicApi, ScramSecretApi, KafkaBackend
):
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
        check_new_cluster(provisioned["kafkaVersion"], (provisioned.get("brokerNodeGroupInfo") or {}).get("instanceType"))
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
                # The local Kafka has a SASL_SSL SCRAM listener (not IAM).
                sasl = (cluster.client_authentication or {}).get("sasl") or {}
                if (sasl.get("scram") or {}).get("enabled"):
                    out["bootstrapBrokerStringSaslScram"] = s.kafka_sasl_bootstrap_servers
            return out

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
