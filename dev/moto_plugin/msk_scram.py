"""SASL/SCRAM secrets: BatchAssociateScramSecret, BatchDisassociateScramSecret
and ListScramSecrets, which moto's MSK lacks.

The rules are the ones the Amazon MSK developer guide ("Sign-in credentials
authentication with AWS Secrets Manager") states for a secret to be usable:

* its name starts with ``AmazonMSK_``;
* it is encrypted with a customer managed KMS key, not the default
  ``aws/secretsmanager`` key (secrets that use the default key cannot be used
  with MSK);
* the cluster has SASL/SCRAM client authentication enabled.

A secret that breaks a rule is not an HTTP error: MSK answers 200 and lists it
in ``unprocessedScramSecrets`` with an ``errorCode`` and ``errorMessage``
(the API reference documents the fields, not the code values; ours are named
after the rule).  An unknown cluster is a 404, an empty list a 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exceptions import BadRequestException
from .msk_common import Json

if TYPE_CHECKING:
    import threading

    from .models import EmulatedCluster

SECRET_NAME_PREFIX = "AmazonMSK_"
DEFAULT_SECRETSMANAGER_KEY = "alias/aws/secretsmanager"


def _scram_enabled(cluster: EmulatedCluster) -> bool:
    sasl = (cluster.client_authentication or {}).get("sasl") or {}
    return bool((sasl.get("scram") or {}).get("enabled"))


def _associated(cluster: EmulatedCluster) -> list[str]:
    # Kept on the cluster, so it goes when the cluster goes.
    if not hasattr(cluster, "scram_secret_arns"):
        cluster.scram_secret_arns = []  # type: ignore[attr-defined]
    return cluster.scram_secret_arns  # type: ignore[attr-defined,no-any-return]


class ScramSecretApi:
    """Mixed into ``ForgeKafkaBackend``, which owns the state."""

    lock: threading.RLock
    region_name: str
    account_id: str

    if TYPE_CHECKING:

        def _cluster(self, cluster_arn: str) -> EmulatedCluster: ...

    def _secret_problem(self, cluster: EmulatedCluster, secret_arn: str) -> tuple[str, str] | None:
        """(errorCode, errorMessage) why this secret cannot be associated, or None."""
        from moto.kms.models import kms_backends
        from moto.secretsmanager.models import secretsmanager_backends

        secrets = secretsmanager_backends[self.account_id][self.region_name].secrets
        secret = secrets.get(secret_arn)
        if secret is None or getattr(secret, "deleted_date", None):
            return "SecretNotFound", f"Secret {secret_arn} was not found in AWS Secrets Manager."
        if not secret.name.startswith(SECRET_NAME_PREFIX):
            return (
                "InvalidSecretName",
                f"The secret name must begin with the prefix {SECRET_NAME_PREFIX}: {secret.name}.",
            )
        key_id = getattr(secret, "kms_key_id", None)
        customer_key = False
        if key_id and key_id != DEFAULT_SECRETSMANAGER_KEY:
            kms = kms_backends[self.account_id][self.region_name]
            try:
                key = kms.describe_key(key_id)
                customer_key = key.key_manager == "CUSTOMER"
            except Exception:  # noqa: BLE001  (unknown key or alias: not usable)
                customer_key = False
        if not customer_key:
            return (
                "InvalidKmsKey",
                "The secret must be encrypted with a customer managed KMS key; secrets that use the "
                "default AWS Secrets Manager key (aws/secretsmanager) cannot be used with Amazon MSK.",
            )
        if not _scram_enabled(cluster):
            return (
                "ScramNotEnabled",
                "SASL/SCRAM authentication is not enabled on the cluster.",
            )
        return None

    @staticmethod
    def _secret_list(secret_arns: object) -> list[str]:
        if not isinstance(secret_arns, list) or not secret_arns:
            raise BadRequestException("secretArnList must be a non-empty list.", invalid_parameter="secretArnList")
        if not all(isinstance(arn, str) and arn for arn in secret_arns):
            raise BadRequestException("secretArnList holds an invalid ARN.", invalid_parameter="secretArnList")
        return list(secret_arns)

    def batch_associate_scram_secret(self, cluster_arn: str, secret_arns: object) -> Json:
        with self.lock:
            cluster = self._cluster(cluster_arn)
            unprocessed = []
            associated = _associated(cluster)
            for arn in self._secret_list(secret_arns):
                problem = self._secret_problem(cluster, arn)
                if problem is not None:
                    code, message = problem
                    unprocessed.append({"errorCode": code, "errorMessage": message, "secretArn": arn})
                elif arn not in associated:
                    associated.append(arn)
            return {"clusterArn": cluster.arn, "unprocessedScramSecrets": unprocessed}

    def batch_disassociate_scram_secret(self, cluster_arn: str, secret_arns: object) -> Json:
        with self.lock:
            cluster = self._cluster(cluster_arn)
            unprocessed = []
            associated = _associated(cluster)
            for arn in self._secret_list(secret_arns):
                if arn in associated:
                    associated.remove(arn)
                else:
                    unprocessed.append(
                        {
                            "errorCode": "SecretNotAssociated",
                            "errorMessage": f"Secret {arn} is not associated with the cluster.",
                            "secretArn": arn,
                        }
                    )
            return {"clusterArn": cluster.arn, "unprocessedScramSecrets": unprocessed}

    def list_scram_secrets(self, cluster_arn: str) -> list[str]:
        with self.lock:
            return list(_associated(self._cluster(cluster_arn)))
