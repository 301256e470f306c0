"""HTTP handlers for the MSK operations the plug-in adds or fixes.

moto routes a restJson request to ``<snake_case(OperationName)>()`` on the
response class after matching method + path against botocore's kafka service
model, and fills ``self.uri_match`` with the (URL-decoded) path labels.  Bodies
and responses use MSK's camelCase JSON names (``clusterArn``,
``bootstrapBrokerStringTls``...), exactly as the MSK REST API reference shows.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.kafka.responses import KafkaResponse

from .exceptions import BadRequestException
from .models import ForgeKafkaBackend, iso, kafka_backends
from .msk_versions import list_kafka_versions

Json = dict[str, Any]
DEFAULT_PAGE = 100


class ForgeKafkaResponse(KafkaResponse):
    @property
    def kafka_backend(self) -> ForgeKafkaBackend:  # type: ignore[override]
        return kafka_backends[self.current_account][self.region]

    def setup_class(self, *args: Any, **kwargs: Any) -> None:
        super().setup_class(*args, **kwargs)
        # moto defaults to text/html for string bodies; MSK answers JSON.
        self.response_headers["Content-Type"] = "application/json"

    # -- helpers -----------------------------------------------------------

    def _body(self) -> Json:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise BadRequestException("The request body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise BadRequestException("The request body must be a JSON object.")
        return data

    def _label(self, name: str) -> str:
        value = self.uri_match.get(name)
        if not value:
            raise BadRequestException(f"{name} is required", invalid_parameter=name)
        return str(value)

    def _query(self, name: str) -> str | None:
        values = self.querystring.get(name)
        return values[0] if values else None

    def _page(self, items: list[Any]) -> tuple[list[Any], str | None]:
        """maxResults/nextToken paging over a list (token = opaque offset)."""
        raw_max = self._query("maxResults")
        token = self._query("nextToken")
        try:
            limit = int(raw_max) if raw_max else DEFAULT_PAGE
            start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        except ValueError as exc:
            raise BadRequestException("Invalid maxResults or nextToken.") from exc
        if limit < 1 or start < 0:
            raise BadRequestException("Invalid maxResults or nextToken.")
        page = items[start : start + limit]
        nxt = start + limit
        next_token = base64.urlsafe_b64encode(str(nxt).encode()).decode() if nxt < len(items) else None
        return page, next_token

    def _paged(self, key: str, items: list[Any]) -> str:
        page, token = self._page(items)
        out: Json = {key: page}
        if token:
            out["nextToken"] = token
        return json.dumps(out)

    # -- clusters (fixes over moto) ------------------------------------------

    def create_cluster_v2(self) -> str:
        body = self._body()
        arn, name, state, ctype = self.kafka_backend.create_cluster_v2(
            cluster_name=body.get("clusterName"),
            tags=body.get("tags"),
            provisioned=body.get("provisioned"),
            serverless=body.get("serverless"),
        )
        return json.dumps({"clusterArn": arn, "clusterName": name, "state": state, "clusterType": ctype})

    def describe_cluster(self) -> str:
        info = self.kafka_backend.describe_cluster(self._label("clusterArn"))
        return json.dumps({"clusterInfo": info})

    def describe_cluster_v2(self) -> str:
        info = self.kafka_backend.describe_cluster_v2(self._label("clusterArn"))
        return json.dumps({"clusterInfo": info})

    def list_kafka_versions(self) -> str:
        return self._paged("kafkaVersions", list_kafka_versions())

    def list_clusters(self) -> str:
        items = self.kafka_backend.list_clusters(self._query("clusterNameFilter"))
        return self._paged("clusterInfoList", items)

    def list_clusters_v2(self) -> str:
        items = self.kafka_backend.list_clusters_v2(
            self._query("clusterNameFilter"), self._query("clusterTypeFilter")
        )
        return self._paged("clusterInfoList", items)

    def delete_cluster(self) -> str:
        arn, state = self.kafka_backend.delete_cluster(self._label("clusterArn"), self._query("currentVersion"))
        return json.dumps({"clusterArn": arn, "state": state})

    def get_bootstrap_brokers(self) -> str:
        return json.dumps(self.kafka_backend.get_bootstrap_brokers(self._label("clusterArn")))

    # -- broker updates --------------------------------------------------------

    @staticmethod
    def _op_response(op: Any) -> str:
        return json.dumps({"clusterArn": op.cluster_arn, "clusterOperationArn": op.arn})

    def update_broker_count(self) -> str:
        body = self._body()
        op = self.kafka_backend.update_broker_count(
            self._label("clusterArn"), body.get("currentVersion"), body.get("targetNumberOfBrokerNodes")
        )
        return self._op_response(op)

    def update_broker_storage(self) -> str:
        body = self._body()
        op = self.kafka_backend.update_broker_storage(
            self._label("clusterArn"), body.get("currentVersion"), body.get("targetBrokerEBSVolumeInfo")
        )
        return self._op_response(op)

    def update_broker_type(self) -> str:
        body = self._body()
        op = self.kafka_backend.update_broker_type(
            self._label("clusterArn"), body.get("currentVersion"), body.get("targetInstanceType")
        )
        return self._op_response(op)

    def update_cluster_configuration(self) -> str:
        body = self._body()
        op = self.kafka_backend.update_cluster_configuration(
            self._label("clusterArn"), body.get("currentVersion"), body.get("configurationInfo")
        )
        return self._op_response(op)

    # -- cluster operations ----------------------------------------------------

    def describe_cluster_operation(self) -> str:
        op = self.kafka_backend.describe_cluster_operation(self._label("clusterOperationArn"))
        return json.dumps({"clusterOperationInfo": op.info_v1(_now())})

    def describe_cluster_operation_v2(self) -> str:
        op = self.kafka_backend.describe_cluster_operation(self._label("clusterOperationArn"))
        return json.dumps({"clusterOperationInfo": op.info_v2(_now())})

    def list_cluster_operations(self) -> str:
        now = _now()
        ops = self.kafka_backend.list_cluster_operations(self._label("clusterArn"))
        return self._paged("clusterOperationInfoList", [o.info_v1(now) for o in ops])

    def list_cluster_operations_v2(self) -> str:
        now = _now()
        ops = self.kafka_backend.list_cluster_operations(self._label("clusterArn"))
        return self._paged("clusterOperationInfoList", [o.summary_v2(now) for o in ops])

    # -- configurations --------------------------------------------------------

    def create_configuration(self) -> str:
        body = self._body()
        conf = self.kafka_backend.create_configuration(
            body.get("name"), body.get("description"), body.get("kafkaVersions"), body.get("serverProperties")
        )
        return json.dumps(
            {
                "arn": conf.arn,
                "creationTime": iso(conf.created_at),
                "latestRevision": conf.latest.summary(),
                "name": conf.name,
                "state": conf.state,
            }
        )

    def update_configuration(self) -> str:
        body = self._body()
        conf = self.kafka_backend.update_configuration(
            self._label("arn"), body.get("description"), body.get("serverProperties")
        )
        return json.dumps({"arn": conf.arn, "latestRevision": conf.latest.summary()})

    def describe_configuration(self) -> str:
        return json.dumps(self.kafka_backend.describe_configuration(self._label("arn")).info())

    def describe_configuration_revision(self) -> str:
        arn = self._label("arn")
        rev = self.kafka_backend.describe_configuration_revision(arn, self._label("revision"))
        out: Json = {
            "arn": arn,
            "creationTime": iso(rev.created_at),
            "revision": rev.revision,
            "serverProperties": base64.b64encode(rev.server_properties).decode("ascii"),
        }
        if rev.description is not None:
            out["description"] = rev.description
        return json.dumps(out)

    def list_configurations(self) -> str:
        confs = self.kafka_backend.list_configurations()
        return self._paged("configurations", [c.info() for c in confs])

    def list_configuration_revisions(self) -> str:
        conf = self.kafka_backend.describe_configuration(self._label("arn"))
        return self._paged("revisions", [r.summary() for r in conf.revisions])

    def delete_configuration(self) -> str:
        conf = self.kafka_backend.delete_configuration(self._label("arn"))
        return json.dumps({"arn": conf.arn, "state": conf.state})

    # -- SASL/SCRAM secrets ------------------------------------------------------

    def batch_associate_scram_secret(self) -> str:
        body = self._body()
        out = self.kafka_backend.batch_associate_scram_secret(self._label("clusterArn"), body.get("secretArnList"))
        return json.dumps(out)

    def batch_disassociate_scram_secret(self) -> str:
        body = self._body()
        out = self.kafka_backend.batch_disassociate_scram_secret(self._label("clusterArn"), body.get("secretArnList"))
        return json.dumps(out)

    def list_scram_secrets(self) -> str:
        return self._paged("secretArnList", self.kafka_backend.list_scram_secrets(self._label("clusterArn")))

    # -- topics ----------------------------------------------------------------

    def create_topic(self) -> str:
        body = self._body()
        out = self.kafka_backend.create_topic(
            self._label("clusterArn"),
            body.get("topicName"),
            body.get("partitionCount"),
            body.get("replicationFactor"),
            body.get("configs"),
        )
        return json.dumps(out)

    def describe_topic(self) -> str:
        return json.dumps(self.kafka_backend.describe_topic(self._label("clusterArn"), self._label("topicName")))

    def describe_topic_partitions(self) -> str:
        parts = self.kafka_backend.describe_topic_partitions(self._label("clusterArn"), self._label("topicName"))
        return self._paged("partitions", parts)

    def list_topics(self) -> str:
        items = self.kafka_backend.list_topics(self._label("clusterArn"), self._query("topicNameFilter"))
        return self._paged("topics", items)

    def update_topic(self) -> str:
        body = self._body()
        out = self.kafka_backend.update_topic(
            self._label("clusterArn"), self._label("topicName"), body.get("partitionCount"), body.get("configs")
        )
        return json.dumps(out)

    def delete_topic(self) -> str:
        return json.dumps(self.kafka_backend.delete_topic(self._label("clusterArn"), self._label("topicName")))


def _now() -> float:
    import time

    return time.time()
