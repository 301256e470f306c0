"""A request's parameters, parsed back into the structure of botocore's input shape.

The wire forms AWS documents, by what the request says it is (Content-Type
and target header), not by which SDK sent it:

* JSON (``X-Amz-Target`` + ``application/x-amz-json-1.x``): the body is the input.
* REST-JSON (MSK): the JSON body, plus the URI labels and query-string members
  mapped back to member names through the shape's ``location``/``locationName``.
* Query (``Action=...`` form body; IAM, SNS, Auto Scaling, ELBv2, CloudWatch)
  and EC2: the flattened keys (``Tags.member.1.Key``, ``TagSpecification.1.Tag.1.Key``)
  are folded back into structures, lists and maps, and scalars converted to the
  member's type.  Keys no member accounts for are returned in ``unmapped``.

Members botocore marks ``sensitive`` (passwords, SecureString values, user data)
are replaced by as many ``*`` as they had characters, so lengths still check.
Nothing here is an AWS behaviour: it only records what arrived.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote

REDACTED = "*"
_INDEX = re.compile(r"^(\d+)(?:\.|$)")


# Signing names whose botocore service is named otherwise (ELB and ELBv2 share one).
_LIKELY_NAMES = {"monitoring": ["cloudwatch"], "elasticloadbalancing": ["elbv2", "elb"], "email": ["ses", "sesv2"]}


@lru_cache(maxsize=1)
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@lru_cache(maxsize=64)
def _model_for(signing_name: str, api_version: str | None) -> Any:
    """botocore's service model for a SigV4 signing name (ELB and ELBv2 share one:
    the query ``Version`` tells them apart)."""
    session = _session()
    candidates = []
    # Loading every model takes seconds: try the likely names first.
    for names in (_LIKELY_NAMES.get(signing_name, [signing_name]), session.get_available_services()):
        for name in names:
            try:
                model = session.get_service_model(name)
            except Exception:  # no such botocore service
                continue
            if signing_name in (model.signing_name, model.endpoint_prefix):
                candidates.append(model)
        if candidates:
            break
    if api_version:
        for model in candidates:
            if model.api_version == api_version:
                return model
    exact = [m for m in candidates if m.service_name == signing_name or m.endpoint_prefix == signing_name]
    return (exact or candidates or [None])[0]


def service_model(signing_name: str, api_version: str | None = None) -> Any:
    try:
        return _model_for(signing_name, api_version)
    except Exception:  # botocore data missing: nothing to map against
        return None


def parse(service: str | None, operation: str | None, environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """``{"protocol", "params", "unmapped"}`` for the log entry."""
    ctype = environ.get("CONTENT_TYPE", "")
    if ctype.startswith("application/x-www-form-urlencoded") or (not body and "Action=" in environ.get("QUERY_STRING", "")):
        raw = body.decode("utf-8", "replace") if body else environ.get("QUERY_STRING", "")
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        version = form.pop("Version", None)
        form.pop("Action", None)
        model = service_model(service or "", version)
        if model is None or operation not in model.operation_names:
            return {"protocol": "query", "api_version": version, "params": form, "unmapped": sorted(form)}
        op = model.operation_model(operation)
        flavour = "ec2" if model.protocol == "ec2" else "query"
        params, used = _unflatten(op.input_shape, form, "", flavour) if op.input_shape else ({}, set())
        _redact(op.input_shape, params)
        return {"protocol": flavour, "api_version": version, "params": params, "unmapped": sorted(set(form) - used)}
    if ctype.startswith("application/cbor") or "rpc-v2-cbor" in environ.get("HTTP_SMITHY_PROTOCOL", ""):
        return {"protocol": "cbor", "params": None, "unmapped": []}
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return {"protocol": "json", "params": None, "unmapped": ["<body is not JSON>"]}
    model = service_model(service or "")
    if model is None or operation not in model.operation_names:
        return {"protocol": "json", "params": document, "unmapped": []}
    op = model.operation_model(operation)
    if model.protocol == "rest-json" and op.input_shape is not None:
        unmapped: list[str] = []
        params = _from_wire(op.input_shape, document if isinstance(document, dict) else {}, "", unmapped)
        _add_rest_members(op, environ, params)
        _redact(op.input_shape, params)
        return {"protocol": "rest-json", "params": params, "unmapped": unmapped}
    _redact(op.input_shape, document)
    return {"protocol": "json", "params": document, "unmapped": []}


def _add_rest_members(op: Any, environ: dict[str, Any], document: dict[str, Any]) -> None:
    """URI labels (``/v1/clusters/{clusterArn}``) and query-string members, by member name."""
    template = op.http.get("requestUri", "").split("?", 1)[0]
    path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")).split("?", 1)[0]
    labels = _match_labels(template, path)
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
    for name, member in op.input_shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri" and wire in labels:
            document[name] = _scalar(member, labels[wire])
        elif location == "querystring" and wire in query:
            document[name] = _scalar(member, query[wire])


def _from_wire(shape: Any, value: Any, path: str, unmapped: list[str]) -> Any:
    """A REST-JSON body by member name: its keys are the members' ``locationName``s."""
    if shape.type_name == "structure" and isinstance(value, dict):
        by_wire = {
            member.serialization.get("name", name): (name, member)
            for name, member in shape.members.items()
            if not member.serialization.get("location")
        }
        out = {}
        for key, item in value.items():
            if key in by_wire:
                name, member = by_wire[key]
                out[name] = _from_wire(member, item, f"{path}{key}.", unmapped)
            else:
                unmapped.append(f"{path}{key}")
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_from_wire(shape.member, item, path, unmapped) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _from_wire(shape.value, item, path, unmapped) for key, item in value.items()}
    return value


