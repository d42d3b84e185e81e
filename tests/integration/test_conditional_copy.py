"""Content-addressed objects are written once: a conditional copy onto an existing key is
refused, by S3 and by the local cloud (moto copies over it; mlops.local.plugins.s3 bridges it)."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mlops.adapters.s3 import ObjectStore
from mlops.local.plugins import s3 as s3_plugin

BUCKET = "conditional-copy-test"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    s3_plugin.install()
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def test_a_conditional_copy_onto_an_existing_key_is_refused(s3: Any) -> None:
    client = s3
    client.put_object(Bucket=BUCKET, Key="src", Body=b"new bytes")
    client.put_object(Bucket=BUCKET, Key="dst", Body=b"first bytes")
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.copy_object(Bucket=BUCKET, Key="dst", CopySource={"Bucket": BUCKET, "Key": "src"}, IfNoneMatch="*")
    assert raised.value.response["Error"]["Code"] == "PreconditionFailed"
    assert client.get_object(Bucket=BUCKET, Key="dst")["Body"].read() == b"first bytes"


def test_copy_once_writes_a_missing_key_and_never_overwrites(s3: Any) -> None:
    client = s3
    store = ObjectStore(client)
    version = client.put_object(Bucket=BUCKET, Key="incoming/a.csv", Body=b"a,b\n1,2\n")["VersionId"]
    assert store.copy_once(BUCKET, "incoming/a.csv", version, "objects/ds/x.csv") is True
    client.put_object(Bucket=BUCKET, Key="incoming/a.csv", Body=b"other")
    assert store.copy_once(BUCKET, "incoming/a.csv", None, "objects/ds/x.csv") is False
    versions = client.list_object_versions(Bucket=BUCKET, Prefix="objects/ds/x.csv")["Versions"]
    assert len(versions) == 1
    assert client.get_object(Bucket=BUCKET, Key="objects/ds/x.csv")["Body"].read() == b"a,b\n1,2\n"
