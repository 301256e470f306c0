#!/usr/bin/env python3
"""forgectl local development stack: Kafka (KRaft, 3 nodes) + PostgreSQL 15 + moto
+ FerretDB (MongoDB wire protocol) + Prometheus (with a Kafka group-lag exporter).

Usage: dev/stack up | down [--purge] | reset | status | env

Everything binds to 127.0.0.1.  Runtime state lives in dev/.run (git-ignored):
pids/, logs/, tls/, kafka/node-<n>/, pg/, ferretdb/, prometheus/.  Processes are only ever stopped by
the PIDs recorded in dev/.run/pids.  See dev/README.md for the contract.

This file holds the commands; each component lives in its own module next to
it (stack_kafka, stack_postgres, stack_moto, stack_ferretdb,
stack_prometheus), shared plumbing in stack_common.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

# The component modules sit next to this file.  `python3 dev/tools/stack.py`
# puts this directory on sys.path already, except under PYTHONSAFEPATH / -P.
_TOOLS = str(Path(__file__).resolve().parent)
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

from stack_common import (  # noqa: E402
    FERRETDB_BIN,
    FERRETDB_PORT,
    HOST,
    KAFKA_LIBS,
    KAFKA_RUN,
    LOGS,
    MONGODB_DATABASE,
    MOTO_URL,
    NODES,
    PG_DATABASES,
    PG_LINK,
    PG_PORT,
    PG_USER,
    PIDS,
    PROMETHEUS_PORT,
    PROMETHEUS_RULES,
    PROMETHEUS_TARGETS,
    LAG_EXPORTER_PORT,
    PLAINTEXT_BOOTSTRAP,
    ROOT,
    RUN,
    SASL_BOOTSTRAP,
    SCRAM_MECHANISM,
    SCRAM_USER,
    TIMEOUT,
    TLS,
    TLS_BOOTSTRAP,
    VENV_PY,
    alive,
    cmdline,
    die,
    is_zombie,
    read_pid,
    reap,
    say,
    wait_until,
)
from stack_ferretdb import FERRETDB_MARKER, ferretdb_healthy, start_ferretdb, stop_ferretdb  # noqa: E402
from stack_kafka import (  # noqa: E402
    ensure_scram_password,
    ensure_scram_user,
    ensure_tls,
    kafka_healthy,
    kafka_marker,
    kafka_sasl_ok,
    kafka_tls_ok,
    scram_password,
    start_kafka,
    stop_kafka,
)
from stack_moto import MOTO_MARKER, moto_healthy, start_moto, stop_moto  # noqa: E402
from stack_prometheus import (  # noqa: E402
    LAG_EXPORTER_MARKER,
    PROMETHEUS_MARKER,
    lag_exporter_healthy,
    prometheus_healthy,
    prometheus_url,
    start_prometheus,
    stop_prometheus,
)
from stack_postgres import pg_healthy, pg_marker, pg_password, pg_paths, pg_provision, start_postgres, stop_postgres  # noqa: E402

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def require_setup() -> None:
    missing = []
    if not VENV_PY.exists():
        missing.append(str(VENV_PY))
    if not KAFKA_LIBS.is_dir() or not any(KAFKA_LIBS.glob("kafka_2.13-*.jar")):
        missing.append(str(KAFKA_LIBS))
    if not FERRETDB_BIN.exists():
        missing.append(str(FERRETDB_BIN))
    if not shutil.which("java"):
        missing.append("java")
    if not shutil.which("prometheus"):
        missing.append("prometheus")
    if missing:
        die("missing " + ", ".join(missing) + ": run dev/setup first")
    if Path(sys.executable).resolve() != VENV_PY.resolve():
        # Health checks need confluent-kafka from the venv.
        os.execv(str(VENV_PY), [str(VENV_PY), __file__, *sys.argv[1:]])


def all_healthy() -> bool:
    return (
        kafka_healthy() and pg_healthy() and moto_healthy() and ferretdb_healthy()
        and prometheus_healthy() and lag_exporter_healthy()
    )


def cmd_up() -> int:
    require_setup()
    t0 = time.time()
    for d in (RUN, PIDS, LOGS, KAFKA_RUN):
        d.mkdir(parents=True, exist_ok=True)
    running = (
        all(alive(read_pid(f"kafka-{n}"), kafka_marker(n)) for n in NODES)
        and alive(read_pid("postgres"), pg_marker(pg_paths()))
        and alive(read_pid("moto"), MOTO_MARKER)
        and alive(read_pid("ferretdb"), FERRETDB_MARKER)
        and alive(read_pid("prometheus"), PROMETHEUS_MARKER)
        and alive(read_pid("kafka-lag"), LAG_EXPORTER_MARKER)
    )
    if running and all_healthy() and not kafka_sasl_ok():
        say("stack already up and healthy")
        return 0
    ensure_tls()
    # Start what is not running (Kafka is the slowest), then wait for each;
    # each start_* leaves a component that already runs alone.
    start_kafka()
    pg_started = start_postgres()
    start_moto()
    start_ferretdb()
    start_prometheus()

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
    ensure_scram_password()
    try:
        ensure_scram_user()
    except Exception as exc:  # noqa: BLE001
        die(f"creating the SCRAM user {SCRAM_USER} failed: {exc}")
    deadline = time.time() + 30
    while time.time() < deadline:
        failures = kafka_sasl_ok()
        if not failures:
            break
        time.sleep(1)
    if failures:
        die(f"SASL_SSL listeners refused the {SCRAM_MECHANISM} login of {SCRAM_USER}:\n  " + "\n  ".join(failures))
    say(f"kafka healthy: plaintext {PLAINTEXT_BOOTSTRAP}, TLS {TLS_BOOTSTRAP} (verified with {TLS / 'ca.pem'}), "
        f"SASL_SSL {SASL_BOOTSTRAP} ({SCRAM_MECHANISM} as {SCRAM_USER})")

    paths = pg_paths()
    pg_provision(paths)
    wait_until("postgres", lambda: pg_healthy(paths), TIMEOUT, [LOGS / "postgres.log"])
    say(f"postgres healthy on {HOST}:{PG_PORT} ({'started' if pg_started else 'already running'})")

    wait_until("moto", moto_healthy, TIMEOUT, [LOGS / "moto.log"], lambda: alive(read_pid("moto"), MOTO_MARKER))
    say(f"moto healthy on {MOTO_URL}")

    wait_until("ferretdb", ferretdb_healthy, TIMEOUT, [LOGS / "ferretdb.log"],
               lambda: alive(read_pid("ferretdb"), FERRETDB_MARKER))
    say(f"ferretdb healthy on {HOST}:{FERRETDB_PORT}")

    wait_until("kafka lag exporter", lag_exporter_healthy, TIMEOUT, [LOGS / "kafka-lag.log"],
               lambda: alive(read_pid("kafka-lag"), LAG_EXPORTER_MARKER))
    wait_until("prometheus", prometheus_healthy, TIMEOUT, [LOGS / "prometheus.log"],
               lambda: alive(read_pid("prometheus"), PROMETHEUS_MARKER))
    say(f"prometheus healthy on {prometheus_url()} (group lag from {HOST}:{LAG_EXPORTER_PORT})")
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
        if any(m in cl for m in markers) or any(
            m in cl for m in (MOTO_MARKER, FERRETDB_MARKER, PROMETHEUS_MARKER, LAG_EXPORTER_MARKER)
        ):
            if not is_zombie(int(proc.name)):
                out.append(f"{proc.name}: {cl[:120]}")
    return out


def cmd_down(purge: bool) -> int:
    stop_prometheus()
    stop_ferretdb()
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
    k_ok = (all(kafka_alive) and kafka_healthy(timeout=3) and not kafka_tls_ok(timeout=5)
            and not kafka_sasl_ok(timeout=5))
    rows.append(("kafka", ",".join(str(p) if a else "-" for p, a in zip(kafka_pids, kafka_alive)),
                 f"{PLAINTEXT_BOOTSTRAP} | tls {TLS_BOOTSTRAP} | sasl_ssl {SASL_BOOTSTRAP}", k_ok))
    paths = pg_paths()
    pg_pid = read_pid("postgres")
    pg_alive = alive(pg_pid, pg_marker(paths))
    rows.append(("postgres", str(pg_pid) if pg_alive else "-", f"{HOST}:{PG_PORT}", pg_alive and pg_healthy(paths)))
    m_pid = read_pid("moto")
    m_alive = alive(m_pid, MOTO_MARKER)
    rows.append(("moto", str(m_pid) if m_alive else "-", MOTO_URL, m_alive and moto_healthy()))
    f_pid = read_pid("ferretdb")
    f_alive = alive(f_pid, FERRETDB_MARKER)
    rows.append(("ferretdb", str(f_pid) if f_alive else "-", f"{HOST}:{FERRETDB_PORT}", f_alive and ferretdb_healthy()))
    p_pid, l_pid = read_pid("prometheus"), read_pid("kafka-lag")
    p_alive, l_alive = alive(p_pid, PROMETHEUS_MARKER), alive(l_pid, LAG_EXPORTER_MARKER)
    rows.append(("prometheus", str(p_pid) if p_alive else "-", prometheus_url(), p_alive and prometheus_healthy()))
    rows.append(("kafka-lag", str(l_pid) if l_alive else "-", f"http://{HOST}:{LAG_EXPORTER_PORT}/metrics",
                 l_alive and lag_exporter_healthy()))
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
        # SASL_SSL listener (SCRAM-SHA-512); its CA is KAFKA_TLS_CA_LOCATION.
        ("KAFKA_SASL_BOOTSTRAP_SERVERS", SASL_BOOTSTRAP),
        ("KAFKA_SASL_MECHANISM", SCRAM_MECHANISM),
        ("KAFKA_SASL_USERNAME", SCRAM_USER),
        ("DI_POSTGRES_HOST", HOST),
        ("DI_POSTGRES_PORT", str(PG_PORT)),
        ("DI_POSTGRES_USERNAME", PG_USER),
        ("DI_POSTGRES_PASSWORD", password),
        ("DI_POSTGRES_DATABASE", PG_DATABASES[0]),
        ("DI_POSTGRES_SYNC_DATABASE", PG_DATABASES[1]),
        # The services verify the server (verify-full is their default) with the stack's CA.
        ("DI_POSTGRES_SSL_ROOT_CERT", str(TLS / "ca.pem")),
        # FerretDB over SQLite authenticates nobody: no USERNAME/PASSWORD.
        # The rest are the runbook's values, scaled to a loopback server.
        ("DI_MONGODB_HOST", HOST),
        ("DI_MONGODB_PORT", str(FERRETDB_PORT)),
        ("DI_MONGODB_DATABASE", MONGODB_DATABASE),
        ("DI_MONGODB_ENABLED_SOURCES", "*"),
        ("DI_MONGODB_MAX_POOL_SIZE", "10"),
        ("DI_MONGODB_MIN_POOL_SIZE", "1"),
        ("DI_MONGODB_SERVER_SELECTION_TIMEOUT_MS", "5000"),
        ("DI_MONGODB_CONNECT_TIMEOUT_MS", "2000"),
        ("DI_MONGODB_SOCKET_TIMEOUT_MS", "10000"),
        ("DI_MONGODB_RETRY_WRITES", "true"),
        ("DI_MONGODB_WAIT_QUEUE_TIMEOUT_MS", "2000"),
        # The local provider writes its scrape targets here on every deploy;
        # `forgectl status --watch` reads alerts from the URL.
        ("FORGECTL_PROMETHEUS_URL", prometheus_url()),
        ("FORGECTL_PROMETHEUS_SD_DIR", str(PROMETHEUS_TARGETS)),
        ("FORGECTL_PROMETHEUS_RULES_DIR", str(PROMETHEUS_RULES)),
        ("FORGECTL_STACK", "up"),
    ]
    kafka_sasl_password = scram_password()
    if kafka_sasl_password:
        values.append(("KAFKA_SASL_PASSWORD", kafka_sasl_password))
    else:
        # A stack started before the SASL_SSL listener existed: say so, keep the rest usable.
        print("[stack] WARNING: no Kafka SCRAM password (dev/.run/kafka/scram.password): "
              "restart the stack (dev/stack down && dev/stack up) for the SASL_SSL listener", file=sys.stderr)
    for key, value in values:
        print(f"export {key}={shlex.quote(value)}")
    return 0


USAGE = """usage: dev/stack <command>
  up              start Kafka (3 KRaft nodes), PostgreSQL 15, moto, FerretDB, Prometheus and the
                  Kafka lag exporter (only what is not running); wait until healthy
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
