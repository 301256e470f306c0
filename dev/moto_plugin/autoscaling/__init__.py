"""EC2 Auto Scaling instance refresh for the local emulator.

Modules, by responsibility:

* ``backend``     ForgeAutoScalingBackend (moto's AutoScalingBackend + the four
                  instance refresh operations) and its BackendDict registry.
* ``responses``   ForgeAutoScalingResponse (Query/XML) and the URL module.
* ``refresh``     one instance refresh: the lazy timeline (batches, rollback,
                  cancel, checkpoints, bake time).
* ``batches``     batch planning and the instance work of a batch (scope, size,
                  start, settle on cancel/failure); mixed into the refresh.
* ``progress``    progress figures and the DescribeInstanceRefreshes entry;
                  mixed into the refresh.
* ``preferences`` RefreshPreferences validation and documented defaults.
* ``fleet``       moto-facing instance work: launch from a pinned launch
                  template version, terminate, per-instance version, the
                  unhealthy-UserData fault knob.
* ``exceptions``  the Auto Scaling error shapes.

``server.install()`` puts ``autoscaling_backends`` in place of moto's registry.
"""

from .backend import ForgeAutoScalingBackend, autoscaling_backends

__all__ = ["ForgeAutoScalingBackend", "autoscaling_backends"]
