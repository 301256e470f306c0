"""Shared fixtures for the dev-stack tests.

These tests run against the *running* stack (``dev/stack up`` then
``eval "$(dev/stack env)"``).  If it is not reachable every test fails with
"run dev/stack up": they never skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from confluent_kafka.admin import AdminClient

DEV = Path(__file__).resolve().parents[1]
STACK = DEV / "stack"
NOT_UP = "local stack not reachable: run dev/stack up (and eval \"$(dev/stack env)\")"
REQUIRED_ENV = (
    "AWS_ENDPOINT_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_TLS_BOOTSTRAP_SERVERS",
    "KAFKA_TLS_CA_LOCATION",
    "DI_POSTGRES_PASSWORD",
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def http_json(method: str, url: str, payload: Any = None, timeout: float = 5.0) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def _stack_problem() -> str | None:
    """None if the stack answers, else why not (the message tells what to run)."""
    missing = [k for k in REQUIRED_ENV if not os.environ.get(k)]
    if missing:
        return f"{NOT_UP}; missing env: {', '.join(missing)}"
    try:
        health = http_json("GET", f"{os.environ['AWS_ENDPOINT_URL']}/forgectl-plugin/health", timeout=3)
        assert health["status"] == "ok"
    except (urllib.error.URLError, OSError, AssertionError, KeyError, ValueError) as exc:
        return f"{NOT_UP}; moto plug-in: {exc}"
    try:
        md = AdminClient({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]}).list_topics(timeout=5)
        assert len(md.brokers) == 3, f"{len(md.brokers)} brokers"
    except Exception as exc:  # noqa: BLE001
        return f"{NOT_UP}; kafka: {exc}"
    return None


class StackNotUp(pytest.Item):
    """Stands in for the whole suite when the stack is down: one FAILED test."""

    def __init__(self, *, problem: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem = problem

    def runtest(self) -> None:
        pytest.fail(self.problem, pytrace=False)

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, 0, "local stack is up"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Fail (never skip) when the stack is down, with "run dev/stack up"."""
    if not items:
        return
    problem = _stack_problem()
    if problem is None:
        return
    config.hook.pytest_deselected(items=list(items))
    items[:] = [StackNotUp.from_parent(session, name="local_stack_is_up", problem=problem)]


@pytest.fixture(scope="session")
def stack() -> dict[str, str]:
    return {k: os.environ[k] for k in REQUIRED_ENV}


@pytest.fixture(scope="session")
def endpoint(stack: dict[str, str]) -> str:
    return stack["AWS_ENDPOINT_URL"]


@pytest.fixture(scope="session")
def aws_config() -> Config:
    # No retries: an emulator bug must not hide behind a retried 5xx.
    return Config(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="session")
def kafka(endpoint: str, aws_config: Config) -> Any:
    return boto3.client("kafka", endpoint_url=endpoint, config=aws_config)


class Plugin:
    """Client for the plug-in's own endpoints (config + request log)."""

    def __init__(self, endpoint: str):
        self.base = f"{endpoint}/forgectl-plugin"

    def config(self) -> dict[str, Any]:
        return http_json("GET", f"{self.base}/config")

    def set_config(self, **changes: Any) -> dict[str, Any]:
        return http_json("POST", f"{self.base}/config", changes)

    def reset_config(self) -> dict[str, Any]:
        return http_json("POST", f"{self.base}/config", {"reset": True})

    def requests(self, **filters: str) -> list[dict[str, Any]]:
        qs = "&".join(f"{k}={v}" for k, v in filters.items())
        return http_json("GET", f"{self.base}/requests" + (f"?{qs}" if qs else ""))["requests"]

    def reset_requests(self) -> None:
        http_json("POST", f"{self.base}/requests/reset", {})


@pytest.fixture(scope="session")
def plugin(endpoint: str) -> Plugin:
    return Plugin(endpoint)


@pytest.fixture
def delays(plugin: Plugin) -> Iterator[Callable[..., dict[str, Any]]]:
    """Set short emulator delays for one test; the start-up values come back after."""
    plugin.set_config(create_delay_seconds=1.0, update_delay_seconds=1.5, delete_delay_seconds=1.0)
    try:
        yield plugin.set_config
    finally:
        plugin.reset_config()


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.2, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last={last!r})")


def provisioned(
    *,
    client_broker: str | None = "TLS",
    subnets: int = 3,
    brokers: int = 3,
    volume: int = 100,
    instance_type: str = "kafka.m5.large",
    client_authentication: dict[str, Any] | None = None,
    configuration: dict[str, Any] | None = None,
    kafka_version: str = "3.9.x",
) -> dict[str, Any]:
    p: dict[str, Any] = {
        "BrokerNodeGroupInfo": {
            "InstanceType": instance_type,
            "ClientSubnets": [f"subnet-{i:08x}" for i in range(subnets)],
            "SecurityGroups": ["sg-0123456789abcdef0"],
            "StorageInfo": {"EbsStorageInfo": {"VolumeSize": volume}},
        },
        "KafkaVersion": kafka_version,
        "NumberOfBrokerNodes": brokers,
    }
    if client_broker is not None:
        p["EncryptionInfo"] = {"EncryptionInTransit": {"ClientBroker": client_broker, "InCluster": True}}
    if client_authentication is not None:
        p["ClientAuthentication"] = client_authentication
    if configuration is not None:
        p["ConfigurationInfo"] = configuration
    return p


class Clusters:
    """Creates clusters and deletes whatever is left at teardown."""

    def __init__(self, kafka: Any):
        self.kafka = kafka
        self.arns: list[str] = []

    def create(self, name: str | None = None, tags: dict[str, str] | None = None, **kw: Any) -> str:
        resp = self.kafka.create_cluster_v2(
            ClusterName=name or unique("fgtest"), Provisioned=provisioned(**kw), Tags=tags or {}
        )
        self.arns.append(resp["ClusterArn"])
        return resp["ClusterArn"]

    def state(self, arn: str) -> str:
        return self.kafka.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]["State"]

    def wait_active(self, arn: str, timeout: float = 30.0) -> dict[str, Any]:
        wait_for(lambda: self.state(arn) == "ACTIVE", timeout, what=f"{arn} ACTIVE")
        return self.kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]

    def create_active(self, **kw: Any) -> tuple[str, dict[str, Any]]:
        arn = self.create(**kw)
        return arn, self.wait_active(arn)

    def cleanup(self) -> None:
        for arn in self.arns:
            try:
                self.kafka.delete_cluster(ClusterArn=arn)
            except self.kafka.exceptions.NotFoundException:
                pass


@pytest.fixture
def clusters(kafka: Any, delays: Any) -> Iterator[Clusters]:
    c = Clusters(kafka)
    try:
        yield c
    finally:
        c.cleanup()


@pytest.fixture(scope="module")
def shared_cluster(kafka: Any, plugin: Plugin) -> Iterator[str]:
    """One ACTIVE cluster (TLS) reused by read-mostly tests of a module."""
    plugin.set_config(create_delay_seconds=0.5)
    c = Clusters(kafka)
    try:
        arn, _ = c.create_active()
    finally:
        plugin.reset_config()
    try:
        yield arn
    finally:
        c.cleanup()


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


def stack_cmd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(STACK), *args], text=True, capture_output=True, timeout=120)
