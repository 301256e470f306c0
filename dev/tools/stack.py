#!/usr/bin/env python3
"""forgectl local development stack: Kafka (KRaft, 3 nodes) + PostgreSQL 15 + moto.

Usage: dev/stack up | down [--purge] | reset | status | env

Everything binds to 127.0.0.1.  Runtime state lives in dev/.run (git-ignored):
pids/, logs/, tls/, kafka/node-<n>/, pg/.  Processes are only ever stopped by
the PIDs recorded in dev/.run/pids.  See dev/README.md for the contract.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

# ---------------------------------------------------------------------------
# Layout and the port/env contract
# ---------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "dev"
CACHE = DEV / ".cache"
RUN = DEV / ".run"
PIDS = RUN / "pids"
LOGS = RUN / "logs"
TLS = RUN / "tls"
KAFKA_RUN = RUN / "kafka"
PG_LINK = RUN / "pg"
VENV_PY = CACHE / "venv" / "bin" / "python"
KAFKA_LIBS = CACHE / "kafka-libs"

HOST = "127.0.0.1"
NODES = (1, 2, 3)
PLAINTEXT_PORTS = {1: 29092, 2: 29093, 3: 29094}
TLS_PORTS = {1: 29192, 2: 29193, 3: 29194}
CONTROLLER_PORTS = {1: 29292, 2: 29293, 3: 29294}
PLAINTEXT_BOOTSTRAP = ",".join(f"{HOST}:{PLAINTEXT_PORTS[n]}" for n in NODES)
TLS_BOOTSTRAP = ",".join(f"{HOST}:{TLS_PORTS[n]}" for n in NODES)
# Fixed per checkout (derived from its path, used only when formatting storage):
# two checkouts' brokers can then never join each other's quorum.
# (Passed as `--cluster-id=ID`: URL-safe base64 may start with "-", which
# the storage tool would otherwise read as a flag.)
KAFKA_CLUSTER_ID = base64.urlsafe_b64encode(hashlib.sha256(str(ROOT).encode()).digest()[:16]).decode().rstrip("=")
KAFKA_HEAP = os.environ.get("FORGECTL_KAFKA_HEAP", "-Xms256m -Xmx512m")

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT = 25432
PG_USER = "mobileforge_user"
PG_DATABASES = ("api_insights_db", "sync_db")
PG_OS_USER = "postgres"

MOTO_PORT = 25000
MOTO_URL = f"http://{HOST}:{MOTO_PORT}"

TIMEOUT = float(os.environ.get("FORGECTL_STACK_TIMEOUT_SECONDS", "120"))


def say(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)


def die(msg: str, code: int = 1) -> NoReturn:
    print(f"[stack] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def tail(path: Path, lines: int = 40) -> str:
    try:
        data = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(f"    {line}" for line in data[-lines:])


def run(cmd: list[str], check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kw)


# ---------------------------------------------------------------------------
# PID bookkeeping (only ever signal what we recorded)
# ---------------------------------------------------------------------------


def pid_file(name: str) -> Path:
    return PIDS / f"{name}.pid"


def read_pid(name: str) -> int | None:
    try:
        return int(pid_file(name).read_text().strip())
    except (OSError, ValueError):
        return None


def write_pid(name: str, pid: int) -> None:
    PIDS.mkdir(parents=True, exist_ok=True)
    pid_file(name).write_text(f"{pid}\n")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def alive(pid: int | None, marker: str) -> bool:
    """True if pid runs and its command line contains marker (guards PID reuse)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return marker in cmdline(pid) and not is_zombie(pid)


def reap() -> None:
    # Children we spawned during this invocation: collect them once they exit.
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def stop_pid(name: str, pid: int, marker: str, grace: float, group: bool = True, term: bool = True) -> bool:
    """SIGTERM (process group if we created one), wait `grace`, then SIGKILL."""
    if not alive(pid, marker):
        return True

    def send(sig: int) -> None:
        try:
            if group and os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            pass

    if term:
        send(signal.SIGTERM)
    deadline = time.time() + grace
    while time.time() < deadline:
        reap()
        if not alive(pid, marker):
            return True
        time.sleep(0.2)
    say(f"{name} (pid {pid}) did not stop within {grace:.0f}s; sending SIGKILL")
    send(signal.SIGKILL)
    for _ in range(50):
        reap()
        if not alive(pid, marker):
            return True
        time.sleep(0.1)
    return not alive(pid, marker)


