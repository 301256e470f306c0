"""The stack's own contract: env, status, PostgreSQL, moto, FerretDB."""

from __future__ import annotations

import os
import sys
import subprocess
from pathlib import Path

import boto3
from conftest import DEV, stack_cmd


def test_env_contract(stack: dict[str, str]) -> None:
    plaintext = "127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094"
    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:25000"
    assert os.environ["AWS_REGION"] == os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert os.environ["AWS_ACCESS_KEY_ID"] == os.environ["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert os.environ["KAFKA_BOOTSTRAP_SERVERS"] == os.environ["DI_KAFKA_BROKER_ENDPOINT"] == plaintext
    assert os.environ["KAFKA_TLS_BOOTSTRAP_SERVERS"] == "127.0.0.1:29192,127.0.0.1:29193,127.0.0.1:29194"
    ca = Path(os.environ["KAFKA_TLS_CA_LOCATION"])
    # Resolved: a worktree's dev/.run may link to the main checkout's.
    assert ca.is_absolute() and ca.is_file() and ca == (DEV / ".run").resolve() / "tls" / "ca.pem"
    assert os.environ["DI_POSTGRES_HOST"] == "127.0.0.1"
    assert os.environ["DI_POSTGRES_PORT"] == "25432"
    assert os.environ["DI_POSTGRES_USERNAME"] == "mobileforge_user"
    assert os.environ["DI_POSTGRES_DATABASE"] == "api_insights_db"
    assert os.environ["DI_POSTGRES_SYNC_DATABASE"] == "sync_db"
    assert os.environ["FORGECTL_STACK"] == "up"
    assert os.environ["DI_MONGODB_HOST"] == "127.0.0.1"
    assert os.environ["DI_MONGODB_PORT"] == "25017"
    assert os.environ["DI_MONGODB_DATABASE"] == "sync_db"
    assert os.environ["DI_MONGODB_ENABLED_SOURCES"] == "*"
    assert os.environ["FORGECTL_PROMETHEUS_URL"] == "http://127.0.0.1:25090"
    assert Path(os.environ["FORGECTL_PROMETHEUS_SD_DIR"]).is_dir()
    assert Path(os.environ["FORGECTL_PROMETHEUS_RULES_DIR"]).is_dir()
    # FerretDB over SQLite authenticates nobody, so no credentials are exported.
    assert "DI_MONGODB_USERNAME" not in os.environ and "DI_MONGODB_PASSWORD" not in os.environ
    for var in ("MAX_POOL_SIZE", "MIN_POOL_SIZE", "SERVER_SELECTION_TIMEOUT_MS", "CONNECT_TIMEOUT_MS",
                "SOCKET_TIMEOUT_MS", "WAIT_QUEUE_TIMEOUT_MS"):
        assert int(os.environ[f"DI_MONGODB_{var}"]) > 0, var
    assert os.environ["DI_MONGODB_RETRY_WRITES"] == "true"


def test_env_output_is_shell_quoted_and_matches_password_file() -> None:
    res = stack_cmd("env")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert all(line.startswith("export ") for line in lines)
    # Evaluating it in a clean shell reproduces the values.
    shell = subprocess.run(
        ["bash", "-c", f'eval "$({DEV / "stack"} env)" && printf %s "$DI_POSTGRES_PASSWORD"'],
        text=True, capture_output=True, env={"PATH": os.environ["PATH"]}, cwd="/",
    )
    assert shell.returncode == 0, shell.stderr
    pw_file = DEV / ".run" / "pg" / ".password"
    assert shell.stdout == pw_file.read_text().strip() == os.environ["DI_POSTGRES_PASSWORD"]
    assert oct(pw_file.stat().st_mode & 0o777) == "0o600"


def test_status_reports_all_up() -> None:
    res = stack_cmd("status")
    assert res.returncode == 0, res.stdout + res.stderr
    rows = {line.split()[0]: line for line in res.stdout.splitlines()[1:]}
    assert set(rows) == {"kafka", "postgres", "moto", "ferretdb", "prometheus", "kafka-lag"}
    assert all(line.rstrip().endswith("up") for line in rows.values())


def test_up_is_idempotent_when_healthy() -> None:
    res = stack_cmd("up")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "already up" in res.stdout


def _psql(db: str, sql: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PGPASSWORD=os.environ["DI_POSTGRES_PASSWORD"], PGCONNECT_TIMEOUT="5")
    return subprocess.run(
        ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", os.environ["DI_POSTGRES_HOST"],
         "-p", os.environ["DI_POSTGRES_PORT"], "-U", os.environ["DI_POSTGRES_USERNAME"], "-d", db, "-c", sql],
        text=True, capture_output=True, env=env,
    )


def test_postgres_role_owns_both_databases() -> None:
    for db in (os.environ["DI_POSTGRES_DATABASE"], os.environ["DI_POSTGRES_SYNC_DATABASE"]):
        res = _psql(db, "select current_user, pg_catalog.pg_get_userbyid(datdba) from pg_database "
                        "where datname = current_database()")
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == "mobileforge_user|mobileforge_user"
        res = _psql(db, "create temp table t(x int); insert into t values (1); select sum(x) from t")
        assert res.returncode == 0 and res.stdout.strip().endswith("1"), res.stderr


