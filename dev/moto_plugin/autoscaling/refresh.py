"""One instance refresh: a timeline advanced lazily from the wall clock.

Nothing runs in the background.  Before every Auto Scaling request the backend
calls ``advance(now)``, which replays every step that became due since the
last request, each at its own (past) point in time, so a client that polls
rarely sees the same end state as one that polls often.

Timeline (B = ``refresh_batch_seconds``, captured at start; P = B/4):

* ``Pending`` for P, then ``InProgress``.
* Batches, one after the other.  At the start of a batch the old instances
  are terminated and replacements launched from the desired launch template
  version; the batch is complete B later, when its new instances count as
  healthy and warmed up (``PercentageComplete`` moves then).  A batch whose
  new instances fail health checks never completes: the refresh stays
  ``InProgress`` with a StatusReason saying so.
* Checkpoints pause for CheckpointDelay; BakeTime adds ``Baking``.
* ``Successful``: the group takes the desired launch template.

Batch size and the instance work of a batch: ``batches.py``.  Progress
figures and the DescribeInstanceRefreshes entry: ``progress.py``.  Both are
mixins of ``InstanceRefresh`` and share its state.

Rollback replaces the instances this refresh launched with the group's
previous launch template version, in batches of the same size;
``PercentageComplete`` falls back to 0 and ``InstancesToUpdate`` stays at its
value when the rollback started.  Cancel stops after the in-flight batch.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.autoscaling.models import FakeAutoScalingGroup

from .. import settings
from . import fleet
from .batches import Batch, BatchWork
from .exceptions import ActiveInstanceRefreshNotFound, IrreversibleInstanceRefresh, ValidationError
from .fleet import LaunchSpec
from .preferences import RefreshPreferences
from .progress import ProgressReport, timestamp

if TYPE_CHECKING:
    from .backend import ForgeAutoScalingBackend

ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")
# "You can roll back an instance refresh that is still in progress. You can't
# roll it back after it's finished." (instance-refresh-rollback)
ROLLBACK_FROM = ("Pending", "InProgress", "Baking")
# AWS fails a refresh that waits on protected/standby instances after an hour
# (RefreshPreferences.ScaleInProtectedInstances / StandbyInstances "Wait").
WAIT_LIMIT_SECONDS = 3600.0


@dataclass
class GroupConfig:
    """The group's launch settings before the refresh (restored on rollback)."""

    template: Any
    version: str | None
    provided_version: str | None
    launch_config: Any
    launch_config_name: str | None

    @classmethod
    def of(cls, group: FakeAutoScalingGroup) -> GroupConfig:
        return cls(
            template=group.ec2_launch_template,
            version=getattr(group, "launch_template_version", None),
            provided_version=getattr(group, "provided_launch_template_version", None),
            launch_config=group.launch_config,
            launch_config_name=getattr(group, "launch_configuration_name", None),
        )

    def apply(self, group: FakeAutoScalingGroup) -> None:
        group.ec2_launch_template = self.template
        group.launch_template_version = self.version
        group.provided_launch_template_version = self.provided_version
        group.launch_config = self.launch_config
        group.launch_configuration_name = self.launch_config_name


