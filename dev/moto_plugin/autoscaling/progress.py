"""What an instance refresh reports: its progress figures and its entry in
DescribeInstanceRefreshes (``InstanceRefresh`` in the API Reference).

The figures are also what the timeline acts on (checkpoints compare against
``percentage()``, a rollback freezes both figures in ``RollbackDetails``), so
they live in one place for both.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from .preferences import RefreshPreferences


def timestamp(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=timezone.utc)


class ProgressReport:
    """Mixed into ``InstanceRefresh``, which owns the state."""

    # Set by InstanceRefresh; declared so this module reads on its own.
    id: str
    group_name: str
    strategy: str
    desired: dict[str, Any] | None
    prefs: RefreshPreferences
    status: str
    status_reason: str | None
    start_time: float
    end_time: float | None
    total: int
    skipped: int
    replaced: int
    rollback_details: dict[str, Any] | None
    rollback_total: int
    rollback_done: int

    def percentage(self) -> int:
        if self.rollback_details is not None:
            if self.rollback_total == 0 or self.status == "RollbackSuccessful":
                return 0
            start = self.rollback_details["PercentageCompleteOnRollback"]
            left = self.rollback_total - self.rollback_done
            return math.floor(start * left / self.rollback_total)
        if self.total == 0:
            return 100 if self.status in ("Successful", "Baking") else 0
        return math.floor(100 * (self.skipped + self.replaced) / self.total)

    def instances_to_update(self) -> int:
        if self.rollback_details is not None:
            return int(self.rollback_details["InstancesToUpdateOnRollback"])
        return max(0, self.total - self.skipped - self.replaced)

    def _progress(self) -> dict[str, Any]:
        return {
            "LivePoolProgress": {
                "PercentageComplete": self.percentage(),
                "InstancesToUpdate": self.instances_to_update(),
            }
        }

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "InstanceRefreshId": self.id,
            "AutoScalingGroupName": self.group_name,
            "Status": self.status,
            "StatusReason": self.status_reason,
            "StartTime": timestamp(self.start_time),
            "EndTime": timestamp(self.end_time),
            "PercentageComplete": self.percentage(),
            "InstancesToUpdate": self.instances_to_update(),
            "ProgressDetails": self._progress(),
            "Preferences": self.prefs.as_api(),
            "Strategy": self.strategy,
        }
        if self.desired is not None:
            out["DesiredConfiguration"] = self.desired
        if self.rollback_details is not None:
            out["RollbackDetails"] = dict(self.rollback_details)
        return {k: v for k, v in out.items() if v is not None}