def test_postgres_rejects_wrong_password() -> None:
    env = dict(os.environ, PGPASSWORD="wrong", PGCONNECT_TIMEOUT="5")
    res = subprocess.run(
        ["psql", "-X", "-h", "127.0.0.1", "-p", "25432", "-U", "mobileforge_user", "-d", "api_insights_db", "-c", "select 1"],
        text=True, capture_output=True, env=env,
    )
    assert res.returncode != 0
    assert "password authentication failed" in res.stderr


def test_moto_serves_the_other_services_forgectl_needs(endpoint: str) -> None:
    ec2 = boto3.client("ec2", endpoint_url=endpoint)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) >= 3
    ssm = boto3.client("ssm", endpoint_url=endpoint)
    name = f"/forgectl-dev-test/{os.getpid()}/secret"
    ssm.put_parameter(Name=name, Value="s3cret", Type="SecureString", Overwrite=True)
    try:
        assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "s3cret"
    finally:
        ssm.delete_parameter(Name=name)
    iam = boto3.client("iam", endpoint_url=endpoint)
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")["Policy"]
    assert policy["PolicyName"] == "AmazonSSMManagedInstanceCore"


def test_ferretdb_answers_the_mongodb_wire_protocol() -> None:
    sys.path.insert(0, str(DEV / "tools"))
    from stack_ferretdb import ferretdb_healthy, ping_message

    # The hand-written OP_MSG is well-formed: its length prefixes add up.
    msg = ping_message()
    assert int.from_bytes(msg[:4], "little") == len(msg)
    assert int.from_bytes(msg[21:25], "little") == len(msg) - 21
    assert ferretdb_healthy(int(os.environ["DI_MONGODB_PORT"]))
    # Nothing listens next to it: a closed port is reported as down.
    assert not ferretdb_healthy(int(os.environ["DI_MONGODB_PORT"]) + 1, timeout=1.0)


def test_ferretdb_launcher_refuses_to_start_without_a_data_dir() -> None:
    sys.path.insert(0, str(DEV / "tools"))
    from stack_common import FERRETDB_BIN

    res = subprocess.run([str(FERRETDB_BIN), "-listen", "127.0.0.1:0"], text=True, capture_output=True, timeout=30)
    assert res.returncode == 1
    assert "-sqlite-dir is required" in res.stderr


def test_prometheus_scrapes_the_lag_exporter() -> None:
    """The lag exporter's target is up and Prometheus has its lag series."""
    import json
    import time
    import urllib.parse
    import urllib.request

    base = os.environ["FORGECTL_PROMETHEUS_URL"]
    deadline = time.time() + 30
    result: list = []
    while time.time() < deadline:
        query = urllib.parse.urlencode({"query": 'up{job="kafka-lag"}'})
        with urllib.request.urlopen(f"{base}/api/v1/query?{query}", timeout=5) as response:
            result = json.load(response)["data"]["result"]
        if result and result[0]["value"][1] == "1":
            break
        time.sleep(1)
    assert result and result[0]["value"][1] == "1", result


def test_lag_exporter_survives_its_kafka_client_crashing() -> None:
    """librdkafka once segfaulted inside the exporter and took every lag
    series with it; the client now runs in a child the exporter restarts."""
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exporter = subprocess.Popen(
        [sys.executable, str(DEV / "tools" / "kafka_lag_exporter.py"),
         "--bootstrap", os.environ["KAFKA_BOOTSTRAP_SERVERS"], "--listen", f"127.0.0.1:{port}", "--interval", "0.5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )

    def metrics() -> dict[str, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
                lines = response.read().decode().splitlines()
        except OSError:
            return {}
        return dict(line.rsplit(" ", 1) for line in lines if line.startswith("kafka_lag_exporter_"))

    def wait_for(check, what: str) -> None:
        deadline = time.time() + 30
        while time.time() < deadline:
            if check(metrics()):
                return
            time.sleep(0.3)
        raise AssertionError(f"{what} within 30 s: {metrics()}")

    try:
        wait_for(lambda m: m.get("kafka_lag_exporter_refresh_ok") == "1", "a first snapshot")
        # A child belongs to the thread that started it: look in every thread.
        # multiprocessing also starts its resource tracker: take the collector.
        children = [pid for task in Path(f"/proc/{exporter.pid}/task").iterdir()
                    for pid in (task / "children").read_text().split()
                    if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(children) == 1, children
        os.kill(int(children[0]), signal.SIGSEGV)
        wait_for(lambda m: m.get("kafka_lag_exporter_collector_restarts_total") == "1", "the restart counted")
        wait_for(lambda m: m.get("kafka_lag_exporter_refresh_ok") == "1", "snapshots again")
        assert exporter.poll() is None, "the exporter itself must keep running"
    finally:
        exporter.terminate()
        _, errors = exporter.communicate(timeout=10)
    assert "ended (exit code -11): restarting it" in errors, errors
