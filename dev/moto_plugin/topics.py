"""The MSK topic API acting on the real local Kafka (confluent-kafka AdminClient).

Every emulated MSK cluster is backed by the *same* local 3-node Kafka, so a
topic created through one cluster ARN is visible through every other one (and
to any Kafka client using the bootstrap brokers).  Topic names must therefore
be unique across tests.

Wire format of ``configs`` (Create/Update/DescribeTopic): base64 of a Java
properties text, one ``key=value`` per line, e.g.
``cleanup.policy=compact\\nretention.ms=604800000`` (the AWS example
``Y29tcHJlc3Npb24udHlwZT1wcm9kdWNlcgpyZXRlbnRpb24ubXM9NjA0ODAwMDAw`` decodes
to ``compression.type=producer\\nretention.ms=604800000``).
"""

from __future__ import annotations

import base64
import binascii
import threading
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
    ResourceType,
)

from . import settings
from .exceptions import (
    BadRequestException,
    ClusterConnectivityException,
    KafkaRequestException,
    KafkaTimeoutException,
    MskError,
    NotFoundException,
    TopicExistsException,
)

# Seconds to wait for the local Kafka to answer one admin request.
ADMIN_TIMEOUT = 30.0


def decode_configs(encoded: str | None) -> dict[str, str]:
    """base64(properties text) -> {key: value}.  Raises BadRequestException."""
    if encoded is None:
        return {}
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadRequestException(
            "configs must be a Base64-encoded string", invalid_parameter="configs"
        ) from exc
    out: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        sep = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if sep <= 0:
            raise BadRequestException(
                f"configs: line {raw_line!r} is not of the form key=value",
                invalid_parameter="configs",
            )
        out[line[:sep].strip()] = line[sep + 1 :].strip()
    return out


def encode_configs(configs: dict[str, str]) -> str:
    text = "\n".join(f"{k}={v}" for k, v in sorted(configs.items()))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _map_kafka_error(err: KafkaError | None, topic: str) -> MskError:
    """Translate a Kafka protocol error into the MSK error shape the API documents."""
    if err is None:
        return KafkaRequestException(f"Kafka request for topic {topic} failed")
    code = err.code()
    text = err.str()
    if code == KafkaError.TOPIC_ALREADY_EXISTS:
        return TopicExistsException(f"Topic {topic} already exists.", invalid_parameter="topicName")
    if code == KafkaError.UNKNOWN_TOPIC_OR_PART:
        return NotFoundException(f"Topic {topic} does not exist.", invalid_parameter="topicName")
    if code in (
        KafkaError.INVALID_PARTITIONS,
        KafkaError.INVALID_REPLICATION_FACTOR,
        KafkaError.INVALID_REPLICA_ASSIGNMENT,
        KafkaError.INVALID_CONFIG,
        KafkaError.INVALID_TOPIC_EXCEPTION,
        KafkaError.POLICY_VIOLATION,
        KafkaError.INVALID_REQUEST,
    ):
        return BadRequestException(f"{err.name()}: {text}")
    if code in (KafkaError._TIMED_OUT, KafkaError.REQUEST_TIMED_OUT):
        return KafkaTimeoutException(f"Timed out talking to Kafka: {text}")
    if code in (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN, KafkaError._RESOLVE):
        return ClusterConnectivityException(f"Cannot reach the Kafka cluster: {text}")
    return KafkaRequestException(f"{err.name()}: {text}")


def _raise_from(exc: BaseException, topic: str) -> None:
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        raise _map_kafka_error(exc.args[0], topic) from exc
    raise KafkaRequestException(f"Kafka request for topic {topic} failed: {exc}") from exc


@dataclass
class TopicDetails:
    name: str
    partition_count: int
    replication_factor: int
    out_of_sync_replica_count: int
    partitions: list[dict[str, Any]] = field(default_factory=list)


