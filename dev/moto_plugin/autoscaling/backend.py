"""Auto Scaling backend: moto's AutoScalingBackend + instance refresh.

Everything moto implements (groups, launch templates/configurations, target
groups, scaling policies, lifecycle hooks, ...) is inherited unchanged; this
class adds StartInstanceRefresh, DescribeInstanceRefreshes,
CancelInstanceRefresh and RollbackInstanceRefresh (moto 5.2.5 answers them
with a 500 NotImplementedError).  Behaviour and AWS references: README.md,
section "Auto Scaling instance refresh".
"""

from __future__ import annotations

import threading
import time
from typing import Any

from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup
from moto.core.base_backend import BackendDict

from . import fleet, preferences
from .exceptions import (
    ActiveInstanceRefreshNotFound,
    InstanceRefreshInProgress,
    InvalidNextToken,
    ValidationError,
)
from .refresh import InstanceRefresh

DEFAULT_MAX_RECORDS = 50
MAX_RECORDS = 100


class ForgeAutoScalingBackend(AutoScalingBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        # Per group, oldest first.
        self.instance_refreshes: dict[str, list[InstanceRefresh]] = {}
        # werkzeug serves requests on threads; refresh steps touch EC2, ELB
        # and the group at once, so Auto Scaling requests run one at a time.
        self.lock = threading.RLock()

    # Serve this package's response class (moto derives the URL module from
    # the backend's module name otherwise).
    @property
    def _url_module(self) -> Any:  # type: ignore[override]
        from . import responses

        return responses

    # -- lazy progress --------------------------------------------------------

    def tick(self) -> None:
        fleet.normalize_templates(self)
        fleet.adopt(self)
        now = time.time()
        for refreshes in self.instance_refreshes.values():
            for refresh in refreshes:
                if refresh.active:
                    refresh.advance(now)

    def delete_auto_scaling_group(self, group_name: str) -> None:
        super().delete_auto_scaling_group(group_name)
        # A new group with the same name starts without history.
        self.instance_refreshes.pop(group_name, None)
        # AWS deletes a group's scaling policies with it (DeleteAutoScalingGroup:
        # "deleting the group deletes ... its scaling policies"); moto keeps
        # them, so a group re-created under the name would inherit them.
        for name in [name for name, policy in self.policies.items() if policy.auto_scaling_group_name == group_name]:
            del self.policies[name]

    # -- helpers --------------------------------------------------------------

    def _group(self, name: str | None) -> FakeAutoScalingGroup:
        group = self.autoscaling_groups.get(name or "")
        if group is None:
            raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
        return group

    def _latest(self, name: str) -> InstanceRefresh | None:
        refreshes = self.instance_refreshes.get(name) or []
        return refreshes[-1] if refreshes else None

    def _active(self, name: str) -> InstanceRefresh:
        latest = self._latest(name)
        if latest is None or not latest.active:
            raise ActiveInstanceRefreshNotFound(
                f"No in progress or pending Instance Refresh found for Auto Scaling group {name}"
            )
        return latest

    def _rollback_blocker(self, group: FakeAutoScalingGroup, desired: dict[str, Any] | None) -> str | None:
        """Why RollbackInstanceRefresh would be refused (RollbackInstanceRefresh,
        "A rollback is not supported in the following situations")."""
        if desired is None:
            return "A rollback is not supported: there is no desired configuration specified for the instance refresh."
        template = group.ec2_launch_template
        if template is None:
            return (
                "A rollback is not supported: the Auto Scaling group does not use a launch template with a "
                "specific numbered version to roll back to."
            )
        version = getattr(group, "provided_launch_template_version", None)
        if version is None or str(version).lower() in ("$latest", "$default"):
            return (
                "A rollback is not supported: the Auto Scaling group uses the launch template's "
                f"{version or '$Default'} version."
            )
        if str(fleet.template_version(template, version).image_id).startswith("resolve:ssm:"):
            return (
                "A rollback is not supported: the Auto Scaling group has a launch template that uses a "
                "Systems Manager parameter instead of an AMI ID for the ImageId property."
            )
        return None

    # -- operations -----------------------------------------------------------

    def start_instance_refresh(
        self,
        group_name: str,
        strategy: str | None,
        desired_configuration: dict[str, Any] | None,
        raw_preferences: dict[str, Any] | None,
    ) -> InstanceRefresh:
        group = self._group(group_name)
        latest = self._latest(group.name)
        if latest is not None and latest.active:
            raise InstanceRefreshInProgress(
                f"An Instance Refresh is already in progress and blocks the execution of this Instance Refresh "
                f"(active refresh {latest.id}, status {latest.status})."
            )
        strategy = strategy or "Rolling"
        if strategy != "Rolling":
            raise ValidationError(
                f"Strategy {strategy!r} is not supported by the local emulator; only 'Rolling' is implemented."
            )
        prefs = preferences.parse(raw_preferences, group.health_check_grace_period)

        desired = desired_configuration or None
        target = fleet.group_spec(group)
        if desired is not None:
            if desired.get("MixedInstancesPolicy") or group.mixed_instances_policy:
                raise ValidationError(
                    "Mixed instances policies are not supported by the local emulator's instance refresh."
                )
            if not desired.get("LaunchTemplate"):
                raise ValidationError("DesiredConfiguration must specify a LaunchTemplate.")
            target = fleet.resolve(self, desired["LaunchTemplate"])

        blocker = self._rollback_blocker(group, desired)
        if prefs.auto_rollback and blocker is not None:
            raise ValidationError(f"AutoRollback cannot be enabled for this instance refresh. {blocker}")

        refresh = InstanceRefresh(
            self,
            group,
            strategy=strategy,
            desired=desired,
            target=target,
            prefs=prefs,
            rollback_blocker=blocker,
            now=time.time(),
        )
        self.instance_refreshes.setdefault(group.name, []).append(refresh)
        return refresh

    def describe_instance_refreshes(
        self, group_name: str, refresh_ids: list[str] | None, max_records: int | None, next_token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        if max_records is not None and not 1 <= int(max_records) <= MAX_RECORDS:
            raise ValidationError(f"MaxRecords must be between 1 and {MAX_RECORDS}.")
        limit = int(max_records or DEFAULT_MAX_RECORDS)
        # Newest first, like AWS.  An unknown group simply has no refreshes.
        refreshes = list(reversed(self.instance_refreshes.get(group_name) or []))
        if refresh_ids:
            refreshes = [r for r in refreshes if r.id in refresh_ids]
        start = 0
        if next_token:
            if not next_token.isdigit() or int(next_token) >= len(refreshes):
                raise InvalidNextToken("The NextToken value is not valid.")
            start = int(next_token)
        page = refreshes[start : start + limit]
        token = str(start + limit) if start + limit < len(refreshes) else None
        return [r.describe() for r in page], token

    def cancel_instance_refresh(self, group_name: str, wait_for_transitioning: bool | None) -> InstanceRefresh:
        self._group(group_name)
        refresh = self._active(group_name)
        refresh.cancel(time.time(), wait=wait_for_transitioning is not False)
        return refresh

    def rollback_instance_refresh(self, group_name: str) -> InstanceRefresh:
        self._group(group_name)
        latest = self._latest(group_name)
        if latest is None:
            raise ActiveInstanceRefreshNotFound(
                f"No in progress or pending Instance Refresh found for Auto Scaling group {group_name}"
            )
        latest.rollback(time.time())
        return latest


# Registry installed by server.install() in place of moto.autoscaling's.
autoscaling_backends = BackendDict(ForgeAutoScalingBackend, "autoscaling")

__all__ = ["ForgeAutoScalingBackend", "autoscaling_backends"]
