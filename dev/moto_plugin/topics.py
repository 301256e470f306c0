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
import time
from collections.abc import Callable
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
# How long reads keep insisting on seeing our own recent writes.
EXPECT_SECONDS = 10.0


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
        KafkaError.TOPIC_EXCEPTION,
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
        # Read-your-writes: after a write, reads re-poll (bounded) until the
        # broker that answers agrees with it.  name -> (predicate, deadline).
        self._expect: dict[str, tuple[Callable[[Any], bool], float]] = {}
        self._expect_configs: dict[str, tuple[dict[str, str], float]] = {}

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

    def _expectation(self, name: str) -> Callable[[Any], bool] | None:
        with self._lock:
            entry = self._expect.get(name)
            if entry is None:
                return None
            if time.monotonic() > entry[1]:
                del self._expect[name]
                return None
            return entry[0]

    def _expect_meta(self, name: str, predicate: Callable[[Any], bool]) -> None:
        with self._lock:
            self._expect[name] = (predicate, time.monotonic() + EXPECT_SECONDS)

    def _consistent(self, fetch: Callable[[], Any], names: "list[str] | None") -> Any:
        """Re-fetch metadata until it agrees with our recent writes (bounded).

        A full listing waits less: a topic changed behind the emulator's back
        (e.g. deleted with a plain Kafka client) must not stall every list.
        """
        deadline = time.monotonic() + (EXPECT_SECONDS if names is not None else 2.0)
        while True:
            md = fetch()
            pending = [
                n for n in (names if names is not None else list(self._expect))
                if (pred := self._expectation(n)) is not None and not pred(md.topics.get(n))
            ]
            if not pending or time.monotonic() > deadline:
                return md
            time.sleep(0.1)

    def describe(self, name: str) -> TopicDetails:
        md = self._consistent(lambda: self._metadata(name), [name])
        meta = md.topics.get(name)
        if meta is None or (meta.error is not None and meta.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART):
            raise NotFoundException(f"Topic {name} does not exist.", invalid_parameter="topicName")
        if meta.error is not None:
            raise _map_kafka_error(meta.error, name)
        return self._details(name, meta)

    def list(self) -> list[TopicDetails]:
        md = self._consistent(lambda: self._metadata(), None)
        out = []
        for name, meta in md.topics.items():
            # Kafka-internal topics (__consumer_offsets, __transaction_state, ...)
            # are not listed: see README.
            if name.startswith("__") or meta.error is not None:
                continue
            out.append(self._details(name, meta))
        return sorted(out, key=lambda t: t.name)

    def _fetch_overrides(self, name: str) -> dict[str, str]:
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

    def topic_overrides(self, name: str) -> dict[str, str]:
        """Topic-level overrides (source DYNAMIC_TOPIC_CONFIG) of one topic."""
        with self._lock:
            expected, until = self._expect_configs.get(name, ({}, 0.0))
        until = max(until, time.monotonic() + EXPECT_SECONDS if self._expectation(name) else 0.0)
        while True:
            try:
                current = self._fetch_overrides(name)
            except NotFoundException:
                # The answering broker may not know a topic we just created.
                if time.monotonic() > until:
                    raise
                time.sleep(0.1)
                continue
            if time.monotonic() > until or all(current.get(k) == v for k, v in expected.items()):
                return current
            time.sleep(0.1)

    # -- writes ------------------------------------------------------------
    #
    # Kafka acknowledges an admin request once the controller committed it;
    # brokers learn about it a moment later.  Each write waits until the
    # change is visible in metadata, so a Describe right after a write is
    # consistent (AWS's own ~1 minute staleness is modelled separately, see
    # settings.topic_status_lag_seconds).

    def _wait_visible(self, name: str, predicate: Callable[[Any], bool], what: str) -> None:
        self._expect_meta(name, predicate)
        deadline = time.monotonic() + ADMIN_TIMEOUT
        while time.monotonic() < deadline:
            try:
                md = self.client.list_topics(topic=name, timeout=5)
                if predicate(md.topics.get(name)):
                    return
            except KafkaException:
                pass
            time.sleep(0.1)
        raise KafkaTimeoutException(f"Topic {name}: {what} not visible in cluster metadata after {ADMIN_TIMEOUT:.0f}s")

    def create(self, name: str, partitions: int, replication_factor: int, configs: dict[str, str]) -> None:
        new = NewTopic(name, num_partitions=partitions, replication_factor=replication_factor, config=configs)
        with self._lock:
            self._expect_configs[name] = (dict(configs), time.monotonic() + EXPECT_SECONDS)
        try:
            futures = self.client.create_topics(
                [new], operation_timeout=ADMIN_TIMEOUT, request_timeout=ADMIN_TIMEOUT
            )
            futures[name].result()
        except KafkaException as exc:
            _raise_from(exc, name)
        self._wait_visible(
            name, lambda m: m is not None and m.error is None and len(m.partitions) == partitions, "creation"
        )

    def set_partition_count(self, name: str, total: int) -> None:
        try:
            futures = self.client.create_partitions(
                [NewPartitions(name, total)], operation_timeout=ADMIN_TIMEOUT, request_timeout=ADMIN_TIMEOUT
            )
            futures[name].result()
        except KafkaException as exc:
            _raise_from(exc, name)
        self._wait_visible(
            name, lambda m: m is not None and m.error is None and len(m.partitions) == total, "new partitions"
        )

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
        with self._lock:
            merged = dict(self._expect_configs.get(name, ({}, 0.0))[0])
            merged.update(configs)
            self._expect_configs[name] = (merged, time.monotonic() + EXPECT_SECONDS)
        deadline = time.monotonic() + ADMIN_TIMEOUT
        while time.monotonic() < deadline:
            current = self._fetch_overrides(name)
            if all(current.get(k) == v for k, v in configs.items()):
                return
            time.sleep(0.1)
        raise KafkaTimeoutException(f"Topic {name}: new configs not visible after {ADMIN_TIMEOUT:.0f}s")

    def delete(self, name: str) -> None:
        with self._lock:
            self._expect_configs.pop(name, None)
        try:
            futures = self.client.delete_topics(
                [name], operation_timeout=ADMIN_TIMEOUT, request_timeout=ADMIN_TIMEOUT
            )
            futures[name].result()
        except KafkaException as exc:
            _raise_from(exc, name)
        self._wait_visible(
            name,
            lambda m: m is None or (m.error is not None and m.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART),
            "deletion",
        )


admin = KafkaTopicAdmin()
