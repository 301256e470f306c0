"""PostgreSQL side of the dev stack.  Postgres runs as the system `postgres`
user, so its files may have to live outside a checkout that user cannot
traverse; PgPaths hides where they ended up.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from stack_common import (
    HOST,
    LOGS,
    PG_DATABASES,
    PG_LINK,
    PG_PORT,
    PG_USER,
    ROOT,
    RUN,
    TIMEOUT,
    TLS,
    alive,
    die,
    pid_file,
    read_pid,
    require_free,
    run,
    say,
    stop_pid,
    tail,
    write_pid,
)

# The server presents the stack's certificate (CN localhost, SAN 127.0.0.1 and
# localhost, signed by the stack's CA, see stack_kafka.ensure_tls): clients
# verify it with the CA that `dev/stack env` exports as DI_POSTGRES_SSL_ROOT_CERT.
PG_TLS_CERT = "forgectl-server.crt"
PG_TLS_KEY = "forgectl-server.key"

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_OS_USER = "postgres"


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
ssl = on
ssl_cert_file = '{PG_TLS_CERT}'
ssl_key_file = '{PG_TLS_KEY}'
ssl_min_protocol_version = 'TLSv1.2'
"""


def write_pg_settings(paths: PgPaths, uid: int, gid: int) -> None:
    """forgectl.conf and the server's certificate and key, on every `up`.
    The key must belong to postgres with no group/other access or the
    server refuses to start."""
    for name, source, mode in ((PG_TLS_CERT, TLS / "server.pem", 0o644), (PG_TLS_KEY, TLS / "server.key", 0o600)):
        if not source.exists():
            die(f"{source} missing: dev/stack up generates it before starting postgres")
        target = paths.data / name
        shutil.copyfile(source, target)
        os.chown(target, uid, gid)
        os.chmod(target, mode)
    (paths.data / "forgectl.conf").write_text(pg_conf(paths))
    os.chown(paths.data / "forgectl.conf", uid, gid)


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
        # A server started before TLS was configured picks it up on reload
        # (`ssl` and its files are reloadable settings): no restart needed.
        write_pg_settings(paths, pw.pw_uid, pw.pw_gid)
        res = as_postgres([pg_bin("pg_ctl"), "-D", str(paths.data), "reload"], check=False, cwd=paths.root)
        if res.returncode != 0:
            say(f"pg_ctl reload failed: {res.stderr.strip()}")
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
    write_pg_settings(paths, pw.pw_uid, pw.pw_gid)
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
    # Healthy means reachable the way the services connect: TLS, CA and host name verified.
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="3", PGSSLMODE="verify-full",
               PGSSLROOTCERT=str(TLS / "ca.pem"))
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
