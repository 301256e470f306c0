"""The moto-facing half of instance refresh: launching, terminating and
describing the instances of an Auto Scaling group.

moto's ``InstanceState`` reports, for every instance, the *group's* launch
template with the template's *default* version number, so after a refresh the
instances could not be told apart.  ``FleetInstanceState`` remembers the
template version each instance was really launched from.  Instances that moto
launches itself (CreateAutoScalingGroup, SetDesiredCapacity, ...) are adopted
after each Auto Scaling request (``adopt``): the plain ``InstanceState`` in the
group's list is swapped for a ``FleetInstanceState`` carrying the group's
launch template version at that moment.

Fault simulation (dev only): an instance launched from a launch template
version whose base64-decoded UserData contains one of the run-time setting
``unhealthy_user_data_markers`` never passes health checks.  It is reported
with ``HealthStatus: Unhealthy`` and an instance refresh batch containing it
never completes.  The check happens once, at launch, so a concurrent change of
the setting does not heal or break instances that already run.
"""

from __future__ import annotations

import binascii
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.autoscaling.models import ASG_NAME_TAG, FakeAutoScalingGroup, InstanceState
from moto.ec2.exceptions import (
    InvalidLaunchTemplateIdNotFound,
    InvalidLaunchTemplateNameNotFoundError,
    InvalidLaunchTemplateNameNotFoundWithNameError,
    InvalidLaunchTemplateVersionNotFound,
)
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateVersion
from moto.ec2.utils import parse_user_data

from .. import settings
from .exceptions import ValidationError

if TYPE_CHECKING:
    from .backend import ForgeAutoScalingBackend


@dataclass(frozen=True)
class LaunchSpec:
    """A launch template pinned to one numbered version."""

    template_id: str
    template_name: str
    version: int

    def as_api(self) -> dict[str, str]:
        # The resolved number, not "$Latest": it tells which version the
        # instance really runs.
        return {
            "LaunchTemplateId": self.template_id,
            "LaunchTemplateName": self.template_name,
            "Version": str(self.version),
        }


class FleetInstanceState(InstanceState):
    """moto's InstanceState + the launch template version it was launched from."""

    def __init__(
        self,
        instance: Any,
        group: FakeAutoScalingGroup,
        spec: LaunchSpec | None,
        *,
        lifecycle_state: str = "InService",
        health_status: str = "Healthy",
        protected_from_scale_in: bool | None = False,
        failing_health: bool = False,
    ):
        instance.autoscaling_group = group
        super().__init__(
            instance,
            lifecycle_state=lifecycle_state,
            health_status="Unhealthy" if failing_health else health_status,
            protected_from_scale_in=protected_from_scale_in,
            autoscaling_group=group,
        )
        self.spec = spec
        # Fixed at launch (see module docstring).
        self.failing_health = failing_health

    @property
    def launch_template(self) -> dict[str, str] | None:  # type: ignore[override]
        return self.spec.as_api() if self.spec else None


# -- launch templates -------------------------------------------------------


def find_template(backend: ForgeAutoScalingBackend, spec: dict[str, Any]) -> LaunchTemplate:
    template_id = spec.get("LaunchTemplateId")
    name = spec.get("LaunchTemplateName")
    if bool(template_id) == bool(name):
        raise ValidationError("Valid requests must contain either launchTemplateId or LaunchTemplateName")
    try:
        if template_id:
            return backend.ec2_backend.get_launch_template(template_id)
        return backend.ec2_backend.get_launch_template_by_name(name)
    except (
        InvalidLaunchTemplateIdNotFound,
        InvalidLaunchTemplateNameNotFoundError,
        InvalidLaunchTemplateNameNotFoundWithNameError,
        KeyError,
    ):
        what = f"template ID {template_id}" if template_id else f"template name {name}"
        raise ValidationError(f"The specified launch template, with {what}, does not exist.")


def normalized(version: LaunchTemplateVersion) -> LaunchTemplateVersion:
    """moto 5.2.5 stores UserData of CreateLaunchTemplateVersion as a plain
    string (CreateLaunchTemplate wraps it in Base64EncodedString), and its
    ``LaunchTemplateVersion.user_data`` then fails an assertion: every launch
    from such a version, moto's own scale-outs included, would be a 500.
    Wrap it the way CreateLaunchTemplate does, once, in moto's stored data."""
    raw = version.data.get("UserData")
    if isinstance(raw, (str, bytes)):
        try:
            version.data["UserData"] = parse_user_data(raw)
        except Exception:  # noqa: BLE001 - not base64: launch without user data
            version.data["UserData"] = None
    return version


def normalize_templates(backend: ForgeAutoScalingBackend) -> None:
    """Apply ``normalized`` to every launch template version, so that moto's
    own launches (UpdateAutoScalingGroup to a new version, SetDesiredCapacity
    after a refresh) work too."""
    for template in backend.ec2_backend.launch_templates.values():
        for version in template.versions:
            normalized(version)


def template_version(template: LaunchTemplate, version: Any) -> LaunchTemplateVersion:
    wanted = str(version) if version else "$Default"
    # moto indexes a list with the number, so 0 or -1 would silently pick a
    # version from the end: only $Latest, $Default or 1..n are accepted.
    if wanted.lower() not in ("$latest", "$default") and not (wanted.isdigit() and int(wanted) >= 1):
        raise ValidationError(f"Invalid launch template version {wanted!r}: use a number, $Latest or $Default.")
    try:
        return normalized(template.get_version(wanted))
    except (InvalidLaunchTemplateVersionNotFound, IndexError):
        raise ValidationError(
            f"The specified launch template version {wanted} of launch template {template.id} does not exist."
        )


