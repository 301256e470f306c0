"""Start moto's server with the forgectl extensions installed.

Hooking (no fork, no monkey-patching of moto's files):

1. ``install()`` replaces the ``kafka_backends`` registry that moto's server
   looks up (``moto.backends.get_backend("kafka")`` reads
   ``moto.kafka.kafka_backends``) with one built from ``ForgeKafkaBackend``.
   That backend serves this package's ``urls.py``/``responses.py``.
   Likewise ``autoscaling_backends`` with ``ForgeAutoScalingBackend``
   (``autoscaling/``), which serves ``autoscaling/responses.py``.
2. ``build_app()`` wraps moto's ``DomainDispatcherApplication`` in
   ``PluginMiddleware`` (request log + ``/forgectl-plugin/*``).
3. ``main()`` runs it on werkzeug, threaded, like ``moto_server`` does.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any


def install() -> None:
    import moto.kafka
    import moto.kafka.models
    import moto.kafka.responses

    from . import models

    moto.kafka.kafka_backends = models.kafka_backends  # type: ignore[attr-defined]
    moto.kafka.models.kafka_backends = models.kafka_backends  # type: ignore[assignment]
    moto.kafka.responses.kafka_backends = models.kafka_backends  # type: ignore[attr-defined]

    import moto.autoscaling
    import moto.autoscaling.models
    import moto.autoscaling.responses

    from .autoscaling import autoscaling_backends

    # get_backend("autoscaling") reads the package attribute; EC2's
    # TerminateInstances imports it from there too (notify_terminate_instances),
    # and moto's AutoScalingResponse reads the responses module's name.
    moto.autoscaling.autoscaling_backends = autoscaling_backends  # type: ignore[attr-defined]
    moto.autoscaling.models.autoscaling_backends = autoscaling_backends  # type: ignore[assignment]
    moto.autoscaling.responses.autoscaling_backends = autoscaling_backends  # type: ignore[attr-defined]


def build_app() -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from .request_log import PluginMiddleware

    install()
    return PluginMiddleware(DomainDispatcherApplication(create_backend_app))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m moto_plugin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=25000)
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import run_simple

    from . import settings

    app = build_app()

    def _stop(signum: int, frame: Any) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    s = settings.get()
    print(
        f"forgectl moto plug-in on http://{args.host}:{args.port} "
        f"(kafka={s.kafka_bootstrap_servers} tls={s.kafka_tls_bootstrap_servers} "
        f"create={s.create_delay_seconds}s update={s.update_delay_seconds}s delete={s.delete_delay_seconds}s)",
        flush=True,
    )
    run_simple(
        args.host,
        args.port,
        app,
        threaded=True,
        use_reloader=False,
        request_handler=MotoRequestHandler,
    )
