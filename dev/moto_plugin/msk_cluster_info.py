"""The read side of the cluster API: DescribeCluster(V2) and ListClusters(V2).

v1 and v2 show the same cluster in two layouts (v2 nests the provisioned
settings under ``provisioned`` and also covers serverless clusters); both are
built from the same helpers here so that they cannot drift apart.  The write
side (create, delete, the lazy lifecycle) stays with the backend in models.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .msk_common import Json, drop_none, iso
from .msk_versions import zookeeper_strings

if TYPE_CHECKING:
    import threading

    from .models import EmulatedCluster


class ClusterInfoApi:
    """Mixed into ``ForgeKafkaBackend``, which owns the state."""

    # Set by ForgeKafkaBackend.__init__; declared so this module reads on its own.
    lock: threading.RLock
    clusters: dict[str, EmulatedCluster]

    if TYPE_CHECKING:

        def _tick(self) -> None: ...

        def _cluster(self, cluster_arn: str) -> EmulatedCluster: ...

        def list_tags_for_resource(self, resource_arn: str) -> dict[str, str]: ...

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
            **zookeeper_strings(cluster.cluster_name, cluster.arn_uuid, cluster.region_name, cluster.kafka_version),
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
                **zookeeper_strings(cluster.cluster_name, cluster.arn_uuid, cluster.region_name, cluster.kafka_version),
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
