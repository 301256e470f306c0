"""Shared ground for the dev-stack launcher: the checkout layout, the port/env
contract every component and command agrees on, and the process plumbing.

Processes are only ever signalled by the PIDs recorded here (guarded by a
command-line marker against PID reuse), so this is the one place that knows
how that bookkeeping works.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

# ---------------------------------------------------------------------------
# Layout and the port/env contract
# ---------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "dev"
# Resolved: a worktree whose dev/.cache and dev/.run link to the main
# checkout's must recognise (by command-line marker) the processes that
# checkout started, instead of trying to start them a second time.
CACHE = (DEV / ".cache").resolve()
RUN = (DEV / ".run").resolve()
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
# SASL_SSL listener (SCRAM-SHA-512, same CA as the TLS listener).
SASL_PORTS = {1: 29296, 2: 29297, 3: 29298}
PLAINTEXT_BOOTSTRAP = ",".join(f"{HOST}:{PLAINTEXT_PORTS[n]}" for n in NODES)
TLS_BOOTSTRAP = ",".join(f"{HOST}:{TLS_PORTS[n]}" for n in NODES)
SASL_BOOTSTRAP = ",".join(f"{HOST}:{SASL_PORTS[n]}" for n in NODES)
SCRAM_MECHANISM = "SCRAM-SHA-512"
SCRAM_USER = "forgectl-dev"
# Generated once (0600) and only ever handed out through `dev/stack env`.
SCRAM_PASSWORD_FILE = KAFKA_RUN / "scram.password"

PG_PORT = 25432
PG_USER = "mobileforge_user"
PG_DATABASES = ("api_insights_db", "sync_db")

MOTO_PORT = 25000
MOTO_URL = f"http://{HOST}:{MOTO_PORT}"

FERRETDB_PORT = 25017
FERRETDB_BIN = CACHE / "ferretdb" / "ferretdb-dev"
FERRETDB_DATA = RUN / "ferretdb"
MONGODB_DATABASE = "sync_db"

PROMETHEUS_PORT = 25090
LAG_EXPORTER_PORT = 25091
PROMETHEUS_RUN = RUN / "prometheus"
PROMETHEUS_DATA = PROMETHEUS_RUN / "data"
PROMETHEUS_RULES = PROMETHEUS_RUN / "rules"
PROMETHEUS_TARGETS = PROMETHEUS_RUN / "targets"

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


def stop_service(name: str, marker: str, grace: float = 10.0) -> None:
    """Stop a one-process part of the stack (moto, FerretDB, Prometheus) by its PID file."""
    pid = read_pid(name)
    if not alive(pid, marker):
        pid_file(name).unlink(missing_ok=True)
        return
    if stop_pid(name, pid, marker, grace):
        pid_file(name).unlink(missing_ok=True)
        say(f"{name} stopped")


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