class InstanceRefresh(ProgressReport, BatchWork):
    def __init__(
        self,
        backend: ForgeAutoScalingBackend,
        group: FakeAutoScalingGroup,
        *,
        strategy: str,
        desired: dict[str, Any] | None,
        target: LaunchSpec | None,
        prefs: RefreshPreferences,
        rollback_blocker: str | None,
        now: float,
    ):
        s = settings.get()
        self.backend = backend
        self.id = str(uuid.uuid4())
        self.group_name = group.name
        self.strategy = strategy
        self.desired = desired
        self.target = target
        self.prefs = prefs
        self.rollback_blocker = rollback_blocker
        self.previous = GroupConfig.of(group)
        self.previous_spec = fleet.group_spec(group)
        # Captured now: a later change of the settings (or another suite's
        # config reset) does not reshape a running refresh.
        self.batch_seconds = s.refresh_batch_seconds
        self.unhealthy_timeout = s.refresh_unhealthy_timeout_seconds
        self.pending_seconds = self.batch_seconds / 4

        self.status = "Pending"
        self.status_reason: str | None = None
        self.start_time = now
        self.end_time: float | None = None
        self.cursor = now + self.pending_seconds

        # Forward progress.
        self.total, self.skipped, self.queue = self._scope(group)
        self.replaced = 0
        self.launched: list[str] = []  # instances launched by the forward refresh
        self.batch: Batch | None = None
        self.checkpoint_index = 0
        self.resume_at: float | None = None
        self.waiting_since: float | None = None
        self.bake_until: float | None = None
        # Rollback / cancel.
        self.rollback_details: dict[str, Any] | None = None
        self.rollback_queue: list[str] = []
        self.rollback_total = 0
        self.rollback_done = 0
        self.cancel_at: float | None = None

    def group(self) -> FakeAutoScalingGroup | None:
        return self.backend.autoscaling_groups.get(self.group_name)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    # -- the timeline ---------------------------------------------------------

    def advance(self, now: float) -> None:
        if self.group() is None:
            return
        while self.active and self._step(now):
            pass

    def _step(self, now: float) -> bool:
        """Do the next due step; False when nothing is due before ``now``."""
        if self.status == "Pending":
            if now < self.cursor:
                return False
            self.status = "InProgress"
            return True
        if self.status in ("InProgress", "RollbackInProgress"):
            if self.batch is not None:
                return self._finish_batch(now)
            return self._next_batch(now)
        if self.status == "Baking":
            if now < (self.bake_until or 0):
                return False
            self._succeed(self.bake_until or now)
            return True
        if self.status == "Cancelling":
            if now < (self.cancel_at or 0):
                return False
            self._finish_cancel(self.cancel_at or now)
            return True
        return False

    def _rolling_back(self) -> bool:
        # Also true while a rollback is being cancelled or has ended.
        return self.rollback_details is not None

    def _next_batch(self, now: float) -> bool:
        group = self.group()
        assert group is not None
        if self.resume_at is not None:  # checkpoint delay
            if now < self.resume_at:
                return False
            self.cursor, self.resume_at, self.status_reason = self.resume_at, None, None
        if now < self.cursor:
            return False
        rolling_back = self._rolling_back()
        if rolling_back:
            self.rollback_queue = self._alive(self.rollback_queue)
            queue = self.rollback_queue
        else:
            self.queue = self._alive(self.queue)
            queue = self.queue
        if not queue:
            if rolling_back:
                self._finish_rollback(self.cursor)
            else:
                self._finish_forward(self.cursor)
            return True

        candidates = queue if rolling_back else self._unblocked(group, queue)
        if not candidates:
            if self.waiting_since is None:
                self.waiting_since = self.cursor
            limit = self.waiting_since + WAIT_LIMIT_SECONDS
            if now >= limit:
                self._fail(limit, "Instance refresh failed: instances in Standby or protected from scale in "
                                  "were not released within one hour.")
                return True
            self.status_reason = (
                "Waiting for instances in Standby state or protected from scale in to become available. "
                f"For example: {queue[0]}."
            )
            return False
        if self.waiting_since is not None:
            # Released at some point before this request: go on from now
            # rather than replaying batches back to when the wait began.
            self.waiting_since, self.cursor = None, max(self.cursor, now)

        size, early = self._plan(group)
        if not rolling_back and self.prefs.checkpoints and self.checkpoint_index < len(self.prefs.checkpoints):
            # Stop exactly at the next checkpoint ("the percentage of instances
            # replaced can be equal to or higher than the threshold").
            threshold = math.ceil(self.total * self.prefs.checkpoints[self.checkpoint_index] / 100)
            size = min(size, max(1, threshold - self.skipped - self.replaced))
        take = candidates[:size]
        self._start_batch(group, take, early, self.cursor)
        return True

    def _finish_batch(self, now: float) -> bool:
        batch = self.batch
        assert batch is not None
        group = self.group()
        assert group is not None
        states = fleet.states_by_id(group)
        unhealthy = [i for i in batch.new_ids if i in states and states[i].failing_health]
        if unhealthy:
            if self.unhealthy_timeout > 0 and now >= batch.started + self.unhealthy_timeout:
                self._fail(
                    batch.started + self.unhealthy_timeout,
                    f"Instance refresh failed: {len(unhealthy)} new instance(s) did not pass health checks within "
                    f"{self.unhealthy_timeout:g} seconds. For example: {unhealthy[0]} is unhealthy.",
                )
                return True
            self.status_reason = (
                "Waiting for instances to become healthy before continuing. "
                f"For example: {unhealthy[0]} is unhealthy."
            )
            return False
        done_at = batch.started + self.batch_seconds
        if now < done_at:
            if batch.new_ids:
                self.status_reason = (
                    "Waiting for instances to warm up before continuing. "
                    f"For example: {batch.new_ids[0]} is warming up."
                )
            return False
        fleet.terminate(self.backend, group, batch.deferred_old)
        self.batch = None
        self.cursor = done_at
        self.status_reason = None
        if self._rolling_back():
            self.rollback_done += len(batch.old_ids)
            return True
        self.replaced += len(batch.old_ids)
        self._checkpoint(done_at)
        return True

    def _checkpoint(self, at: float) -> None:
        checkpoints = self.prefs.checkpoints
        reached = False
        while self.checkpoint_index < len(checkpoints) and self.percentage() >= checkpoints[self.checkpoint_index]:
            self.checkpoint_index += 1
            reached = True
        if not reached:
            return
        if self.checkpoint_index >= len(checkpoints):
            # "The operation transitions to Successful after this percentage is
            # successfully replaced" (last checkpoint, even below 100).
            self.queue = []
            return
        if self.prefs.checkpoint_delay > 0:
            self.resume_at = at + self.prefs.checkpoint_delay
            self.status_reason = (
                f"Checkpoint {checkpoints[self.checkpoint_index - 1]}% reached; waiting "
                f"{self.prefs.checkpoint_delay} seconds before continuing."
            )

    def _finish_forward(self, at: float) -> None:
        if self.prefs.bake_time > 0:
            self.status = "Baking"
            self.bake_until = at + self.prefs.bake_time
            self.status_reason = f"Waiting {self.prefs.bake_time} seconds of bake time before completing."
            return
        self._succeed(at)

    def _succeed(self, at: float) -> None:
        group = self.group()
        if group is not None and self.desired is not None:
            # "Once the instance refresh succeeds, Amazon EC2 Auto Scaling
            # updates the settings of the Auto Scaling group to reflect the new
            # desired configuration."
            spec = self.desired["LaunchTemplate"]
            version = spec.get("Version")
            try:
                group.ec2_launch_template = fleet.find_template(self.backend, spec)
            except ValidationError:  # template deleted meanwhile: keep the old settings
                self.status, self.status_reason, self.end_time = "Successful", None, at
                return
            group.launch_template_version = version or "$Default"
            group.provided_launch_template_version = version
            group.launch_config = None
            group.launch_configuration_name = None
        self.status, self.status_reason, self.end_time = "Successful", None, at

    def _finish_rollback(self, at: float) -> None:
        group = self.group()
        if group is not None:
            self.previous.apply(group)
        self.status, self.status_reason, self.end_time = "RollbackSuccessful", None, at

    def _fail(self, at: float, reason: str) -> None:
        if self._rolling_back():
            self._settle_batch()
            self.status, self.status_reason, self.end_time = "RollbackFailed", reason, at
            return
        if self.prefs.auto_rollback and self.rollback_blocker is None:
            self._start_rollback(at, f"Automatic rollback: {reason}")
            return
        self._settle_batch()
        self.status, self.status_reason, self.end_time = "Failed", reason, at

    # -- operations -----------------------------------------------------------

    def cancel(self, now: float, wait: bool) -> None:
        if self.status == "Cancelling":
            return
        self.status, self.status_reason = "Cancelling", None
        done = now + (self.pending_seconds if wait else 0)
        if wait and self.batch is not None:
            # WaitForTransitioningInstances (default true): in-flight launches
            # and terminations complete first.
            done = max(done, self.batch.started + self.batch_seconds)
        self.cancel_at = done

    def _finish_cancel(self, at: float) -> None:
        self._settle_batch()
        self.status, self.status_reason, self.end_time = "Cancelled", None, at

    def check_rollback(self) -> None:
        if self.status not in ROLLBACK_FROM:
            raise ActiveInstanceRefreshNotFound(
                f"No active instance refresh to roll back for Auto Scaling group {self.group_name} "
                f"(latest refresh {self.id} is {self.status})."
            )
        if self.rollback_blocker is not None:
            raise IrreversibleInstanceRefresh(self.rollback_blocker)

    def rollback(self, now: float) -> None:
        self.check_rollback()
        self._start_rollback(now, "Rollback started by RollbackInstanceRefresh.")

    def _start_rollback(self, at: float, reason: str) -> None:
        group = self.group()
        assert group is not None
        self.rollback_details = {
            "RollbackReason": reason,
            "RollbackStartTime": timestamp(at),
            "PercentageCompleteOnRollback": self.percentage(),
            "InstancesToUpdateOnRollback": self.instances_to_update(),
            "ProgressDetailsOnRollback": self._progress(),
        }
        batch, self.batch = self.batch, None
        if batch is not None:
            # Old instances still in service make new ones of the in-flight
            # batch superfluous: drop that many without a replacement.
            kept_old = self._alive(batch.deferred_old)
            surplus = self._alive(batch.new_ids)[: len(kept_old)]
            fleet.terminate(self.backend, group, surplus)
        self.rollback_queue = self._alive(self.launched)
        self.rollback_total = len(self.rollback_queue)
        self.rollback_done = 0
        self.resume_at = self.waiting_since = self.bake_until = None
        self.status, self.status_reason = "RollbackInProgress", None
        self.cursor = at + self.pending_seconds
