"""`mlops --local data push` of a good and a bad file, through the deployed ingestion flow:
S3 -> EventBridge -> the ingestion state machine (moto's ASL interpreter) -> the real Lambda
handlers from the deployed assets -> a data version, or a quarantine."""

import json
from pathlib import Path
from typing import Any

import pytest

from mlops import config as config_module
from tests.datasets import csv_bytes, frame
from tests.e2e.conftest import REPO_ROOT, LocalCloud

pytestmark = pytest.mark.e2e

DATASET = "breast-cancer"
CONFIG = config_module.load(REPO_ROOT / "mlops.yaml", "dev")
BUCKET = f"{CONFIG.prefix}-data-123456789012-{CONFIG.settings.region}"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("uploads")
    spec = CONFIG.datasets[DATASET]
    good = folder / "good.csv"
    good.write_bytes(csv_bytes(frame(spec, 400, seed=11)))
    df = frame(spec, 400, seed=12)
    df.loc[5, "mean_radius"] = -3.5
    df.loc[9, "diagnosis"] = 4
    bad = folder / "bad.csv"
    bad.write_bytes(csv_bytes(df))
    same = folder / "good-again.csv"
    same.write_bytes(good.read_bytes())
    return {"good": good, "bad": bad, "same": same}


def push(cloud: LocalCloud, path: Path) -> tuple[int, dict[str, Any]]:
    result = cloud.mlops(
        "--local", "data", "push", str(path), "--dataset", DATASET, "--wait", "--json", "--timeout", "120", check=False
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def versions(cloud: LocalCloud) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(cloud.mlops("--local", "data", "versions", DATASET, "--json").stdout)
    return listed


@pytest.fixture(scope="module")
def accepted(local_cloud: LocalCloud, files: dict[str, Path]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The good file pushed once: (the dataset's versions before, the push's result). Other
    tests in the session may push to the same dataset, so nothing here assumes it is `v1`."""
    before = versions(local_cloud)
    code, result = push(local_cloud, files["good"])
    assert code == 0, result
    return before, result


def test_a_good_file_becomes_a_data_version(
    local_cloud: LocalCloud, accepted: tuple[list[dict[str, Any]], dict[str, Any]]
) -> None:
    before, result = accepted
    assert {"verdict", "version", "version_id", "manifest_uri", "report_uri"} <= set(result)
    assert result["verdict"] == "accepted" and result["version"] == f"v{len(before) + 1}"
    s3 = local_cloud.client("s3")
    manifest_key = result["manifest_uri"].split("/", 3)[3]
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    [obj] = manifest["objects"]
    assert obj["key"] == result["upload"]["key"] and obj["version_id"] == result["upload"]["version_id"]
    assert manifest["rows"] == 400 and manifest["profile"]["columns"]["mean_radius"]["kind"] == "numeric"

    after = versions(local_cloud)
    assert [v["name"] for v in after] == [v["name"] for v in before] + [result["version"]]

    # the ingestion of this upload (its object version is in the execution's input) succeeded
    sfn = local_cloud.client("stepfunctions")
    [machine] = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"].endswith("-ingestion")]
    executions = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    upload_version = result["upload"]["version_id"]
    mine = [e for e in executions if upload_version in sfn.describe_execution(executionArn=e["executionArn"])["input"]]
    assert [e["status"] for e in mine] == ["SUCCEEDED"], mine


def test_the_same_bytes_again_are_the_same_version(
    local_cloud: LocalCloud, files: dict[str, Path], accepted: tuple[list[dict[str, Any]], dict[str, Any]]
) -> None:
    _, first = accepted
    listed = versions(local_cloud)
    code, again = push(local_cloud, files["same"])
    assert code == 0 and again["verdict"] == "accepted"
    assert (again["version"], again["version_id"]) == (first["version"], first["version_id"])
    assert versions(local_cloud) == listed  # no new version


def test_a_bad_file_is_rejected_quarantined_and_left_untouched(local_cloud: LocalCloud, files: dict[str, Path]) -> None:
    code, result = push(local_cloud, files["bad"])
    assert code == 1 and result["verdict"] == "rejected" and result["version"] is None
    failing = {(e["check"], e["column"]) for e in result["errors"]}
    assert ("min", "mean_radius") in failing and any(column == "diagnosis" for _, column in failing)
    s3 = local_cloud.client("s3")
    report_key = result["report_uri"].split("/", 3)[3]
    assert json.loads(s3.get_object(Bucket=BUCKET, Key=report_key)["Body"].read())["verdict"] == "rejected"
    quarantined = report_key.rsplit("/", 1)[0] + "/bad.csv"
    body = files["bad"].read_bytes()
    assert s3.get_object(Bucket=BUCKET, Key=quarantined)["Body"].read() == body
    upload = result["upload"]
    assert s3.get_object(Bucket=BUCKET, Key=upload["key"], VersionId=upload["version_id"])["Body"].read() == body