def resolve(backend: ForgeAutoScalingBackend, spec: dict[str, Any]) -> LaunchSpec:
    template = find_template(backend, spec)
    version = template_version(template, spec.get("Version"))
    return LaunchSpec(template.id, template.name, version.number)


def group_spec(group: FakeAutoScalingGroup) -> LaunchSpec | None:
    """The group's launch template, resolved now; None for launch configurations."""
    template = group.ec2_launch_template
    if template is None:
        return None
    try:
        version = normalized(template.get_version(group.launch_template_version))
    except (InvalidLaunchTemplateVersionNotFound, IndexError, ValueError):
        # A version that no longer resolves must not turn every Auto Scaling
        # request into a 500 (adopt runs on each one).
        return None
    return LaunchSpec(template.id, template.name, version.number)


def version_of(backend: ForgeAutoScalingBackend, spec: LaunchSpec) -> LaunchTemplateVersion:
    return normalized(backend.ec2_backend.get_launch_template(spec.template_id).get_version(spec.version))


def fails_health_checks(backend: ForgeAutoScalingBackend, spec: LaunchSpec | None) -> bool:
    markers = settings.get().unhealthy_user_data_markers
    if not markers or spec is None:
        return False
    try:
        user_data = version_of(backend, spec).user_data
    except (InvalidLaunchTemplateIdNotFound, InvalidLaunchTemplateVersionNotFound, IndexError):
        return False
    if user_data is None:
        return False
    try:
        text = user_data.decode("utf-8")
    except (UnicodeDecodeError, binascii.Error, ValueError):
        return False
    return any(marker in text for marker in markers)


# -- instances ----------------------------------------------------------------


def adopt(backend: ForgeAutoScalingBackend) -> None:
    """Give instances moto launched on its own their launch template version."""
    for group in backend.autoscaling_groups.values():
        states = group.instance_states
        if all(isinstance(s, FleetInstanceState) for s in states):
            continue
        spec = group_spec(group)
        failing = fails_health_checks(backend, spec)
        group.instance_states = [
            s
            if isinstance(s, FleetInstanceState)
            else FleetInstanceState(
                s.instance,
                group,
                spec,
                lifecycle_state=s.lifecycle_state,
                health_status=s.health_status,
                protected_from_scale_in=s.protected_from_scale_in,
                failing_health=failing,
            )
            for s in states
        ]


def states_by_id(group: FakeAutoScalingGroup) -> dict[str, FleetInstanceState]:
    return {s.instance.id: s for s in group.instance_states if isinstance(s, FleetInstanceState)}


def _placement(backend: ForgeAutoScalingBackend, group: FakeAutoScalingGroup) -> tuple[str | None, str]:
    # AWS balances a group over its Availability Zones; pick the least used
    # subnet (or zone) for every new instance.  moto's own scale-out always
    # uses the first subnet.
    if group.vpc_zone_identifier:
        subnets = [s for s in group.vpc_zone_identifier.split(",") if s]
        used = Counter(getattr(s.instance, "subnet_id", None) for s in group.instance_states)
        subnet_id = min(subnets, key=lambda s: (used[s], subnets.index(s)))
        return subnet_id, backend.ec2_backend.get_subnet(subnet_id).availability_zone
    zones = list(group.availability_zones)
    used = Counter(s.instance.placement.zone for s in group.instance_states)
    return None, min(zones, key=lambda z: (used[z], zones.index(z)))


def launch(
    backend: ForgeAutoScalingBackend, group: FakeAutoScalingGroup, spec: LaunchSpec | None, count: int
) -> list[FleetInstanceState]:
    """Launch ``count`` instances into the group from ``spec`` (None: the
    group's launch configuration) and register them like a scale-out does."""
    if count <= 0:
        return []
    if spec is None:
        before = {s.instance.id for s in group.instance_states}
        group.replace_autoscaling_group_instances(count, group.get_propagated_tags())
        adopt(backend)
        new = [s for s in group.instance_states if s.instance.id not in before]
    else:
        version = version_of(backend, spec)
        failing = fails_health_checks(backend, spec)
        tags = group.get_propagated_tags()
        tags[ASG_NAME_TAG] = group.name
        tags.update(version.instance_tags)
        new = []
        for _ in range(count):
            subnet_id, zone = _placement(backend, group)
            reservation = backend.ec2_backend.run_instances(
                version.image_id,
                1,
                version.user_data,
                version.security_groups,
                instance_type=version.instance_type,
                tags={"instance": dict(tags)},
                placement=zone,
                launch_config=None,
                # With the version pinned moto tags the instance with the right
                # aws:ec2launchtemplate:version.
                launch_template={"LaunchTemplateId": spec.template_id, "Version": str(spec.version)},
                is_instance_type_default=False,
                associate_public_ip=None,
                subnet_id=subnet_id,
            )
            for instance in reservation.instances:
                state = FleetInstanceState(
                    instance,
                    group,
                    spec,
                    protected_from_scale_in=group.new_instances_protected_from_scale_in,
                    failing_health=failing,
                )
                group.instance_states.append(state)
                new.append(state)
    backend.update_attached_target_groups(group.name)
    backend.update_attached_elbs(group.name)
    return new


def terminate(backend: ForgeAutoScalingBackend, group: FakeAutoScalingGroup, instance_ids: list[str]) -> None:
    """Take instances out of the group, terminate them in EC2 and drain them
    from the group's target groups (what TerminateInstances does in moto)."""
    alive = {s.instance.id for s in group.instance_states}
    ids = [i for i in instance_ids if i in alive]
    if not ids:
        return
    group.instance_states = [s for s in group.instance_states if s.instance.id not in ids]
    backend.ec2_backend.terminate_instances(ids)
    backend.elbv2_backend.notify_terminate_instances(ids)
    backend.update_attached_elbs(group.name)
