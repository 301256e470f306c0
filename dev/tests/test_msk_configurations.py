"""MSK configurations: CRUD, revisions, errors, tags."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import error_of, unique, wait_for

PROPS = b"auto.create.topics.enable=false\ndefault.replication.factor=3\nmin.insync.replicas=2\n"


def test_configuration_crud(kafka: Any) -> None:
    name = unique("cfg")
    created = kafka.create_configuration(
        Name=name, Description="forgectl test", KafkaVersions=["3.9.x"], ServerProperties=PROPS
    )
    arn = created["Arn"]
    try:
        assert re.match(rf"^arn:aws:kafka:us-east-1:\d{{12}}:configuration/{name}/[0-9a-f-]{{36}}-\d+$", arn)
        assert created["Name"] == name and created["State"] == "ACTIVE"
        assert created["LatestRevision"]["Revision"] == 1

        desc = kafka.describe_configuration(Arn=arn)
        assert desc["Name"] == name and desc["Description"] == "forgectl test"
        assert desc["KafkaVersions"] == ["3.9.x"] and desc["State"] == "ACTIVE"
        assert desc["LatestRevision"]["Revision"] == 1

        rev = kafka.describe_configuration_revision(Arn=arn, Revision=1)
        assert rev["ServerProperties"] == PROPS and rev["Revision"] == 1 and rev["Arn"] == arn

        updated = kafka.update_configuration(Arn=arn, Description="rev 2", ServerProperties=PROPS + b"num.partitions=3\n")
        assert updated["LatestRevision"]["Revision"] == 2
        assert kafka.describe_configuration_revision(Arn=arn, Revision=2)["ServerProperties"].endswith(b"num.partitions=3\n")
        assert kafka.describe_configuration_revision(Arn=arn, Revision=1)["ServerProperties"] == PROPS
        revs = kafka.list_configuration_revisions(Arn=arn)["Revisions"]
        assert [r["Revision"] for r in revs] == [1, 2]

        listed = kafka.list_configurations()["Configurations"]
        mine = [c for c in listed if c["Arn"] == arn]
        assert len(mine) == 1 and mine[0]["LatestRevision"]["Revision"] == 2

        kafka.tag_resource(ResourceArn=arn, Tags={"owner": "forgectl"})
        assert kafka.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"owner": "forgectl"}

        with pytest.raises(ClientError) as e:
            kafka.describe_configuration_revision(Arn=arn, Revision=9)
        assert error_of(e) == ("NotFoundException", 404)
    finally:
        deleted = kafka.delete_configuration(Arn=arn)
    assert deleted["Arn"] == arn and deleted["State"] == "DELETING"
    with pytest.raises(ClientError) as e:
        kafka.describe_configuration(Arn=arn)
    assert error_of(e) == ("NotFoundException", 404)
    assert arn not in [c["Arn"] for c in kafka.list_configurations()["Configurations"]]


def test_configuration_errors(kafka: Any) -> None:
    with pytest.raises(ClientError) as e:
        kafka.create_configuration(Name="-bad name", ServerProperties=PROPS)
    assert error_of(e) == ("BadRequestException", 400)

    name = unique("cfgdup")
    arn = kafka.create_configuration(Name=name, ServerProperties=PROPS)["Arn"]
    try:
        with pytest.raises(ClientError) as e:
            kafka.create_configuration(Name=name, ServerProperties=PROPS)
        assert error_of(e) == ("ConflictException", 409)
    finally:
        kafka.delete_configuration(Arn=arn)

    missing = "arn:aws:kafka:us-east-1:123456789012:configuration/none/00000000-0000-0000-0000-000000000000-1"
    for call in (kafka.describe_configuration, kafka.delete_configuration):
        with pytest.raises(ClientError) as e:
            call(Arn=missing)
        assert error_of(e) == ("NotFoundException", 404)


def test_cluster_with_configuration(kafka: Any, clusters: Any) -> None:
    arn = kafka.create_configuration(Name=unique("cfgc"), ServerProperties=PROPS)["Arn"]
    cluster = None
    try:
        with pytest.raises(ClientError) as e:
            clusters.create(configuration={"Arn": arn, "Revision": 5})
        assert error_of(e) == ("BadRequestException", 400)
        cluster, info = clusters.create_active(configuration={"Arn": arn, "Revision": 1})
        assert info["CurrentBrokerSoftwareInfo"]["ConfigurationArn"] == arn
        assert info["CurrentBrokerSoftwareInfo"]["ConfigurationRevision"] == 1
    finally:
        clusters.cleanup()
        if cluster:
            wait_for(lambda: all(c["ClusterArn"] != cluster for c in kafka.list_clusters_v2()["ClusterInfoList"]),
                     15, what="cluster deleted")
        kafka.delete_configuration(Arn=arn)
