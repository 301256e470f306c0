"""Prometheus side of the dev stack: Debian's `prometheus` (installed by
dev/setup; its system service is never used) as our own process on a fixed
port, plus the Kafka group-lag exporter (dev/tools/kafka_lag_exporter.py)
it scrapes.

What it scrapes and evaluates lives under dev/.run/prometheus:
  targets/*.json  file-based service discovery; the local provider writes
                  one file per environment on every deploy (every producer
                  and consumer instance's /metrics, labelled with its role)
  rules/*.yml     alert rules (`forgectl render prometheus --out ...`);
                  POST /-/reload after changing them
Scrape and evaluation run every 2 s so a test sees an alert within seconds
of its `for:`; it is a development stack, not a capacity plan.
"""

from __future__ import annotations

import json
import shutil
import urllib.request

from stack_common import (
    HOST,
    LOGS,
    PLAINTEXT_BOOTSTRAP,
    PROMETHEUS_DATA,
    PROMETHEUS_PORT,
    PROMETHEUS_RULES,
    PROMETHEUS_RUN,
    PROMETHEUS_TARGETS,
    LAG_EXPORTER_PORT,
    ROOT,
    VENV_PY,
    alive,
    die,
    read_pid,
    require_free,
    say,
    spawn,
    stop_service,
)

PROMETHEUS_CONFIG = PROMETHEUS_RUN / "prometheus.yml"
LAG_EXPORTER = ROOT / "dev" / "tools" / "kafka_lag_exporter.py"
# Markers name this stack's own paths: never another checkout's Prometheus
# nor the Debian service (which reads /etc/prometheus).
PROMETHEUS_MARKER = f"--config.file={PROMETHEUS_CONFIG}"
LAG_EXPORTER_MARKER = f"kafka_lag_exporter.py --bootstrap {PLAINTEXT_BOOTSTRAP} --listen {HOST}:{LAG_EXPORTER_PORT}"
SCRAPE_INTERVAL = "2s"


def prometheus_url() -> str:
    return f"http://{HOST}:{PROMETHEUS_PORT}"


def config() -> dict:
    """prometheus.yml (JSON is YAML, and needs no YAML library here)."""
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "rule_files": [str(PROMETHEUS_RULES / "*.yml")],
        "scrape_configs": [
            {
                "job_name": "forgectl",
                "file_sd_configs": [{"files": [str(PROMETHEUS_TARGETS / "*.json")], "refresh_interval": "5s"}],
            },
            {
                "job_name": "kafka-lag",
                "static_configs": [{"targets": [f"{HOST}:{LAG_EXPORTER_PORT}"]}],
            },
        ],
    }


def _get(path: str, port: int, timeout: float) -> bytes | None:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout) as response:
            return response.read() if response.status == 200 else None
    except OSError:
        return None


def prometheus_healthy(timeout: float = 3.0) -> bool:
    """Ready, and both of its scrape jobs configured (so it runs our config)."""
    if _get("/-/ready", PROMETHEUS_PORT, timeout) is None:
        return False
    body = _get("/api/v1/status/config", PROMETHEUS_PORT, timeout)
    try:
        loaded = json.loads(body or b"{}")["data"]["yaml"]
    except (ValueError, KeyError, TypeError):
        return False
    return "job_name: forgectl" in loaded and "job_name: kafka-lag" in loaded


def lag_exporter_healthy(timeout: float = 3.0) -> bool:
    return _get("/health", LAG_EXPORTER_PORT, timeout) is not None


def start_prometheus() -> bool:
    """Start Prometheus and the lag exporter where not running; True if
    anything was started."""
    binary = shutil.which("prometheus")
    if not binary:
        die("prometheus not found: run dev/setup (it installs Debian's prometheus package)")
    started = False
    for d in (PROMETHEUS_DATA, PROMETHEUS_RULES, PROMETHEUS_TARGETS):
        d.mkdir(parents=True, exist_ok=True)
    if not alive(read_pid("kafka-lag"), LAG_EXPORTER_MARKER):
        require_free("the Kafka lag exporter", [LAG_EXPORTER_PORT])
        pid = spawn(
            "kafka-lag",
            [str(VENV_PY), str(LAG_EXPORTER), "--bootstrap", PLAINTEXT_BOOTSTRAP, "--listen", f"{HOST}:{LAG_EXPORTER_PORT}"],
            LOGS / "kafka-lag.log",
        )
        say(f"kafka lag exporter starting (pid {pid})")
        started = True
    if not alive(read_pid("prometheus"), PROMETHEUS_MARKER):
        require_free("prometheus", [PROMETHEUS_PORT])
        PROMETHEUS_CONFIG.write_text(json.dumps(config(), indent=2) + "\n")
        pid = spawn(
            "prometheus",
            [
                binary,
                f"--config.file={PROMETHEUS_CONFIG}",
                f"--storage.tsdb.path={PROMETHEUS_DATA}",
                "--storage.tsdb.retention.time=2d",
                f"--web.listen-address={HOST}:{PROMETHEUS_PORT}",
                # Tests reload rules they render with POST /-/reload.
                "--web.enable-lifecycle",
            ],
            LOGS / "prometheus.log",
        )
        say(f"prometheus starting (pid {pid})")
        started = True
    return started


def stop_prometheus() -> None:
    stop_service("prometheus", PROMETHEUS_MARKER)
    stop_service("kafka-lag", LAG_EXPORTER_MARKER)
