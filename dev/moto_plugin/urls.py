"""URL rules for the extended MSK ("kafka") service.

moto's own ``moto.kafka.urls`` only routes ``/v1/clusters...``,
``/api/v2/clusters...`` and ``/v1/tags...``.  The operation itself is chosen
by moto from method + path using botocore's kafka model, so broad rules are
enough here: every MSK path lives under ``/v1/`` or ``/api/v2/``.
"""

from .responses import ForgeKafkaResponse

url_bases = [
    r"https?://kafka\.(.+)\.amazonaws\.com",
]

url_paths = {
    "{0}/v1/(?P<msk_path>.+)$": ForgeKafkaResponse.dispatch,
    "{0}/api/v2/(?P<msk_path>.+)$": ForgeKafkaResponse.dispatch,
}
