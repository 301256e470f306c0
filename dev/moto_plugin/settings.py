"""Runtime settings of the emulator.

Initial values come from the environment (``dev/stack up`` sets them); tests can
change the delays at run time through ``POST /forgectl-plugin/config`` so that
state transitions can be exercised in a second or two.  Besides the numeric
delays there is one list setting, ``unhealthy_user_data_markers`` (the Auto
Scaling fault knob, see autoscaling/fleet.py); it only exists at run time.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any

DEFAULT_PLAINTEXT = "127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094"
DEFAULT_TLS = "127.0.0.1:29192,127.0.0.1:29193,127.0.0.1:29194"
DEFAULT_SASL = "127.0.0.1:29296,127.0.0.1:29297,127.0.0.1:29298"


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:  # fail loudly at start-up, not on first request
        raise SystemExit(f"{name} must be a number of seconds, got {raw!r}") from exc
    if value < 0:
        raise SystemExit(f"{name} must be >= 0, got {raw!r}")
    return value


@dataclass
class EmulatorSettings:
    # Where the real local Kafka listens (used by GetBootstrapBrokers and the topic API).
    kafka_bootstrap_servers: str
    kafka_tls_bootstrap_servers: str
    kafka_tls_ca_location: str
    # CREATING -> ACTIVE
    create_delay_seconds: float
    # UPDATING -> ACTIVE (UpdateBrokerCount/Storage/Type, UpdateClusterConfiguration)
    update_delay_seconds: float
    # DELETING -> gone
    delete_delay_seconds: float
    # How long DescribeTopic/ListTopics keep reporting CREATING/UPDATING/DELETING
    # after a topic mutation (AWS documents ~1 minute of staleness; 0 = off).
    topic_status_lag_seconds: float
    # EC2 Auto Scaling instance refresh: how long one batch of replacements
    # takes (launch + warm-up) before the next batch starts.
    refresh_batch_seconds: float = 2.0
    # 0 = off: a refresh whose new instances never become healthy stays
    # InProgress (AWS documents no fixed limit).  > 0: after that long the
    # refresh turns Failed (and AutoRollback starts a rollback).
    refresh_unhealthy_timeout_seconds: float = 0.0
    # Instances launched from a launch template version whose decoded UserData
    # contains one of these strings never pass health checks.  Run time only.
    unhealthy_user_data_markers: list[str] = field(default_factory=list)
    # The local SASL_SSL (SCRAM-SHA-512) listener: bootstrapBrokerStringSaslScram.
    kafka_sasl_bootstrap_servers: str = DEFAULT_SASL

    @classmethod
    def from_env(cls) -> "EmulatorSettings":
        return cls(
            kafka_bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_PLAINTEXT),
            kafka_tls_bootstrap_servers=os.environ.get("KAFKA_TLS_BOOTSTRAP_SERVERS", DEFAULT_TLS),
            kafka_tls_ca_location=os.environ.get("KAFKA_TLS_CA_LOCATION", ""),
            create_delay_seconds=_float_env("FORGECTL_EMULATOR_CREATE_DELAY_SECONDS", 5.0),
            update_delay_seconds=_float_env("FORGECTL_EMULATOR_UPDATE_DELAY_SECONDS", 3.0),
            delete_delay_seconds=_float_env("FORGECTL_EMULATOR_DELETE_DELAY_SECONDS", 3.0),
            topic_status_lag_seconds=_float_env("FORGECTL_EMULATOR_TOPIC_LAG_SECONDS", 0.0),
            refresh_batch_seconds=_float_env("FORGECTL_EMULATOR_REFRESH_BATCH_SECONDS", 2.0),
            refresh_unhealthy_timeout_seconds=_float_env("FORGECTL_EMULATOR_REFRESH_UNHEALTHY_TIMEOUT_SECONDS", 0.0),
            kafka_sasl_bootstrap_servers=os.environ.get("KAFKA_SASL_BOOTSTRAP_SERVERS", DEFAULT_SASL),
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_lock = threading.Lock()
_settings = EmulatorSettings.from_env()

# Only the timing knobs (and the fault markers) may be changed at run time; the
# Kafka addresses are fixed by the stack.
NUMERIC_FIELDS = frozenset(
    {
        "create_delay_seconds",
        "update_delay_seconds",
        "delete_delay_seconds",
        "topic_status_lag_seconds",
        "refresh_batch_seconds",
        "refresh_unhealthy_timeout_seconds",
    }
)
STRING_LIST_FIELDS = frozenset({"unhealthy_user_data_markers"})
MUTABLE_FIELDS = NUMERIC_FIELDS | STRING_LIST_FIELDS


def get() -> EmulatorSettings:
    with _lock:
        return EmulatorSettings(**asdict(_settings))


def update(changes: dict[str, Any]) -> EmulatorSettings:
    """Apply run-time changes; raises ValueError on unknown/invalid keys."""
    known = {f.name for f in fields(EmulatorSettings)}
    for key, value in changes.items():
        if key not in known:
            raise ValueError(f"unknown setting {key!r}")
        if key not in MUTABLE_FIELDS:
            raise ValueError(f"setting {key!r} cannot be changed at run time")
        if key in STRING_LIST_FIELDS:
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ValueError(f"setting {key!r} must be a list of non-empty strings")
        elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"setting {key!r} must be a number >= 0")
    with _lock:
        for key, value in changes.items():
            setattr(_settings, key, list(value) if key in STRING_LIST_FIELDS else float(value))
        return EmulatorSettings(**asdict(_settings))


def reset() -> EmulatorSettings:
    """Back to the values the process was started with."""
    global _settings
    with _lock:
        _settings = EmulatorSettings.from_env()
        return EmulatorSettings(**asdict(_settings))
