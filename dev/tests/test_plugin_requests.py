"""The plug-in's request log and config endpoints.

The stack is shared (other test suites may call moto at the same time), so
these tests sign with their own access key and filter the log by it.
"""

from __future__ import annotations

import urllib.error
import uuid
from typing import Any

import boto3
import pytest
from conftest import http_json, unique


@pytest.fixture
def own_key() -> str:
    return "AKIATEST" + uuid.uuid4().hex[:12].upper()


def client(service: str, endpoint: str, key: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key="testing")


def test_request_log_counts_mutating_calls(plugin: Any, endpoint: str, own_key: str) -> None:
    kafka = client("kafka", endpoint, own_key)
    assert plugin.requests(access_key=own_key) == []
    arn = kafka.create_configuration(Name=unique("reqlog"), ServerProperties=b"num.partitions=1\n")["Arn"]
    kafka.describe_configuration(Arn=arn)
    kafka.list_configurations()
    kafka.delete_configuration(Arn=arn)
    client("ssm", endpoint, own_key).describe_parameters()

    mine = plugin.requests(access_key=own_key)
    assert [r["operation"] for r in mine] == [
        "CreateConfiguration", "DescribeConfiguration", "ListConfigurations", "DeleteConfiguration", "DescribeParameters",
    ]
    assert [r["service"] for r in mine] == ["kafka"] * 4 + ["ssm"]
    first = mine[0]
    assert first["method"] == "POST" and first["path"] == "/v1/configurations" and first["status"] == 200
    assert first["time"].endswith("Z") and first["access_key"] == own_key

    mutating = plugin.requests(access_key=own_key, mutating="true")
    assert [r["operation"] for r in mutating] == ["CreateConfiguration", "DeleteConfiguration"]
    assert [r["operation"] for r in plugin.requests(access_key=own_key, service="ssm")] == ["DescribeParameters"]
    since = mine[2]["seq"]
    assert [r["operation"] for r in plugin.requests(access_key=own_key, since=str(since))] == [
        "DeleteConfiguration", "DescribeParameters",
    ]
    # Unfiltered, the log holds at least our calls, in order.
    seqs = [r["seq"] for r in plugin.requests()]
    assert seqs == sorted(seqs) and {r["seq"] for r in mine} <= set(seqs)


def test_reset_clears_the_log(plugin: Any, endpoint: str, own_key: str) -> None:
    client("ssm", endpoint, own_key).describe_parameters()
    assert len(plugin.requests(access_key=own_key)) == 1
    plugin.reset_requests()
    assert plugin.requests(access_key=own_key) == []


def test_failed_calls_are_logged_with_status(plugin: Any, endpoint: str, own_key: str) -> None:
    kafka = client("kafka", endpoint, own_key)
    with pytest.raises(kafka.exceptions.NotFoundException):
        kafka.describe_configuration(Arn="arn:aws:kafka:us-east-1:123456789012:configuration/x/y")
    (entry,) = plugin.requests(access_key=own_key)
    assert entry["operation"] == "DescribeConfiguration" and entry["status"] == 404 and entry["mutating"] is False


def test_config_endpoint_validates(plugin: Any) -> None:
    for bad in ({"create_delay_seconds": -1}, {"kafka_bootstrap_servers": "x"}, {"nope": 1}):
        with pytest.raises(urllib.error.HTTPError) as e:
            http_json("POST", f"{plugin.base}/config", bad)
        assert e.value.code == 400
    try:
        assert plugin.set_config(update_delay_seconds=0.25)["update_delay_seconds"] == 0.25
        assert plugin.config()["update_delay_seconds"] == 0.25
    finally:
        restored = plugin.reset_config()
    assert restored == plugin.config()
