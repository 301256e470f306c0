"""Request log + the plug-in's own HTTP endpoints (a WSGI middleware around moto).

Endpoints (not AWS APIs, never recorded):

* ``GET  /forgectl-plugin/health``          -> ``{"status": "ok", ...}``
* ``GET  /forgectl-plugin/requests``        -> ``{"requests": [...]}`` every AWS call since
  start / last reset, oldest first.  Filters: ``?service=kafka``, ``?mutating=true``,
  ``?since=<seq>`` (only entries with a larger ``seq``), ``?access_key=<AWS access key id>``
  (moto accepts any key, so a test can sign with its own key and see only its calls
  even while other clients use the same server).
* ``POST /forgectl-plugin/requests/reset``  -> clears the log.
* ``GET  /forgectl-plugin/config``          -> current emulator settings.
* ``POST /forgectl-plugin/config``          -> JSON object of delay overrides, e.g.
  ``{"create_delay_seconds": 1}``; ``{"reset": true}`` restores the start-up values.

Each entry: ``seq, time (ISO-8601 UTC), epoch, service (SigV4 signing name),
access_key, operation, method, path, status, mutating, protocol, params, unmapped``.
``params`` is the request's input parsed back into botocore's input shape
(``request_params.py``: JSON bodies as sent, REST URI labels and query members by
member name, query/EC2 form keys folded into structures and lists), with sensitive
members masked; ``unmapped`` lists form keys no member accounts for; ``params`` is
null where the body could not be read (e.g. CBOR).  ``operation`` is the AWS operation name
(from ``X-Amz-Target``, the query ``Action`` or, for REST services, botocore's
model via moto's router); ``mutating`` is false for Describe*/List*/Get*
operations (and GET/HEAD requests when no operation could be found).
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, unquote

from . import request_params, settings

PREFIX = "/forgectl-plugin"
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Search", "Lookup", "Head")
MAX_ENTRIES = 50_000
_CRED_RE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._seq = 0

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            if len(self._entries) > MAX_ENTRIES:
                del self._entries[: len(self._entries) - MAX_ENTRIES]

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    def query(
        self, service: str | None, mutating: bool | None, since: int | None, access_key: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            out = list(self._entries)
        if service:
            out = [e for e in out if e["service"] == service]
        if access_key:
            out = [e for e in out if e["access_key"] == access_key]
        if mutating is not None:
            out = [e for e in out if e["mutating"] is mutating]
        if since is not None:
            out = [e for e in out if e["seq"] > since]
        return out


LOG = RequestLog()


def _operation(environ: dict[str, Any], service: str | None, body: bytes) -> str | None:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.split(".")[-1]
    ctype = environ.get("CONTENT_TYPE", "")
    if body and ctype.startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    query_action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if query_action:
        return query_action[0]
    if service:
        # REST protocols (MSK, S3, ...): let moto's botocore-driven router name it.
        try:
            from moto.core.request import Request
            from moto.core.routing import get_service_router

            env = dict(environ)
            env["wsgi.input"] = io.BytesIO(body)
            operation, _ = get_service_router(service).match(Request(env))
            return str(operation.name)
        except Exception:  # unknown service or path: fall back to method + path
            return None
    return None


def _is_mutating(operation: str | None, method: str) -> bool:
    if operation:
        return not operation.startswith(READ_PREFIXES)
    return method not in ("GET", "HEAD", "OPTIONS")


def _json(start_response: Callable[..., Any], status: str, payload: Any) -> list[bytes]:
    data = json.dumps(payload, indent=1).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class PluginMiddleware:
    """Serves /forgectl-plugin/* and records every other request."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return self._plugin(environ, start_response, path[len(PREFIX):].rstrip("/"))
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)

        # Buffer the body so both we and moto can read it.
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)

        auth = environ.get("HTTP_AUTHORIZATION", "")
        m = _CRED_RE.search(auth)
        access_key = m.group(1) if m else None
        service = m.group(3) if m else None
        method = environ.get("REQUEST_METHOD", "GET")
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or path
        raw_path = raw_path.split("?", 1)[0]
        operation = _operation(environ, service, body)
        try:
            parsed = request_params.parse(service, operation, environ, body)
        except Exception as exc:  # the log must never break a request
            parsed = {"protocol": "unknown", "params": None, "unmapped": [f"<not parsed: {exc}>"]}
        environ["wsgi.input"] = io.BytesIO(body)

        captured: dict[str, str] = {}

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            return self.app(environ, _start)
        finally:
            # Also when moto raises (werkzeug answers 500): that request was sent too.
            status_code = int(captured.get("status", "500 ").split(" ", 1)[0] or 0)
            LOG.add(
                {
                    "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    "epoch": time.time(),
                    "service": service or "unknown",
                    "access_key": access_key,
                    "operation": operation or f"{method} {unquote(raw_path)}",
                    "method": method,
                    "path": unquote(raw_path),
                    "status": status_code,
                    "mutating": _is_mutating(operation, method),
                    **parsed,
                }
            )

    def _plugin(self, environ: dict[str, Any], start_response: Callable[..., Any], sub: str) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if sub == "/health" and method == "GET":
            return _json(start_response, "200 OK", {"status": "ok", "settings": settings.get().as_dict()})
        if sub == "/requests" and method == "GET":
            q = parse_qs(environ.get("QUERY_STRING", ""))
            mutating = None
            if "mutating" in q:
                mutating = q["mutating"][0].lower() in ("1", "true", "yes")
            since = int(q["since"][0]) if "since" in q and q["since"][0].isdigit() else None
            service = q.get("service", [None])[0]
            access_key = q.get("access_key", [None])[0]
            return _json(start_response, "200 OK", {"requests": LOG.query(service, mutating, since, access_key)})
        if sub == "/requests/reset" and method == "POST":
            LOG.reset()
            return _json(start_response, "200 OK", {"reset": True})
        if sub == "/config" and method == "GET":
            return _json(start_response, "200 OK", settings.get().as_dict())
        if sub == "/config" and method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not isinstance(payload, dict):
                    raise ValueError("expected a JSON object")
                if payload.pop("reset", False):
                    settings.reset()
                new = settings.update(payload)
            except ValueError as exc:
                return _json(start_response, "400 Bad Request", {"error": str(exc)})
            return _json(start_response, "200 OK", new.as_dict())
        return _json(start_response, "404 Not Found", {"error": f"unknown plug-in endpoint {method} {sub}"})
