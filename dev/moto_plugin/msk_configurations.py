"""MSK configurations: CreateConfiguration, UpdateConfiguration (a new
revision), DescribeConfiguration, DescribeConfigurationRevision,
ListConfigurations and DeleteConfiguration.

A configuration is bookkeeping only: the local Kafka never loads its server
properties.  Clusters refer to a configuration by ARN + revision, so the rest
of the backend needs just two things from here: ``_configuration_revision`` to
check such a reference (cluster creation, UpdateClusterConfiguration), and
DeleteConfiguration refusing while a cluster still uses the configuration.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.utilities.utils import get_partition

from .exceptions import BadRequestException, ConflictException, NotFoundException
from .msk_common import Json, arn_id, drop_none, iso

if TYPE_CHECKING:
    import threading

    from moto.utilities.tagging_service import TaggingService

    from .models import EmulatedCluster

CONFIG_NAME_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,}$")


@dataclass
class ConfigurationRevision:
    revision: int
    created_at: float
    description: str | None
    server_properties: bytes

    def summary(self) -> Json:
        return drop_none(
            {"creationTime": iso(self.created_at), "description": self.description, "revision": self.revision}
        )


@dataclass
class Configuration:
    arn: str
    name: str
    description: str
    kafka_versions: list[str]
    created_at: float
    revisions: list[ConfigurationRevision]
    state: str = "ACTIVE"

    @property
    def latest(self) -> ConfigurationRevision:
        return self.revisions[-1]

    def info(self) -> Json:
        return {
            "arn": self.arn,
            "creationTime": iso(self.created_at),
            "description": self.description,
            "kafkaVersions": self.kafka_versions,
            "latestRevision": self.latest.summary(),
            "name": self.name,
            "state": self.state,
        }


def decode_blob(value: Any, param: str) -> bytes:
    if not isinstance(value, str) or value == "":
        raise BadRequestException(f"{param} is required", invalid_parameter=param)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequestException(f"{param} must be Base64-encoded", invalid_parameter=param) from exc


class ConfigurationApi:
    """Mixed into ``ForgeKafkaBackend``, which owns the state."""

    # Set by moto's BaseBackend/KafkaBackend and ForgeKafkaBackend.__init__;
    # declared so this module reads on its own.
    region_name: str
    account_id: str
    tagger: TaggingService
    lock: threading.RLock
    clusters: dict[str, EmulatedCluster]
    configurations: dict[str, Configuration]

    if TYPE_CHECKING:

        def _tick(self) -> None: ...

    def _configuration(self, arn: str | None) -> Configuration:
        conf = self.configurations.get(arn or "")
        if conf is None:
            raise NotFoundException(f"The specified configuration was not found: {arn}", invalid_parameter="arn")
        return conf

    def _configuration_revision(self, arn: str | None, revision: Any) -> ConfigurationRevision:
        conf = self.configurations.get(arn or "")
        if conf is None:
            raise BadRequestException(
                f"The specified configuration was not found: {arn}", invalid_parameter="configurationInfo"
            )
        for rev in conf.revisions:
            if rev.revision == revision:
                return rev
        raise BadRequestException(
            f"Configuration {arn} has no revision {revision}", invalid_parameter="configurationInfo"
        )

    def create_configuration(self, name: Any, description: Any, kafka_versions: Any, server_properties: Any) -> Configuration:
        if not isinstance(name, str) or not CONFIG_NAME_RE.match(name):
            raise BadRequestException(
                "name must match ^[0-9A-Za-z][0-9A-Za-z-]{0,}$", invalid_parameter="name"
            )
        blob = decode_blob(server_properties, "serverProperties")
        with self.lock:
            if any(c.name == name for c in self.configurations.values()):
                raise ConflictException(f"A configuration with the name {name} already exists.", invalid_parameter="name")
            now = time.time()
            conf = Configuration(
                arn=(
                    f"arn:{get_partition(self.region_name)}:kafka:{self.region_name}:{self.account_id}:"
                    f"configuration/{name}/{arn_id()}"
                ),
                name=name,
                description=description or "",
                kafka_versions=list(kafka_versions or []),
                created_at=now,
                revisions=[ConfigurationRevision(1, now, description, blob)],
            )
            self.configurations[conf.arn] = conf
            return conf

    def update_configuration(self, arn: str, description: Any, server_properties: Any) -> Configuration:
        blob = decode_blob(server_properties, "serverProperties")
        with self.lock:
            conf = self._configuration(arn)
            conf.revisions.append(ConfigurationRevision(conf.latest.revision + 1, time.time(), description, blob))
            return conf

    def describe_configuration(self, arn: str) -> Configuration:
        with self.lock:
            return self._configuration(arn)

    def describe_configuration_revision(self, arn: str, revision: Any) -> ConfigurationRevision:
        with self.lock:
            conf = self._configuration(arn)
            try:
                wanted = int(revision)
            except (TypeError, ValueError) as exc:
                raise BadRequestException("revision must be an integer", invalid_parameter="revision") from exc
            for rev in conf.revisions:
                if rev.revision == wanted:
                    return rev
            raise NotFoundException(f"Configuration {arn} has no revision {wanted}", invalid_parameter="revision")

    def list_configurations(self) -> list[Configuration]:
        with self.lock:
            return sorted(self.configurations.values(), key=lambda c: c.created_at)

    def delete_configuration(self, arn: str) -> Configuration:
        with self.lock:
            conf = self._configuration(arn)
            self._tick()
            users = [c.cluster_name for c in self.clusters.values() if (c.configuration_info or {}).get("arn") == arn]
            if users:
                raise BadRequestException(
                    f"The configuration is in use by cluster(s): {', '.join(sorted(users))}", invalid_parameter="arn"
                )
            del self.configurations[arn]
            self.tagger.delete_all_tags_for_resource(arn)
            conf.state = "DELETING"
            return conf
