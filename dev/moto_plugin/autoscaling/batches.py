"""Instance work of an instance refresh: which instances it replaces, how
many at a time, and how a batch is closed when the refresh stops early.

``refresh.py`` decides *when* a batch starts and completes; the methods here
do the launching and terminating (through ``fleet``) for it.

Batch size (``MinHealthyPercentage`` m, ``MaxHealthyPercentage`` M, desired
capacity D; RefreshPreferences in the API Reference):

* M omitted: keep ceil(D*m/100) in service, replace the rest at once
  (terminate and launch at the same time), at least one instance.
* M given: the group may grow to floor(D*M/100).  New instances for the whole
  batch launch first; as many old instances as the lower bound allows are
  terminated at the same time, the others when the batch completes.  When the
  two bounds leave no room, one instance is launched before one is terminated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from moto.autoscaling.models import FakeAutoScalingGroup

from . import fleet
from .fleet import LaunchSpec
from .preferences import RefreshPreferences

if TYPE_CHECKING:
    from .backend import ForgeAutoScalingBackend


@dataclass
class Batch:
    old_ids: list[str]
    new_ids: list[str]
    started: float
    # Old instances that stay in service until the batch completes
    # (launch-before-terminate part of the batch).
    deferred_old: list[str] = field(default_factory=list)


class BatchWork:
    """Mixed into ``InstanceRefresh``, which owns the state; split out so the
    timeline reads as a state machine without the instance bookkeeping."""

    # Set by InstanceRefresh.__init__; declared so this module reads on its own.
    backend: ForgeAutoScalingBackend
    prefs: RefreshPreferences
    target: LaunchSpec | None
    previous_spec: LaunchSpec | None
    queue: list[str]
    rollback_queue: list[str]
    launched: list[str]
    replaced: int
    rollback_done: int
    batch: Batch | None

    if TYPE_CHECKING:

        def group(self) -> FakeAutoScalingGroup | None: ...

        def _rolling_back(self) -> bool: ...

    def _scope(self, group: FakeAutoScalingGroup) -> tuple[int, int, list[str]]:
        in_scope = []
        for state in group.instance_states:
            if state.lifecycle_state == "Standby" and self.prefs.standby == "Ignore":
                continue
            if state.protected_from_scale_in and self.prefs.scale_in_protected == "Ignore":
                continue
            in_scope.append(state)
        queue, skipped = [], 0
        for state in in_scope:
            spec = getattr(state, "spec", None)
            if self.prefs.skip_matching and spec == self.target:
                skipped += 1
            else:
                queue.append(state.instance.id)
        return len(in_scope), skipped, queue

    def _alive(self, ids: list[str]) -> list[str]:
        group = self.group()
        present = {s.instance.id for s in group.instance_states} if group else set()
        return [i for i in ids if i in present]

    def _plan(self, group: FakeAutoScalingGroup) -> tuple[int, int]:
        """(batch size, how many old instances may go at batch start)."""
        desired = int(group.desired_capacity or 0)
        keep = math.ceil(desired * self.prefs.min_healthy / 100)
        if self.prefs.max_healthy is None:
            size = max(1, desired - keep)
            return size, size
        room = math.floor(desired * self.prefs.max_healthy / 100) - keep
        if room <= 0:
            return 1, 0
        return room, min(room, max(0, desired - keep))

    def _unblocked(self, group: FakeAutoScalingGroup, queue: list[str]) -> list[str]:
        states = fleet.states_by_id(group)
        out = []
        for instance_id in queue:
            state = states.get(instance_id)
            if state is None:
                continue
            if state.lifecycle_state == "Standby" and self.prefs.standby == "Wait":
                continue
            if state.protected_from_scale_in and self.prefs.scale_in_protected == "Wait":
                continue
            out.append(instance_id)
        return out

    def _start_batch(self, group: FakeAutoScalingGroup, old_ids: list[str], early: int, at: float) -> None:
        states = fleet.states_by_id(group)
        # StandbyInstances=Terminate: standby instances go without a replacement
        # (they do not count towards the desired capacity).
        standby = [i for i in old_ids if i in states and states[i].lifecycle_state == "Standby"]
        serving = [i for i in old_ids if i not in standby]
        first, deferred = serving[:early], serving[early:]
        fleet.terminate(self.backend, group, standby + first)
        spec = self.previous_spec if self._rolling_back() else self.target
        new = fleet.launch(self.backend, group, spec, len(serving))
        new_ids = [s.instance.id for s in new]
        if self._rolling_back():
            self.rollback_queue = [i for i in self.rollback_queue if i not in old_ids]
        else:
            self.queue = [i for i in self.queue if i not in old_ids]
            self.launched.extend(new_ids)
        self.batch = Batch(old_ids=old_ids, new_ids=new_ids, started=at, deferred_old=deferred)

    def _settle_batch(self) -> None:
        """Close the in-flight batch when the refresh stops (cancel, failure).

        Healthy new instances stay (the batch counts as done).  Unhealthy ones
        are what Auto Scaling's health checks would replace next, with the
        group's own launch settings: they are terminated, and replaced from
        the group's configuration unless their old instances are still there.
        """
        batch, group = self.batch, self.group()
        self.batch = None
        if batch is None or group is None:
            return
        states = fleet.states_by_id(group)
        new = [i for i in batch.new_ids if i in states]
        unhealthy = [i for i in new if states[i].failing_health]
        kept_old = self._alive(batch.deferred_old)
        if not unhealthy:
            fleet.terminate(self.backend, group, kept_old)
            if self._rolling_back():
                self.rollback_done += len(batch.old_ids)
            else:
                self.replaced += len(batch.old_ids)
            return
        fleet.terminate(self.backend, group, unhealthy)
        missing = max(0, len(unhealthy) - len(kept_old))
        fleet.launch(self.backend, group, fleet.group_spec(group), missing)

