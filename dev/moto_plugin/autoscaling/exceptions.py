"""Auto Scaling error shapes used by the instance refresh operations.

The Auto Scaling API is a Query (XML) service.  moto serializes a
``ServiceException`` into ``<ErrorResponse><Error><Code>...`` and takes the
HTTP status from botocore's service model when ``code`` names an error shape
(all four below are 400 there; ``ValidationError`` is not a modelled shape
and gets moto's default 400 as well).
"""

from __future__ import annotations

from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError

__all__ = [
    "ActiveInstanceRefreshNotFound",
    "InstanceRefreshInProgress",
    "InvalidNextToken",
    "IrreversibleInstanceRefresh",
    "ValidationError",
]


class InstanceRefreshInProgress(AutoscalingClientError):
    # InstanceRefreshInProgressFault: "an active instance refresh already exists
    # for the specified Auto Scaling group".
    code = "InstanceRefreshInProgress"


class ActiveInstanceRefreshNotFound(AutoscalingClientError):
    # ActiveInstanceRefreshNotFoundFault: "an active instance refresh or
    # rollback for the specified Auto Scaling group was not found".
    code = "ActiveInstanceRefreshNotFound"


class IrreversibleInstanceRefresh(AutoscalingClientError):
    # IrreversibleInstanceRefreshFault: no desired configuration, a launch
    # template whose ImageId is an SSM parameter, or $Latest/$Default.
    code = "IrreversibleInstanceRefresh"


class InvalidNextToken(AutoscalingClientError):
    code = "InvalidNextToken"
