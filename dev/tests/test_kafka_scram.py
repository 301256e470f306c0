"""The stack's SASL_SSL listener: SCRAM-SHA-512 over the dev CA, like MSK's
`client_auth: sasl-scram`."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
from conftest import DEV, stack_cmd, unique, wait_for

SASL_BOOTSTRAP = "127.0.0.1:29296,127.0.0.1:29297,127.0.0.1:29298"


def _sasl_conf(bootstrap: str, password: str) -> dict[str, object]:
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": os.environ["KAFKA_SASL_MECHANISM"],
        "sasl.username": os.environ["KAFKA_SASL_USERNAME"],
        "sasl.password": password,
        "ssl.ca.location": os.environ["KAFKA_TLS_CA_LOCATION"],
        "ssl.endpoint.identification.algorithm": "https",
        "socket.timeout.ms": 5000,
        "log_level": 0,
    }


def test_env_exports_the_scram_listener_and_credential() -> None:
    assert os.environ["KAFKA_SASL_BOOTSTRAP_SERVERS"] == SASL_BOOTSTRAP
    assert os.environ["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert os.environ["KAFKA_SASL_USERNAME"] == "forgectl-dev"
    pw_file = (DEV / ".run").resolve() / "kafka" / "scram.password"
    assert os.environ["KAFKA_SASL_PASSWORD"] == pw_file.read_text().strip()
    assert len(os.environ["KAFKA_SASL_PASSWORD"]) >= 24
    assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600


def test_status_shows_the_sasl_listener() -> None:
    res = stack_cmd("status")
    assert res.returncode == 0, res.stdout + res.stderr
    kafka_row = next(line for line in res.stdout.splitlines() if line.startswith("kafka "))
    assert f"sasl_ssl {SASL_BOOTSTRAP}" in kafka_row and kafka_row.rstrip().endswith("up")


def test_every_broker_accepts_the_scram_login_and_serves_topics() -> None:
    password = os.environ["KAFKA_SASL_PASSWORD"]
    for address in SASL_BOOTSTRAP.split(","):
        md = AdminClient(_sasl_conf(address, password)).list_topics(timeout=10)
        assert len(md.brokers) == 3, address
        # Advertised SASL_SSL addresses: clients stay on this listener.
        assert {f"{b.host}:{b.port}" for b in md.brokers.values()} == set(SASL_BOOTSTRAP.split(","))
    admin = AdminClient(_sasl_conf(SASL_BOOTSTRAP, password))
    topic = unique("scram-smoke")
    admin.create_topics([NewTopic(topic, 1, 3)])[topic].result(timeout=15)
    try:
        wait_for(lambda: topic in admin.list_topics(timeout=10).topics, timeout=15, what=f"{topic} in metadata")
    finally:
        # Right after the create, the broker asked may not know the topic yet.
        wait_for(lambda: _deleted(admin, topic), timeout=15, what=f"delete {topic}")


def _deleted(admin: AdminClient, topic: str) -> bool:
    try:
        admin.delete_topics([topic])[topic].result(timeout=10)
        return True
    except KafkaException as exc:
        if exc.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            return False
        raise


def test_wrong_password_is_refused() -> None:
    admin = AdminClient(_sasl_conf(SASL_BOOTSTRAP.split(",")[0], "not-the-password"))
    try:
        admin.list_topics(timeout=5)
    except KafkaException:
        return
    raise AssertionError("metadata served to a wrong SCRAM password")


def test_password_never_in_a_broker_command_line_or_properties() -> None:
    password = os.environ["KAFKA_SASL_PASSWORD"]
    for n in (1, 2, 3):
        props = (DEV / ".run").resolve() / "kafka" / f"node-{n}" / "server.properties"
        assert password not in props.read_text()
        pid = int(((DEV / ".run").resolve() / "pids" / f"kafka-{n}.pid").read_text())
        assert password.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()


def test_env_output_evaluates_in_a_clean_shell(tmp_path: Path) -> None:
    # Only checks that `env` output stays eval-able; the real file is untouched.
    res = subprocess.run(["bash", "-c", f'eval "$({DEV / "stack"} env)" && printf %s "$KAFKA_SASL_USERNAME"'],
                         text=True, capture_output=True, env={"PATH": os.environ["PATH"]}, cwd=str(tmp_path))
    assert res.returncode == 0 and res.stdout == "forgectl-dev", res.stderr
