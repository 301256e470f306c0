"""MSK error responses.

MSK is a restJson service: an error is an HTTP status, an ``x-amzn-ErrorType``
header naming the error shape and a JSON body ``{"message": ...}`` (plus
``invalidParameter`` for some).  moto's ``JsonRESTError`` writes exactly that
header and a ``{"__type", "message"}`` body; here each shape gets the HTTP
status from botocore's kafka service model (``error.httpStatusCode``).
moto's own ``moto.kafka.exceptions.NotFoundException`` answers 400, which is
why these are redefined.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.exceptions import JsonRESTError


class MskError(JsonRESTError):
    error_code = "InternalServerErrorException"
    code = 500

    def __init__(self, message: str, invalid_parameter: str | None = None, **kwargs: Any):
        super().__init__(self.error_code, message, **kwargs)
        body: dict[str, Any] = {"__type": self.error_code, "message": message}
        if invalid_parameter:
            body["invalidParameter"] = invalid_parameter
        self.description = json.dumps(body)


class BadRequestException(MskError):
    error_code = "BadRequestException"
    code = 400


class NotFoundException(MskError):
    error_code = "NotFoundException"
    code = 404


class ConflictException(MskError):
    error_code = "ConflictException"
    code = 409


class TopicExistsException(MskError):
    error_code = "TopicExistsException"
    code = 409


class ClusterConnectivityException(MskError):
    error_code = "ClusterConnectivityException"
    code = 409


class KafkaTimeoutException(MskError):
    error_code = "KafkaTimeoutException"
    code = 409


class KafkaRequestException(MskError):
    error_code = "KafkaRequestException"
    code = 400


class ServiceUnavailableException(MskError):
    error_code = "ServiceUnavailableException"
    code = 503