def _match_labels(template: str, path: str) -> dict[str, str]:
    names: list[str] = []

    def label(match: re.Match[str]) -> str:
        names.append(match.group(1).rstrip("+"))
        return "(.+)" if match.group(1).endswith("+") else "([^/]+)"

    pattern = re.sub(r"\{([^}]+)\}", label, re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
    found = re.fullmatch(pattern, path)
    return {n: unquote(v) for n, v in zip(names, found.groups())} if found else {}


def _member_key(name: str, member: Any, flavour: str) -> str:
    if flavour == "ec2":
        query_name = member.serialization.get("queryName")
        if query_name:
            return str(query_name)
        wire = member.serialization.get("name", name)
        return wire[0].upper() + wire[1:]
    return str(member.serialization.get("name", name))


def _unflatten(shape: Any, form: dict[str, str], prefix: str, flavour: str) -> tuple[Any, set[str]]:
    """The value of ``shape`` at ``prefix`` and the form keys it used."""
    used: set[str] = set()
    if shape.type_name == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = f"{prefix}.{_member_key(name, member, flavour)}" if prefix else _member_key(name, member, flavour)
            if key in form or any(k.startswith(key + ".") for k in form):
                value, sub = _unflatten(member, form, key, flavour)
                if value is not None:
                    out[name] = value
                used |= sub
        return out, used
    if shape.type_name == "list":
        flattened = flavour == "ec2" or shape.serialization.get("flattened")
        base = prefix if flattened else f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        if not flattened and form.get(prefix) == "":  # an empty list is sent as `Name=`
            return [], {prefix}
        indices = sorted({int(m.group(1)) for k in form if k.startswith(base + ".") and (m := _INDEX.match(k[len(base) + 1 :]))})
        items = []
        for index in indices:
            value, sub = _unflatten(shape.member, form, f"{base}.{index}", flavour)
            items.append(value)
            used |= sub
        return items, used
    if shape.type_name == "map":
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        indices = sorted({int(m.group(1)) for k in form if k.startswith(base + ".") and (m := _INDEX.match(k[len(base) + 1 :]))})
        entries: dict[str, Any] = {}
        for index in indices:
            key, sub_key = _unflatten(shape.key, form, f"{base}.{index}.{key_name}", flavour)
            value, sub_value = _unflatten(shape.value, form, f"{base}.{index}.{value_name}", flavour)
            entries[str(key)] = value
            used |= sub_key | sub_value
        return entries, used
    if prefix in form:
        return _scalar(shape, form[prefix]), {prefix}
    return None, used


def _scalar(shape: Any, text: str) -> Any:
    """The member's type, or the text unchanged when it is not one (the checker reports it)."""
    try:
        if shape.type_name in ("integer", "long"):
            return int(text)
        if shape.type_name in ("float", "double"):
            return float(text)
        if shape.type_name == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
    except ValueError:
        pass
    return text


def _redact(shape: Any, value: Any) -> None:
    if shape is None:
        return
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name not in value:
                continue
            if member.metadata.get("sensitive"):
                value[name] = _mask(value[name])
            else:
                _redact(member, value[name])
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            if shape.member.metadata.get("sensitive"):
                value[index] = _mask(item)
            else:
                _redact(shape.member, item)
    elif shape.type_name == "map" and isinstance(value, dict):
        for key in list(value):
            if shape.value.metadata.get("sensitive"):
                value[key] = _mask(value[key])
            else:
                _redact(shape.value, value[key])


def _mask(value: Any) -> Any:
    return REDACTED * len(value) if isinstance(value, str) else REDACTED
