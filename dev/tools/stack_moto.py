"""moto side of the dev stack, served through the forgectl plug-in from this
checkout's venv (the marker keeps us from ever touching another checkout's moto).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

from stack_common import (
    DEV,
    HOST,
    LOGS,
    MOTO_PORT,
    MOTO_URL,
    PLAINTEXT_BOOTSTRAP,
    TLS,
    SASL_BOOTSTRAP,
    TLS_BOOTSTRAP,
    VENV_PY,
    alive,
    read_pid,
    require_free,
    say,
    spawn,
    stop_service,
)

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
        KAFKA_SASL_BOOTSTRAP_SERVERS=SASL_BOOTSTRAP,
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
    stop_service("moto", MOTO_MARKER)
