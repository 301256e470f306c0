"""Auto Scaling Query-protocol responses: moto's + the instance refresh actions.

moto dispatches on the ``Action`` form parameter to the snake_case method
(``StartInstanceRefresh`` -> ``start_instance_refresh``), parses parameters
with botocore's autoscaling model (``automated_parameter_parsing``) and
serializes the returned dicts to XML with the same model, so the member names
below are exactly the API's.  Also the URL module the backend points moto at.
"""

from __future__ import annotations

from moto.autoscaling.responses import AutoScalingResponse
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult

from . import fleet
from .backend import ForgeAutoScalingBackend, autoscaling_backends

url_bases = [r"https?://autoscaling\.(.+)\.amazonaws\.com"]


class ForgeAutoScalingResponse(AutoScalingResponse):
    @property
    def autoscaling_backend(self) -> ForgeAutoScalingBackend:  # type: ignore[override]
        return autoscaling_backends[self.current_account][self.region]

    def call_action(self) -> TYPE_RESPONSE:
        backend = self.autoscaling_backend
        with backend.lock:
            # Catch up with the clock first, so every answer (Describe* of
            # groups, instances, refreshes) reflects the current time.
            backend.tick()
            try:
                return super().call_action()
            finally:
                # Record the launch template version of instances moto itself
                # launched during this request (CreateAutoScalingGroup, ...).
                fleet.adopt(backend)

    def start_instance_refresh(self) -> ActionResult:
        refresh = self.autoscaling_backend.start_instance_refresh(
            group_name=self._get_param("AutoScalingGroupName"),
            strategy=self._get_param("Strategy"),
            desired_configuration=self._get_param("DesiredConfiguration"),
            raw_preferences=self._get_param("Preferences"),
        )
        return ActionResult({"InstanceRefreshId": refresh.id})

    def describe_instance_refreshes(self) -> ActionResult:
        refreshes, token = self.autoscaling_backend.describe_instance_refreshes(
            group_name=self._get_param("AutoScalingGroupName"),
            refresh_ids=self._get_param("InstanceRefreshIds", []),
            max_records=self._get_int_param("MaxRecords"),
            next_token=self._get_param("NextToken"),
        )
        return ActionResult({"InstanceRefreshes": refreshes, "NextToken": token})

    def cancel_instance_refresh(self) -> ActionResult:
        refresh = self.autoscaling_backend.cancel_instance_refresh(
            group_name=self._get_param("AutoScalingGroupName"),
            wait_for_transitioning=self._get_bool_param("WaitForTransitioningInstances"),
        )
        return ActionResult({"InstanceRefreshId": refresh.id})

    def rollback_instance_refresh(self) -> ActionResult:
        refresh = self.autoscaling_backend.rollback_instance_refresh(
            group_name=self._get_param("AutoScalingGroupName"),
        )
        return ActionResult({"InstanceRefreshId": refresh.id})


url_paths = {"{0}/$": ForgeAutoScalingResponse.dispatch}
