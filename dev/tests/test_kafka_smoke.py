"""Produce/consume across the 3 local brokers, over PLAINTEXT and over TLS."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType
from conftest import unique, wait_for

MESSAGES = 60


def plaintext_conf() -> dict[str, Any]:
    return {"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]}


def tls_conf() -> dict[str, Any]:
    return {
        "bootstrap.servers": os.environ["KAFKA_TLS_BOOTSTRAP_SERVERS"],
        "security.protocol": "SSL",
        "ssl.ca.location": os.environ["KAFKA_TLS_CA_LOCATION"],
        "ssl.endpoint.identification.algorithm": "https",  # verify SAN 127.0.0.1
    }


@pytest.fixture
def rf3_topic() -> Iterator[str]:
    admin = AdminClient(plaintext_conf())
    name = unique("smoke")
    admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=3)])[name].result(30)
    try:
        yield name
    finally:
        admin.delete_topics([name])[name].result(30)


def test_brokers_and_broker_settings() -> None:
    admin = AdminClient(plaintext_conf())
    md = admin.list_topics(timeout=10)
    assert sorted(md.brokers) == [1, 2, 3]
    assert sorted(f"{b.host}:{b.port}" for b in md.brokers.values()) == os.environ["KAFKA_BOOTSTRAP_SERVERS"].split(",")
    res = ConfigResource(ResourceType.BROKER, "1")
    cfg = next(iter(admin.describe_configs([res]).values())).result(10)
    expected = {
        "auto.create.topics.enable": "false",
        "default.replication.factor": "3",
        "min.insync.replicas": "2",
        "offsets.topic.replication.factor": "3",
        "transaction.state.log.replication.factor": "3",
        "transaction.state.log.min.isr": "2",
        "num.partitions": "1",
    }
    assert {k: cfg[k].value for k in expected} == expected


def test_auto_create_is_disabled() -> None:
    admin = AdminClient(plaintext_conf())
    name = unique("nocreate")
    p = Producer({**plaintext_conf(), "message.timeout.ms": 2000})
    p.produce(name, b"x")
    p.flush(5)
    md = admin.list_topics(timeout=5)
    assert name not in md.topics


def _roundtrip(conf: dict[str, Any], topic: str) -> None:
    admin = AdminClient(conf)
    # A new topic reaches every broker's metadata a moment after creation.
    parts = wait_for(
        lambda: (p := admin.list_topics(topic=topic, timeout=10).topics[topic].partitions)
        and all(x.leader >= 0 for x in p.values()) and p,
        15, what=f"{topic} metadata",
    )
    assert len(parts) == 3
    assert all(len(p.replicas) == 3 and len(p.isrs) == 3 for p in parts.values())
    # Leaders are spread over the brokers, so the round trip touches all three.
    assert {p.leader for p in parts.values()} == {1, 2, 3}

    run = uuid.uuid4().hex
    delivered: list[Any] = []
    producer = Producer({**conf, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
    for i in range(MESSAGES):
        producer.produce(
            topic, key=str(i).encode(), value=f"{run}:{i}".encode(), partition=i % 3,
            on_delivery=lambda err, msg: delivered.append(err or msg),
        )
    assert producer.flush(30) == 0
    errors = [d for d in delivered if not hasattr(d, "offset")]
    assert not errors, errors
    assert {m.partition() for m in delivered} == {0, 1, 2}

    consumer = Consumer({**conf, "group.id": unique("smoke-group"), "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen: set[str] = set()
    try:
        import time

        deadline = time.monotonic() + 60
        while len(seen) < MESSAGES and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            value = msg.value().decode()
            if value.startswith(run):
                seen.add(value)
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    assert len(seen) == MESSAGES


def test_produce_consume_plaintext(rf3_topic: str) -> None:
    _roundtrip(plaintext_conf(), rf3_topic)


def test_produce_consume_tls_with_ca_verification(rf3_topic: str) -> None:
    _roundtrip(tls_conf(), rf3_topic)


@pytest.mark.parametrize("port", os.environ.get("KAFKA_TLS_BOOTSTRAP_SERVERS", "").split(","))
def test_each_tls_listener_serves_metadata(port: str) -> None:
    md = AdminClient({**tls_conf(), "bootstrap.servers": port}).list_topics(timeout=10)
    assert sorted(md.brokers) == [1, 2, 3]


def test_tls_rejects_untrusted_ca() -> None:
    """Verification is really on: the system CA bundle does not trust the dev CA."""
    conf = {**tls_conf(), "ssl.ca.location": "/etc/ssl/certs/ca-certificates.crt", "log_level": 0}
    with pytest.raises(KafkaException):
        AdminClient(conf).list_topics(timeout=4)