class KafkaTopicAdmin:
    """Thin, thread-safe wrapper around one AdminClient to the local cluster."""

    def __init__(self) -> None:
        self._client: AdminClient | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> AdminClient:
        with self._lock:
            if self._client is None:
                self._client = AdminClient(
                    {
                        "bootstrap.servers": settings.get().kafka_bootstrap_servers,
                        "client.id": "forgectl-moto-plugin",
                        "socket.timeout.ms": 10000,
                    }
                )
            return self._client

    # -- reads -------------------------------------------------------------

    def _metadata(self, topic: str | None = None) -> Any:
        try:
            return self.client.list_topics(topic=topic, timeout=ADMIN_TIMEOUT)
        except KafkaException as exc:
            _raise_from(exc, topic or "*")

    @staticmethod
    def _details(name: str, meta: Any) -> TopicDetails:
        partitions = []
        out_of_sync = 0
        rf = 0
        for pid in sorted(meta.partitions):
            p = meta.partitions[pid]
            rf = max(rf, len(p.replicas))
            out_of_sync += len(set(p.replicas) - set(p.isrs))
            partitions.append(
                {
                    "partition": pid,
                    "leader": p.leader,
                    "replicas": list(p.replicas),
                    "isr": list(p.isrs),
                }
            )
        return TopicDetails(
            name=name,
            partition_count=len(meta.partitions),
            replication_factor=rf,
            out_of_sync_replica_count=out_of_sync,
            partitions=partitions,
        )

    def describe(self, name: str) -> TopicDetails:
        md = self._metadata(name)
        meta = md.topics.get(name)
        if meta is None or (meta.error is not None and meta.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART):
            raise NotFoundException(f"Topic {name} does not exist.", invalid_parameter="topicName")
        if meta.error is not None:
            raise _map_kafka_error(meta.error, name)
        return self._details(name, meta)

    def list(self) -> list[TopicDetails]:
        md = self._metadata()
        out = []
        for name, meta in md.topics.items():
            # Kafka-internal topics (__consumer_offsets, __transaction_state, ...)
            # are not listed: see README.
            if name.startswith("__") or meta.error is not None:
                continue
            out.append(self._details(name, meta))
        return sorted(out, key=lambda t: t.name)

    def topic_overrides(self, name: str) -> dict[str, str]:
        """Topic-level overrides (source DYNAMIC_TOPIC_CONFIG) of one topic."""
        resource = ConfigResource(ResourceType.TOPIC, name)
        try:
            futures = self.client.describe_configs([resource], request_timeout=ADMIN_TIMEOUT)
            entries = next(iter(futures.values())).result()
        except KafkaException as exc:
            _raise_from(exc, name)
        return {
            key: entry.value
            for key, entry in entries.items()
            if entry.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value and entry.value is not None
        }

    # -- writes ------------------------------------------------------------

    def create(self, name: str, partitions: int, replication_factor: int, configs: dict[str, str]) -> None:
        new = NewTopic(name, num_partitions=partitions, replication_factor=replication_factor, config=configs)
        try:
            futures = self.client.create_topics(
                [new], operation_timeout=ADMIN_TIMEOUT, request_timeout=ADMIN_TIMEOUT
            )
            futures[name].result()
        except KafkaException as exc:
            _raise_from(exc, name)

    def set_partition_count(self, name: str, total: int) -> None:
        try:
            futures = self.client.create_partitions(
                [NewPartitions(name, total)], operation_timeout=ADMIN_TIMEOUT, request_timeout=ADMIN_TIMEOUT
            )
            futures[name].result()
        except KafkaException as exc:
            _raise_from(exc, name)

    def set_configs(self, name: str, configs: dict[str, str]) -> None:
        entries = [
            ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in configs.items()
        ]
        resource = ConfigResource(ResourceType.TOPIC, name, incremental_configs=entries)
        try:
            futures = self.client.incremental_alter_configs([resource], request_timeout=ADMIN_TIMEOUT)
            next(iter(futures.values())).result()
        except KafkaException as exc:
            _raise_from(exc, name)

    def delete(self, name: str) -> None:
        try:
            futures = self.client.delete_topics(
                [name], operation_timeout=ADMIN_TIMEOUT, request_timeout=ADMIN_TIMEOUT
            )
            futures[name].result()
        except KafkaException as exc:
            _raise_from(exc, name)


admin = KafkaTopicAdmin()
