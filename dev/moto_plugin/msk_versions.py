"""The Kafka versions MSK accepts for new provisioned clusters, and ListKafkaVersions.

Facts from AWS's "Supported Apache Kafka versions" and "KRaft mode" pages:

* a version string ending in ``.kraft`` creates a KRaft cluster; the same line
  without the suffix creates a ZooKeeper cluster (KRaft exists from 3.7.x);
* the 4.x lines run only in KRaft mode (Apache Kafka 4 has no ZooKeeper);
* versions past their end-of-support date are refused for new clusters;
* M7g brokers need 2.8.2.tiered or 3.3.2 and later, Express brokers 3.6 and
  later (every version listed here qualifies, so no combination is refused
  today; the check stays so that a new line cannot slip past it).
"""

from __future__ import annotations

from .exceptions import BadRequestException
from .msk_common import Json

# Newest last.  Each entry: the string CreateCluster takes.
SUPPORTED_VERSIONS: tuple[str, ...] = (
    "3.7.x",
    "3.7.x.kraft",
    "3.8.x",
    "3.8.x.kraft",
    "3.9.x",
    "3.9.x.kraft",
    "4.0.x.kraft",
    "4.1.x.kraft",
)


def is_kraft(version: str | None) -> bool:
    """KRaft clusters have no ZooKeeper connection strings."""
    if not version:
        return False
    if version.endswith(".kraft"):
        return True
    try:
        return _line(version)[0] >= 4
    except ValueError:
        return False


def _line(version: str) -> tuple[int, int]:
    """(major, minor) of "3.9.x" or "4.1.x.kraft"; ValueError on anything else."""
    parts = version.split(".")
    if len(parts) < 2:
        raise ValueError(version)
    return int(parts[0]), int(parts[1])


def check_new_cluster(version: str, instance_type: str | None) -> None:
    """Raise what CreateCluster answers for a version/broker combination AWS refuses."""
    if version not in SUPPORTED_VERSIONS:
        hint = ""
        if version.startswith("4.") and not version.endswith(".kraft"):
            hint = f" Kafka 4 runs only in KRaft mode: use {version}.kraft."
        raise BadRequestException(
            f"The specified Kafka version {version} is not supported.{hint}",
            invalid_parameter="kafkaVersion",
        )
    family = (instance_type or "").split(".")
    if len(family) >= 2 and family[0] == "express" and _line(version) < (3, 6):
        raise BadRequestException(
            f"Express brokers need Kafka 3.6 or later, not {version}.",
            invalid_parameter="instanceType",
        )


def list_kafka_versions() -> list[Json]:
    return [{"version": v, "status": "ACTIVE"} for v in SUPPORTED_VERSIONS]


def zookeeper_strings(cluster_name: str, arn_uuid: str, region: str, version: str | None) -> Json:
    """The connection strings DescribeCluster shows for a ZooKeeper-mode cluster.

    The hosts are names only (no ZooKeeper runs here): clients have not used
    ZooKeeper since Kafka 3.0, but a runbook's cluster shows them and its
    security group opens 2181 for them.
    """
    if not version or is_kraft(version):
        return {}
    short = arn_uuid.split("-")[0][:6]
    hosts = [f"z-{n}.{cluster_name}.{short}.c2.kafka.{region}.amazonaws.com" for n in (1, 2, 3)]
    return {
        "zookeeperConnectString": ",".join(f"{h}:2181" for h in hosts),
        "zookeeperConnectStringTls": ",".join(f"{h}:2182" for h in hosts),
    }