MAX_LOG_BYTES = 50 * 1024 * 1024


def spawn(name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    if log.exists() and log.stat().st_size > MAX_LOG_BYTES:
        log.replace(log.with_name(log.name + ".1"))  # keep one previous generation
    with open(log, "ab") as fh:
        fh.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {shlex.join(cmd)}\n".encode())
        fh.flush()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(cwd or ROOT),
            start_new_session=True,  # own process group: down can signal the whole group
        )
    write_pid(name, proc.pid)
    return proc.pid


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def require_free(what: str, ports: list[int]) -> None:
    busy = [p for p in ports if port_in_use(p)]
    if busy:
        die(
            f"cannot start {what}: {HOST}:{','.join(map(str, busy))} already in use by a process this "
            f"stack did not start (another checkout's stack? `ss -ltnp` shows the owner)"
        )


def wait_until(what: str, check: Callable[[], bool], timeout: float, logs: list[Path], still_running: Callable[[], bool] | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        if still_running is not None and not still_running():
            break
        reap()
        time.sleep(0.5)
    else:
        msg = f"{what} not healthy after {timeout:.0f}s"
        for log in logs:
            msg += f"\n  --- tail of {log} ---\n{tail(log)}"
        die(msg + "\n  (run `dev/stack down` to stop what was started)")
    msg = f"{what} exited during start-up"
    for log in logs:
        msg += f"\n  --- tail of {log} ---\n{tail(log)}"
    die(msg)


# ---------------------------------------------------------------------------
# TLS material (openssl, generated once)
# ---------------------------------------------------------------------------

SERVER_EXT = """\
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
"""


def ensure_tls() -> None:
    keystore = TLS / "server-keystore.pem"
    if (TLS / "ca.pem").exists() and keystore.exists():
        return
    if not shutil.which("openssl"):
        die("openssl not found: run dev/setup")
    say("generating dev CA and broker certificate (dev/.run/tls)")
    TLS.mkdir(parents=True, exist_ok=True)
    os.chmod(TLS, 0o755)
    (TLS / "server.ext").write_text(SERVER_EXT)
    o = ["openssl"]
    run(o + ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3650",
             "-subj", "/CN=forgectl dev CA", "-keyout", str(TLS / "ca.key"), "-out", str(TLS / "ca.pem"),
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run(o + ["req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", "/CN=localhost",
             "-keyout", str(TLS / "server.key"), "-out", str(TLS / "server.csr")])
    run(o + ["x509", "-req", "-in", str(TLS / "server.csr"), "-CA", str(TLS / "ca.pem"),
             "-CAkey", str(TLS / "ca.key"), "-CAcreateserial", "-out", str(TLS / "server.pem"),
             "-days", "825", "-sha256", "-extfile", str(TLS / "server.ext")])
    # Kafka PEM keystore: PKCS#8 private key followed by the certificate chain.
    keystore.write_text(
        (TLS / "server.key").read_text() + (TLS / "server.pem").read_text() + (TLS / "ca.pem").read_text()
    )
    for f in ("ca.key", "server.key", "server-keystore.pem"):
        os.chmod(TLS / f, 0o600)
    os.chmod(TLS / "ca.pem", 0o644)
    os.chmod(TLS / "server.pem", 0o644)


# ---------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------


def kafka_props(n: int) -> str:
    voters = ",".join(f"{m}@{HOST}:{CONTROLLER_PORTS[m]}" for m in NODES)
    data = KAFKA_RUN / f"node-{n}" / "data"
    return f"""\
# Generated by dev/stack for node {n}; edits are overwritten on `up`.
process.roles=broker,controller
node.id={n}
controller.quorum.voters={voters}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://{HOST}:{PLAINTEXT_PORTS[n]},SSL://{HOST}:{TLS_PORTS[n]},CONTROLLER://{HOST}:{CONTROLLER_PORTS[n]}
advertised.listeners=PLAINTEXT://{HOST}:{PLAINTEXT_PORTS[n]},SSL://{HOST}:{TLS_PORTS[n]}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={data}

# Mirrors the broker settings forgectl's MSK configuration applies.
auto.create.topics.enable=false
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
num.partitions=1

# TLS listener: PEM keystore/truststore, no client authentication.
ssl.keystore.type=PEM
ssl.keystore.location={TLS / 'server-keystore.pem'}
ssl.truststore.type=PEM
ssl.truststore.location={TLS / 'ca.pem'}
ssl.client.auth=none

# Small-machine tuning.
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=67108864
"""


def kafka_marker(n: int) -> str:
    return str(KAFKA_RUN / f"node-{n}" / "server.properties")


def java_cmd(main: str, *args: str) -> list[str]:
    return [
        "java", *KAFKA_HEAP.split(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{DEV / 'kafka' / 'log4j.properties'}",
        f"-Dkafka.logs.dir={LOGS}",
        "-cp", f"{KAFKA_LIBS}/*",
        main, *args,
    ]


def start_kafka() -> list[int]:
    """Start nodes that are not running; return the nodes started."""
    started = []
    to_format = []
    for n in NODES:
        if alive(read_pid(f"kafka-{n}"), kafka_marker(n)):
            continue
        require_free(f"kafka node {n}", [PLAINTEXT_PORTS[n], TLS_PORTS[n], CONTROLLER_PORTS[n]])
        node_dir = KAFKA_RUN / f"node-{n}"
        (node_dir / "data").mkdir(parents=True, exist_ok=True)
        Path(kafka_marker(n)).write_text(kafka_props(n))
        if not (node_dir / "data" / "meta.properties").exists():
            to_format.append(n)
        started.append(n)
    # Format storage (first start only) for all nodes in parallel.
    procs = {
        n: subprocess.Popen(
            java_cmd("kafka.tools.StorageTool", "format", f"--cluster-id={KAFKA_CLUSTER_ID}", "-c", kafka_marker(n), "--ignore-formatted"),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=str(ROOT),
        )
        for n in to_format
    }
    for n, p in procs.items():
        out, _ = p.communicate(timeout=120)
        if p.returncode != 0:
            die(f"formatting Kafka storage for node {n} failed:\n{out}")
    if to_format:
        say(f"formatted KRaft storage for node(s) {to_format} (cluster id {KAFKA_CLUSTER_ID})")
    for n in started:
        pid = spawn(f"kafka-{n}", java_cmd("kafka.Kafka", kafka_marker(n)), LOGS / f"kafka-{n}.log")
        say(f"kafka node {n} starting (pid {pid})")
    return started


def kafka_metadata(bootstrap: str, extra: dict[str, str] | None = None, timeout: float = 5.0):
    from confluent_kafka.admin import AdminClient

    conf = {"bootstrap.servers": bootstrap, "socket.timeout.ms": int(timeout * 1000), "log_level": 0}
    conf.update(extra or {})
    return AdminClient(conf).list_topics(timeout=timeout)


def kafka_healthy(timeout: float = 5.0) -> bool:
    # Brokers only register (and so only appear in metadata) once the KRaft
    # controller quorum has elected a leader, so 3 brokers => quorum formed.
    try:
        md = kafka_metadata(PLAINTEXT_BOOTSTRAP, timeout=timeout)
    except Exception:
        return False
    return len(md.brokers) == len(NODES) and md.controller_id in NODES


def kafka_tls_ok(timeout: float = 10.0) -> list[str]:
    """Fetch metadata over every TLS listener with CA verification; return failures."""
    failures = []
    for n in NODES:
        try:
            md = kafka_metadata(
                f"{HOST}:{TLS_PORTS[n]}",
                {
                    "security.protocol": "SSL",
                    "ssl.ca.location": str(TLS / "ca.pem"),
                    "ssl.endpoint.identification.algorithm": "https",
                },
                timeout=timeout,
            )
            if len(md.brokers) != len(NODES):
                failures.append(f"{HOST}:{TLS_PORTS[n]} saw {len(md.brokers)} brokers")
        except Exception as exc:  # noqa: BLE001
            failures.append(f"{HOST}:{TLS_PORTS[n]}: {exc}")
    return failures


def stop_kafka() -> None:
    # Signal every node first, then wait: a KRaft quorum shuts down faster together.
    pids = {n: read_pid(f"kafka-{n}") for n in NODES}
    running = {n: p for n, p in pids.items() if alive(p, kafka_marker(n))}
    for n, pid in running.items():
        try:
            os.killpg(pid, signal.SIGTERM) if os.getpgid(pid) == pid else os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    results = {}
    threads = []
    for n, pid in running.items():
        t = threading.Thread(target=lambda n=n, pid=pid: results.__setitem__(n, stop_pid(f"kafka-{n}", pid, kafka_marker(n), 45.0, term=False)))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for n in NODES:
        if results.get(n, True):
            pid_file(f"kafka-{n}").unlink(missing_ok=True)
    if running:
        say(f"kafka stopped (nodes {sorted(running)})")


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------


@dataclass
class PgPaths:
    root: Path
    data: Path
    socket_dir: Path
    password: Path
    log: Path


def _pg_can_reach(path: Path) -> bool:
    return run(["runuser", "-u", PG_OS_USER, "--", "test", "-x", str(path)], check=False).returncode == 0


def pg_paths(create: bool = False) -> PgPaths:
    """dev/.run/pg, or (if the postgres user cannot traverse the checkout, e.g.
    a clone under /root) a directory under /var/tmp that dev/.run/pg links to."""
    digest = hashlib.sha1(str(ROOT).encode()).hexdigest()[:10]
    if PG_LINK.is_symlink():
        root = PG_LINK.resolve()
    elif PG_LINK.exists() or not create:
        root = PG_LINK
    else:
        RUN.mkdir(parents=True, exist_ok=True)
        if _pg_can_reach(RUN):
            root = PG_LINK
        else:
            root = Path("/var/tmp") / f"forgectl-dev-{digest}" / "pg"
            root.mkdir(parents=True, exist_ok=True)
            PG_LINK.symlink_to(root)
            say(f"postgres cannot traverse {RUN}; its files live in {root} (linked from {PG_LINK})")
    sock = root / "socket"
    if len(str(sock)) + len(f"/.s.PGSQL.{PG_PORT}") > 100:
        sock = Path("/tmp") / f"forgectl-pg-{digest}"
    # The server log must be writable by postgres: next to the data when the
    # checkout is out of its reach (dev/.run/logs/postgres.log then links to it).
    log = LOGS / "postgres.log" if root == PG_LINK else root / "postgres.log"
    return PgPaths(root=root, data=root / "data", socket_dir=sock, password=root / ".password", log=log)


def pg_bin(name: str) -> str:
    p = PG_BIN / name
    return str(p) if p.exists() else name


def as_postgres(cmd: list[str], check: bool = True, input: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", PG_OS_USER, "--", *cmd],
        check=check, text=True, capture_output=True, input=input, cwd=str(cwd or "/"),
    )


def pg_password(paths: PgPaths) -> str | None:
    try:
        return paths.password.read_text().strip() or None
    except OSError:
        return None


def pg_marker(paths: PgPaths) -> str:
    return str(paths.data)


def pg_postmaster_pid(paths: PgPaths) -> int | None:
    try:
        return int((paths.data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def pg_conf(paths: PgPaths) -> str:
    return f"""\
# Written by dev/stack on every `up`.
listen_addresses = '{HOST}'
port = {PG_PORT}
unix_socket_directories = '{paths.socket_dir}'
max_connections = 100
shared_buffers = 128MB
timezone = 'UTC'
log_timezone = 'UTC'
"""


def start_postgres() -> bool:
    """Init (once) and start Postgres if not running; returns True if started."""
    if not (PG_BIN / "initdb").exists():
        die(f"{PG_BIN}/initdb not found: run dev/setup")
    try:
        import pwd

        pw = pwd.getpwnam(PG_OS_USER)
    except KeyError:
        die(f"system user {PG_OS_USER!r} missing: run dev/setup (installs postgresql)")
    paths = pg_paths(create=True)
    if alive(read_pid("postgres"), pg_marker(paths)):
        return False
    require_free("postgres", [PG_PORT])
    paths.root.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.root, 0o755)
    if not (paths.data / "PG_VERSION").exists():
        if paths.data.exists():
            shutil.rmtree(paths.data)  # a half-finished initdb
        paths.data.mkdir(mode=0o700)
        os.chown(paths.data, pw.pw_uid, pw.pw_gid)
        password = pg_password(paths) or secrets.token_urlsafe(24)
        paths.password.write_text(password + "\n")
        os.chmod(paths.password, 0o600)
        say(f"initdb {paths.data}")
        res = as_postgres(
            [pg_bin("initdb"), "-D", str(paths.data), "-U", "postgres", "--encoding=UTF8",
             "--locale=C.UTF-8", "--auth-local=peer", "--auth-host=scram-sha-256"],
            check=False, cwd=paths.root,
        )
        if res.returncode != 0:
            die(f"initdb failed:\n{res.stdout}\n{res.stderr}")
        with open(paths.data / "postgresql.conf", "a") as fh:
            fh.write("\ninclude_if_exists = 'forgectl.conf'\n")
    (paths.data / "forgectl.conf").write_text(pg_conf(paths))
    os.chown(paths.data / "forgectl.conf", pw.pw_uid, pw.pw_gid)
    paths.socket_dir.mkdir(parents=True, exist_ok=True)
    os.chown(paths.socket_dir, pw.pw_uid, pw.pw_gid)
    LOGS.mkdir(parents=True, exist_ok=True)
    log = paths.log
    log.touch()
    os.chown(log, pw.pw_uid, pw.pw_gid)
    if log != LOGS / "postgres.log" and not (LOGS / "postgres.log").is_symlink():
        (LOGS / "postgres.log").unlink(missing_ok=True)
        (LOGS / "postgres.log").symlink_to(log)
    # A stale postmaster.pid from a crash is handled by postgres itself.
    res = as_postgres(
        [pg_bin("pg_ctl"), "-D", str(paths.data), "-l", str(log), "-w", "-t", str(int(TIMEOUT)), "start"],
        check=False, cwd=paths.root,
    )
    if res.returncode != 0:
        die(f"pg_ctl start failed:\n{res.stdout}\n{res.stderr}\n  --- tail of {log} ---\n{tail(log)}")
    pid = pg_postmaster_pid(paths)
    if pid is None:
        die(f"postgres started but {paths.data}/postmaster.pid is unreadable")
    write_pid("postgres", pid)
    say(f"postgres started (pid {pid})")
    return True


def pg_provision(paths: PgPaths) -> None:
    """Role + databases (idempotent).  SQL goes through stdin, never argv."""
    password = pg_password(paths)
    if not password:
        password = secrets.token_urlsafe(24)
        paths.password.write_text(password + "\n")
        os.chmod(paths.password, 0o600)
    sql = [
        "\\set ON_ERROR_STOP on",
        f"SELECT 'CREATE ROLE {PG_USER} LOGIN' WHERE NOT EXISTS "
        f"(SELECT 1 FROM pg_roles WHERE rolname = '{PG_USER}')\\gexec",
        f"ALTER ROLE {PG_USER} LOGIN PASSWORD '{password}';",
    ]
    for db in PG_DATABASES:
        sql.append(
            f"SELECT 'CREATE DATABASE {db} OWNER {PG_USER}' WHERE NOT EXISTS "
            f"(SELECT 1 FROM pg_database WHERE datname = '{db}')\\gexec"
        )
        sql.append(f"ALTER DATABASE {db} OWNER TO {PG_USER};")
    res = as_postgres(
        [pg_bin("psql"), "-X", "-q", "-h", str(paths.socket_dir), "-p", str(PG_PORT), "-d", "postgres", "-v", "ON_ERROR_STOP=1"],
        check=False, input="\n".join(sql) + "\n", cwd=paths.root,
    )
    if res.returncode != 0:
        die(f"provisioning role/databases failed:\n{res.stderr.replace(password, '***')}")


def pg_healthy(paths: PgPaths | None = None) -> bool:
    paths = paths or pg_paths()
    password = pg_password(paths)
    if not password:
        return False
    ready = run([pg_bin("pg_isready"), "-q", "-h", HOST, "-p", str(PG_PORT), "-t", "3"], check=False)
    if ready.returncode != 0:
        return False
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="3")
    res = subprocess.run(
        [pg_bin("psql"), "-X", "-At", "-h", HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", PG_DATABASES[0], "-c", "select 1"],
        env=env, text=True, capture_output=True, check=False,
    )
    return res.returncode == 0 and res.stdout.strip() == "1"


def stop_postgres() -> None:
    paths = pg_paths()
    pid = read_pid("postgres")
    if not alive(pid, pg_marker(paths)):
        pid_file("postgres").unlink(missing_ok=True)
        return
    res = as_postgres([pg_bin("pg_ctl"), "-D", str(paths.data), "stop", "-m", "fast", "-w", "-t", "30"], check=False, cwd=paths.root)
    if res.returncode != 0:
        say(f"pg_ctl stop failed ({res.stderr.strip()}); signalling pid {pid}")
    if stop_pid("postgres", pid, pg_marker(paths), 10.0, group=False):
        pid_file("postgres").unlink(missing_ok=True)
        say("postgres stopped")


# ---------------------------------------------------------------------------
# moto (through the forgectl plug-in)
# ---------------------------------------------------------------------------

MOTO_MARKER = f"{VENV_PY} -m moto_plugin"  # this checkout's venv: never another checkout's moto


def http_ok(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def moto_healthy() -> bool:
    return http_ok(f"{MOTO_URL}/forgectl-plugin/health") and http_ok(f"{MOTO_URL}/moto-api/")


def start_moto() -> bool:
    if alive(read_pid("moto"), MOTO_MARKER):
        return False
    require_free("moto", [MOTO_PORT])
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(DEV),
        PYTHONUNBUFFERED="1",
        KAFKA_BOOTSTRAP_SERVERS=PLAINTEXT_BOOTSTRAP,
        KAFKA_TLS_BOOTSTRAP_SERVERS=TLS_BOOTSTRAP,
        KAFKA_TLS_CA_LOCATION=str(TLS / "ca.pem"),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        # AWS managed IAM policies (arn:aws:iam::aws:policy/...) must be attachable.
        MOTO_IAM_LOAD_MANAGED_POLICIES="true",
    )
    env.pop("AWS_ENDPOINT_URL", None)  # moto must not call itself through an endpoint override
    pid = spawn("moto", [str(VENV_PY), "-m", "moto_plugin", "--host", HOST, "--port", str(MOTO_PORT)], LOGS / "moto.log", env=env, cwd=DEV)
    say(f"moto (forgectl plug-in) starting (pid {pid})")
    return True


def stop_moto() -> None:
    pid = read_pid("moto")
    if not alive(pid, MOTO_MARKER):
        pid_file("moto").unlink(missing_ok=True)
        return
    if stop_pid("moto", pid, MOTO_MARKER, 10.0):
        pid_file("moto").unlink(missing_ok=True)
        say("moto stopped")


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def require_setup() -> None:
    missing = []
    if not VENV_PY.exists():
        missing.append(str(VENV_PY))
    if not KAFKA_LIBS.is_dir() or not any(KAFKA_LIBS.glob("kafka_2.13-*.jar")):
        missing.append(str(KAFKA_LIBS))
    if not shutil.which("java"):
        missing.append("java")
    if missing:
        die("missing " + ", ".join(missing) + ": run dev/setup first")
    if Path(sys.executable).resolve() != VENV_PY.resolve():
        # Health checks need confluent-kafka from the venv.
        os.execv(str(VENV_PY), [str(VENV_PY), __file__, *sys.argv[1:]])


def all_healthy() -> bool:
    return kafka_healthy() and pg_healthy() and moto_healthy()


def cmd_up() -> int:
    require_setup()
    t0 = time.time()
    for d in (RUN, PIDS, LOGS, KAFKA_RUN):
        d.mkdir(parents=True, exist_ok=True)
    running = (
        all(alive(read_pid(f"kafka-{n}"), kafka_marker(n)) for n in NODES)
        and alive(read_pid("postgres"), pg_marker(pg_paths()))
        and alive(read_pid("moto"), MOTO_MARKER)
    )
    if running and all_healthy():
        say("stack already up and healthy")
        return 0
    ensure_tls()
    # Start everything first (Kafka is the slowest), then wait for each.
    start_kafka()
    pg_started = start_postgres()
    start_moto()

    def nodes_running() -> bool:
        return all(alive(read_pid(f"kafka-{n}"), kafka_marker(n)) for n in NODES)

    wait_until("kafka (3 brokers, KRaft quorum)", kafka_healthy, TIMEOUT,
               [LOGS / f"kafka-{n}.log" for n in NODES], nodes_running)
    failures = []
    deadline = time.time() + 30
    while time.time() < deadline:
        failures = kafka_tls_ok()
        if not failures:
            break
        time.sleep(1)
    if failures:
        die("TLS listeners failed verification:\n  " + "\n  ".join(failures))
    say(f"kafka healthy: plaintext {PLAINTEXT_BOOTSTRAP}, TLS {TLS_BOOTSTRAP} (verified with {TLS / 'ca.pem'})")

    paths = pg_paths()
    pg_provision(paths)
    wait_until("postgres", lambda: pg_healthy(paths), TIMEOUT, [LOGS / "postgres.log"])
    say(f"postgres healthy on {HOST}:{PG_PORT} ({'started' if pg_started else 'already running'})")

    wait_until("moto", moto_healthy, TIMEOUT, [LOGS / "moto.log"], lambda: alive(read_pid("moto"), MOTO_MARKER))
    say(f"moto healthy on {MOTO_URL}")
    say(f"stack up in {time.time() - t0:.1f}s  ->  eval \"$(dev/stack env)\"")
    return 0


def leftovers() -> list[str]:
    """Processes whose command line points into this checkout's runtime dirs."""
    markers = [kafka_marker(n) for n in NODES] + [str(pg_paths().data)]
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        cl = cmdline(int(proc.name))
        if any(m in cl for m in markers) or MOTO_MARKER in cl:
            if not is_zombie(int(proc.name)):
                out.append(f"{proc.name}: {cl[:120]}")
    return out


def cmd_down(purge: bool) -> int:
    stop_moto()
    stop_postgres()
    stop_kafka()
    reap()
    rest = leftovers()
    if rest:
        print("[stack] WARNING: processes still running:\n  " + "\n  ".join(rest), file=sys.stderr)
        return 1
    say("stack down (no stack process left)")
    if purge:
        real_pg = PG_LINK.resolve() if PG_LINK.is_symlink() else None
        if RUN.exists():
            shutil.rmtree(RUN)
        if real_pg and real_pg.exists():
            shutil.rmtree(real_pg.parent if real_pg.parent.name.startswith("forgectl-dev-") else real_pg)
        say(f"purged {RUN}")
    return 0


def cmd_status() -> int:
    if Path(sys.executable).resolve() != VENV_PY.resolve() and VENV_PY.exists():
        os.execv(str(VENV_PY), [str(VENV_PY), __file__, *sys.argv[1:]])
    rows = []
    kafka_pids = [read_pid(f"kafka-{n}") for n in NODES]
    kafka_alive = [alive(p, kafka_marker(n)) for p, n in zip(kafka_pids, NODES)]
    k_ok = all(kafka_alive) and kafka_healthy(timeout=3) and not kafka_tls_ok(timeout=5)
    rows.append(("kafka", ",".join(str(p) if a else "-" for p, a in zip(kafka_pids, kafka_alive)),
                 f"{PLAINTEXT_BOOTSTRAP} | tls {TLS_BOOTSTRAP}", k_ok))
    paths = pg_paths()
    pg_pid = read_pid("postgres")
    pg_alive = alive(pg_pid, pg_marker(paths))
    rows.append(("postgres", str(pg_pid) if pg_alive else "-", f"{HOST}:{PG_PORT}", pg_alive and pg_healthy(paths)))
    m_pid = read_pid("moto")
    m_alive = alive(m_pid, MOTO_MARKER)
    rows.append(("moto", str(m_pid) if m_alive else "-", MOTO_URL, m_alive and moto_healthy()))
    header = ("COMPONENT", "PID(S)", "ENDPOINT", "HEALTH")
    table = [header] + [(c, p, e, "up" if h else "down") for c, p, e, h in rows]
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    for r in table:
        print("  ".join(col.ljust(w) for col, w in zip(r, widths)).rstrip())
    return 0 if all(h for *_, h in rows) else 1


def cmd_env() -> int:
    password = pg_password(pg_paths())
    if not password:
        die("no Postgres password yet (dev/.run/pg/.password): run dev/stack up first")
    values = [
        ("AWS_ENDPOINT_URL", MOTO_URL),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("KAFKA_BOOTSTRAP_SERVERS", PLAINTEXT_BOOTSTRAP),
        ("DI_KAFKA_BROKER_ENDPOINT", PLAINTEXT_BOOTSTRAP),
        ("KAFKA_TLS_BOOTSTRAP_SERVERS", TLS_BOOTSTRAP),
        ("KAFKA_TLS_CA_LOCATION", str(TLS / "ca.pem")),
        ("DI_POSTGRES_HOST", HOST),
        ("DI_POSTGRES_PORT", str(PG_PORT)),
        ("DI_POSTGRES_USERNAME", PG_USER),
        ("DI_POSTGRES_PASSWORD", password),
        ("DI_POSTGRES_DATABASE", PG_DATABASES[0]),
        ("DI_POSTGRES_SYNC_DATABASE", PG_DATABASES[1]),
        ("FORGECTL_STACK", "up"),
    ]
    for key, value in values:
        print(f"export {key}={shlex.quote(value)}")
    return 0


USAGE = """usage: dev/stack <command>
  up              start Kafka (3 KRaft nodes), PostgreSQL 15 and moto; wait until healthy
  down [--purge]  stop what `up` started (by recorded PID); --purge also wipes dev/.run
  reset           down --purge
  status          table of components; exit 0 only if all are healthy
  env             export lines for: eval "$(dev/stack env)"
"""


def locked(fn: Callable[[], int]) -> int:
    """Serialise up/down/reset of this checkout (several shells or test
    scripts may call them at the same time)."""
    lock_path = Path("/tmp") / f"forgectl-stack-{hashlib.sha1(str(ROOT).encode()).hexdigest()[:10]}.lock"
    with open(lock_path, "w") as fh:
        deadline = time.time() + 600
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.time() > deadline:
                    die(f"another dev/stack command holds {lock_path}")
                time.sleep(0.5)
        return fn()


def main(argv: list[str]) -> int:
    if os.geteuid() != 0 and argv[:1] in (["up"], ["down"], ["reset"]):
        die("dev/stack must run as root (it starts PostgreSQL as the postgres user)")
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "up" and not rest:
        require_setup()
        return locked(cmd_up)
    if cmd == "down" and rest in ([], ["--purge"]):
        return locked(lambda: cmd_down(purge=bool(rest)))
    if cmd == "reset" and not rest:
        return locked(lambda: cmd_down(purge=True))
    if cmd == "status" and not rest:
        return cmd_status()
    if cmd == "env" and not rest:
        return cmd_env()
    print(USAGE, end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
