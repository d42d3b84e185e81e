"""Data versions stay trainable whatever happens under `incoming/` (on the deployed stacks):
re-pushing identical bytes answers the same version and that version trains; overwriting the
uploaded key with other bytes afterwards does not change what a later run of the same version
trains on (training reads the content-addressed copies the manifest lists)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from mlops.example_data import write_csv
from tests.e2e.conftest import LocalCloud

pytestmark = pytest.mark.e2e

DATASET = "breast-cancer"


def push(cloud: LocalCloud, path: Path) -> dict[str, Any]:
    result = cloud.mlops("--local", "data", "push", str(path), "-d", DATASET, "--wait", "--json")
    pushed: dict[str, Any] = json.loads(result.stdout)
    return pushed


def train(cloud: LocalCloud, version: str, *extra: str) -> dict[str, Any]:
    result = cloud.mlops(
        "--local", "pipeline", "run", "-d", DATASET, "--data-version", version, "--wait", "--json",
        "--timeout", "300", *extra, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr[-4000:]
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def trained_bytes(cloud: LocalCloud, execution_arn: str) -> dict[str, str]:
    """`{key: sha256}` of what the run's training job read, from its SageMaker manifest."""
    s3, sagemaker = cloud.client("s3"), cloud.client("sagemaker")
    output = json.loads(cloud.client("stepfunctions").describe_execution(executionArn=execution_arn)["output"])
    job = sagemaker.describe_training_job(TrainingJobName=output["training_job"])
    [channel] = [c for c in job["InputDataConfig"] if c["ChannelName"] == "train"]
    uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    prefix, *keys = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    data_bucket = prefix["prefix"].removeprefix("s3://").rstrip("/")
    return {k: hashlib.sha256(s3.get_object(Bucket=data_bucket, Key=k)["Body"].read()).hexdigest() for k in keys}


def test_identical_re_upload_trains_and_an_overwritten_key_changes_nothing(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "reupload.csv")
    first, again = push(local_cloud, path), push(local_cloud, path)
    assert first["verdict"] == again["verdict"] == "accepted"
    assert first["version"] == again["version"] and first["version_id"] == again["version_id"]
    version = first["version"]
    original_sha = hashlib.sha256(path.read_bytes()).hexdigest()

    # --force: another module may already have trained this version with these hyperparameters
    before = train(local_cloud, version, "--force")
    assert before["status"] == "SUCCEEDED", before
    assert set(trained_bytes(local_cloud, before["execution_arn"]).values()) == {original_sha}

    # the same key, other (still valid) bytes: a new version; the old one must not move
    lines = path.read_text().splitlines(keepends=True)
    (tmp_path / "other").mkdir()
    other = tmp_path / "other" / "reupload.csv"
    other.write_text("".join(lines[: len(lines) - 20]))
    overwritten = push(local_cloud, other)
    assert overwritten["verdict"] == "accepted" and overwritten["version"] != version

    # an identical run (same data version, code, hyperparameters) registers nothing new ...
    if before["outcome"] == "registered":
        assert train(local_cloud, version)["outcome"] == "unchanged"
    # ... so force a real training job on the old version
    after = train(local_cloud, version, "--force")
    assert after["status"] == "SUCCEEDED", after
    assert after["data_version"] == version
    assert set(trained_bytes(local_cloud, after["execution_arn"]).values()) == {original_sha}
