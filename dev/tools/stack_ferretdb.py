"""FerretDB side of the dev stack: the MongoDB wire protocol for the
consumer's MongoDB sink, served by the launcher dev/setup builds from
dev/ferretdb (FerretDB's embeddable package over SQLite files in
dev/.run/ferretdb).  SQLite keeps it independent of the stack's PostgreSQL;
it also means FerretDB does no authentication, so `env` exports no
DI_MONGODB_USERNAME/PASSWORD.
"""

from __future__ import annotations

import socket
import struct

from stack_common import (
    FERRETDB_BIN,
    FERRETDB_DATA,
    FERRETDB_PORT,
    HOST,
    LOGS,
    alive,
    die,
    read_pid,
    require_free,
    say,
    spawn,
    stop_service,
)

# This checkout's launcher binary: never another checkout's FerretDB.
FERRETDB_MARKER = f"{FERRETDB_BIN} -listen"

OP_MSG = 2013


def _bson_ping() -> bytes:
    """{ping: 1, $db: "admin"} as BSON, written out by hand: the health check
    must not need a MongoDB driver in the venv."""
    body = b"\x10ping\x00" + struct.pack("<i", 1)
    db = b"admin\x00"
    body += b"\x02$db\x00" + struct.pack("<i", len(db)) + db
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def ping_message(request_id: int = 1) -> bytes:
    """An OP_MSG carrying the ping command (flag bits 0, one kind-0 section)."""
    payload = struct.pack("<I", 0) + b"\x00" + _bson_ping()
    header = struct.pack("<iiii", 16 + len(payload), request_id, 0, OP_MSG)
    return header + payload


def ferretdb_healthy(port: int = FERRETDB_PORT, timeout: float = 3.0) -> bool:
    """True if the server answers a ping with `ok: 1`."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(ping_message())
            head = _recv_exact(sock, 16)
            length, _, _, opcode = struct.unpack("<iiii", head)
            if opcode != OP_MSG or not 21 <= length <= 1 << 20:
                return False
            reply = _recv_exact(sock, length - 16)
    except OSError:
        return False
    # The reply document holds `ok` as a double; 1.0 is the success value.
    return b"\x01ok\x00" + struct.pack("<d", 1.0) in reply


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed mid-reply")
        buf += chunk
    return buf


def start_ferretdb() -> bool:
    """Start FerretDB if not running; returns True if started."""
    if not FERRETDB_BIN.exists():
        die(f"{FERRETDB_BIN} not found: run dev/setup (it builds dev/ferretdb)")
    if alive(read_pid("ferretdb"), FERRETDB_MARKER):
        return False
    require_free("ferretdb", [FERRETDB_PORT])
    FERRETDB_DATA.mkdir(parents=True, exist_ok=True)
    pid = spawn(
        "ferretdb",
        [str(FERRETDB_BIN), "-listen", f"{HOST}:{FERRETDB_PORT}", "-sqlite-dir", str(FERRETDB_DATA)],
        LOGS / "ferretdb.log",
    )
    say(f"ferretdb starting (pid {pid})")
    return True


def stop_ferretdb() -> None:
    stop_service("ferretdb", FERRETDB_MARKER)
