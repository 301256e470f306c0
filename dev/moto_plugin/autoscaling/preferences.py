"""StartInstanceRefresh ``Preferences``: validation and documented defaults.

Defaults follow the user guide page *understand-instance-refresh-default-values*
(AWS CLI/SDK column) and ``RefreshPreferences`` in the API Reference:

* MinHealthyPercentage 90, MaxHealthyPercentage unset (= 100, terminate and
  launch at the same time), InstanceWarmup = the group's health check grace
  period (moto has no DefaultInstanceWarmup), SkipMatching false,
  AutoRollback false, ScaleInProtectedInstances Wait, StandbyInstances Wait,
  CheckpointDelay 3600 once CheckpointPercentages are given.

An instance maintenance policy would change the two percentages; moto 5.2.5
does not store one, so the plain defaults always apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exceptions import ValidationError

MAX_DELAY = 172800  # CheckpointDelay / BakeTime upper bound (service model)
PROTECTED_CHOICES = ("Refresh", "Ignore", "Wait")
STANDBY_CHOICES = ("Terminate", "Ignore", "Wait")


def _int(raw: dict[str, Any], key: str, low: int, high: int | None) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{key} must be an integer, got {value!r}.")
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationError(f"{key} must be {bound}, got {number}.")
    return number


def _bool(raw: dict[str, Any], key: str) -> bool:
    value = raw.get(key)
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


@dataclass
class RefreshPreferences:
    min_healthy: int
    max_healthy: int | None
    instance_warmup: int
    skip_matching: bool
    auto_rollback: bool
    scale_in_protected: str
    standby: str
    checkpoints: list[int]
    checkpoint_delay: int
    bake_time: int
    alarms: dict[str, Any] | None

    def as_api(self) -> dict[str, Any]:
        """The Preferences member of DescribeInstanceRefreshes: every default
        spelled out, optional features only when they were requested."""
        out: dict[str, Any] = {
            "MinHealthyPercentage": self.min_healthy,
            "InstanceWarmup": self.instance_warmup,
            "SkipMatching": self.skip_matching,
            "AutoRollback": self.auto_rollback,
            "ScaleInProtectedInstances": self.scale_in_protected,
            "StandbyInstances": self.standby,
        }
        if self.max_healthy is not None:
            out["MaxHealthyPercentage"] = self.max_healthy
        if self.checkpoints:
            out["CheckpointPercentages"] = list(self.checkpoints)
            out["CheckpointDelay"] = self.checkpoint_delay
        if self.bake_time:
            out["BakeTime"] = self.bake_time
        if self.alarms is not None:
            out["AlarmSpecification"] = self.alarms
        return out


def parse(raw: dict[str, Any] | None, health_check_grace_period: int | None) -> RefreshPreferences:
    raw = raw or {}
    min_healthy = _int(raw, "MinHealthyPercentage", 0, 100)
    max_healthy = _int(raw, "MaxHealthyPercentage", 100, 200)
    if max_healthy is not None:
        # RefreshPreferences.MaxHealthyPercentage: "you must also specify
        # MinHealthyPercentage, and the difference between them cannot be
        # greater than 100".
        if min_healthy is None:
            raise ValidationError("MaxHealthyPercentage requires MinHealthyPercentage.")
        if max_healthy - min_healthy > 100:
            raise ValidationError(
                "The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100."
            )
    warmup = _int(raw, "InstanceWarmup", 0, None)

    checkpoints_raw = raw.get("CheckpointPercentages") or []
    checkpoints: list[int] = []
    for value in checkpoints_raw:
        number = _int({"CheckpointPercentages": value}, "CheckpointPercentages", 1, 100)
        assert number is not None
        if checkpoints and number <= checkpoints[-1]:
            raise ValidationError("CheckpointPercentages must be unique and in ascending order.")
        checkpoints.append(number)
    delay = _int(raw, "CheckpointDelay", 0, MAX_DELAY)
    if delay is not None and not checkpoints:
        raise ValidationError("CheckpointDelay requires CheckpointPercentages.")

    protected = raw.get("ScaleInProtectedInstances") or "Wait"
    if protected not in PROTECTED_CHOICES:
        raise ValidationError(f"ScaleInProtectedInstances must be one of {', '.join(PROTECTED_CHOICES)}.")
    standby = raw.get("StandbyInstances") or "Wait"
    if standby not in STANDBY_CHOICES:
        raise ValidationError(f"StandbyInstances must be one of {', '.join(STANDBY_CHOICES)}.")

    return RefreshPreferences(
        min_healthy=90 if min_healthy is None else min_healthy,
        max_healthy=max_healthy,
        instance_warmup=warmup if warmup is not None else int(health_check_grace_period or 0),
        skip_matching=_bool(raw, "SkipMatching"),
        auto_rollback=_bool(raw, "AutoRollback"),
        scale_in_protected=protected,
        standby=standby,
        checkpoints=checkpoints,
        checkpoint_delay=3600 if delay is None else delay,
        bake_time=_int(raw, "BakeTime", 0, MAX_DELAY) or 0,
        alarms=raw.get("AlarmSpecification"),
    )
