"""Shapes every MSK response shares: timestamps, versions, resource ids.

Clusters, operations, configurations and topics are built in different modules
but must look alike to a client (one timestamp format, one id format), so the
helpers that produce those shapes exist once, here.  The serving states live
here too because both GetBootstrapBrokers and the topic API check them.
"""

from __future__ import annotations

import random
import string
import uuid
from datetime import datetime, timezone
from typing import Any

Json = dict[str, Any]

# Cluster states in which brokers serve traffic (GetBootstrapBrokers, topic API).
SERVING_STATES = ("ACTIVE", "UPDATING")


def iso(ts: float | None) -> str | None:
    """Epoch seconds -> ISO-8601 UTC with milliseconds, the format MSK uses."""
    if ts is None:
        return None
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def new_current_version() -> str:
    # MSK versions look like "K3AEGXETSR30VB".
    return "K" + "".join(random.choices(string.ascii_uppercase + string.digits, k=13))


def arn_id() -> str:
    # MSK resource ids are a UUID plus a short numeric suffix: "abcd...-2".
    return f"{uuid.uuid4()}-{random.randint(1, 25)}"


def drop_none(d: Json) -> Json:
    return {k: v for k, v in d.items() if v is not None}
