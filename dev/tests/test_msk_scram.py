"""SASL/SCRAM secrets on the emulated MSK: BatchAssociateScramSecret,
BatchDisassociateScramSecret and ListScramSecrets with AWS's documented
rules (AmazonMSK_ prefix, customer managed KMS key, SCRAM enabled)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from conftest import Clusters, error_of, unique

SCRAM = {"Sasl": {"Scram": {"Enabled": True}}, "Unauthenticated": {"Enabled": False}}


@pytest.fixture
def kms(endpoint: str, aws_config: Any) -> Any:
    return boto3.client("kms", endpoint_url=endpoint, config=aws_config)


@pytest.fixture
def secrets(endpoint: str, aws_config: Any) -> Iterator[Any]:
    client = boto3.client("secretsmanager", endpoint_url=endpoint, config=aws_config)
    made: list[str] = []
    client.made = made  # type: ignore[attr-defined]
    yield client
    for arn in made:
        client.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


@pytest.fixture
def customer_key(kms: Any) -> Iterator[str]:
    meta = kms.create_key(Description="forgectl scram test")["KeyMetadata"]
    yield meta["Arn"]
    # By key ID: moto's ScheduleKeyDeletion does not resolve ARNs.
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)


def _secret(secrets: Any, name: str, key: str | None) -> str:
    kw: dict[str, Any] = {"Name": name, "SecretString": json.dumps({"username": "u", "password": "p"})}
    if key is not None:
        kw["KmsKeyId"] = key
    arn = secrets.create_secret(**kw)["ARN"]
    secrets.made.append(arn)
    return arn


def test_associate_list_disassociate(clusters: Clusters, kafka: Any, secrets: Any, customer_key: str) -> None:
    arn, _ = clusters.create_active(client_authentication=SCRAM)
    secret = _secret(secrets, unique("AmazonMSK_fgtest"), customer_key)
    resp = kafka.batch_associate_scram_secret(ClusterArn=arn, SecretArnList=[secret])
    assert resp["ClusterArn"] == arn and resp.get("UnprocessedScramSecrets", []) == []
    assert kafka.list_scram_secrets(ClusterArn=arn)["SecretArnList"] == [secret]
    # Associating again changes nothing.
    kafka.batch_associate_scram_secret(ClusterArn=arn, SecretArnList=[secret])
    assert kafka.list_scram_secrets(ClusterArn=arn)["SecretArnList"] == [secret]
    # SCRAM listener advertised next to TLS.
    brokers = kafka.get_bootstrap_brokers(ClusterArn=arn)
    assert brokers["BootstrapBrokerStringSaslScram"] == "127.0.0.1:29296,127.0.0.1:29297,127.0.0.1:29298"
    resp = kafka.batch_disassociate_scram_secret(ClusterArn=arn, SecretArnList=[secret])
    assert resp.get("UnprocessedScramSecrets", []) == []
    assert kafka.list_scram_secrets(ClusterArn=arn)["SecretArnList"] == []
    again = kafka.batch_disassociate_scram_secret(ClusterArn=arn, SecretArnList=[secret])
    assert [u["ErrorCode"] for u in again["UnprocessedScramSecrets"]] == ["SecretNotAssociated"]


def test_documented_rejections_are_unprocessed_not_errors(
    clusters: Clusters, kafka: Any, secrets: Any, customer_key: str
) -> None:
    scram = clusters.create(client_authentication=SCRAM)
    tls_only = clusters.create()
    clusters.wait_active(scram)
    clusters.wait_active(tls_only)
    bad_name = _secret(secrets, unique("fgtest-nope"), customer_key)
    default_key = _secret(secrets, unique("AmazonMSK_default"), None)
    aws_alias = _secret(secrets, unique("AmazonMSK_alias"), "alias/aws/secretsmanager")
    good = _secret(secrets, unique("AmazonMSK_good"), customer_key)
    missing = good.rsplit(":", 1)[0] + ":AmazonMSK_gone-AbCdEf"

    resp = kafka.batch_associate_scram_secret(
        ClusterArn=scram, SecretArnList=[bad_name, default_key, aws_alias, good, missing]
    )
    codes = {u["SecretArn"]: u["ErrorCode"] for u in resp["UnprocessedScramSecrets"]}
    assert codes == {
        bad_name: "InvalidSecretName",
        default_key: "InvalidKmsKey",
        aws_alias: "InvalidKmsKey",
        missing: "SecretNotFound",
    }
    assert all(u["ErrorMessage"] for u in resp["UnprocessedScramSecrets"])
    assert "AmazonMSK_" in next(u for u in resp["UnprocessedScramSecrets"] if u["SecretArn"] == bad_name)["ErrorMessage"]
    assert kafka.list_scram_secrets(ClusterArn=scram)["SecretArnList"] == [good]

    resp = kafka.batch_associate_scram_secret(ClusterArn=tls_only, SecretArnList=[good])
    assert [u["ErrorCode"] for u in resp["UnprocessedScramSecrets"]] == ["ScramNotEnabled"]
    assert kafka.list_scram_secrets(ClusterArn=tls_only)["SecretArnList"] == []
    assert "BootstrapBrokerStringSaslScram" not in kafka.get_bootstrap_brokers(ClusterArn=tls_only)


def test_unknown_cluster_and_empty_list(shared_cluster: str, kafka: Any) -> None:
    gone = shared_cluster.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000-1"
    with pytest.raises(kafka.exceptions.NotFoundException) as excinfo:
        kafka.list_scram_secrets(ClusterArn=gone)
    assert error_of(excinfo) == ("NotFoundException", 404)
    with pytest.raises(kafka.exceptions.BadRequestException) as excinfo:
        kafka.batch_associate_scram_secret(ClusterArn=shared_cluster, SecretArnList=[])
    assert error_of(excinfo) == ("BadRequestException", 400)
