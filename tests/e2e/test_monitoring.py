"""Scheduled monitoring on the deployed stacks: shifted capture in the endpoint's capture prefix
and labels showing poor quality -> `mlops local tick` fires the schedule -> the check reports
DriftDetected and ModelQualityDegraded -> the retraining guard starts training once (the other
alert of the same check is suppressed) -> a later check's alert within the cooldown is
suppressed and recorded -> `mlops monitor status` and `mlops drift reports` show all of it.

Until the local endpoints are merged, the capture is written here, in SageMaker's data capture
format and layout (tests/capture.py); the serving pointer the deploy workflow records is written
here too, pointing at a model package (not approved, so no champion changes for other tests)
whose registered evaluation the quality check compares with.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlops import config as config_module
from mlops import names
from mlops.example_data import breast_cancer_frame, write_csv
from mlops.local.state import LOCAL_ACCOUNT
from mlops.monitoring.capture import feature_columns
from mlops.registry import keys
from mlops.serving import naming
from mlops.serving.models import ServingPointer
from tests import capture
from tests.e2e.conftest import REPO_ROOT, LocalCloud
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

DATASET = "breast-cancer"
CONFIG = config_module.load(REPO_ROOT / "mlops.yaml", "dev")


def cli_json(cloud: LocalCloud, *args: str) -> Any:
    return json.loads(cloud.mlops("--local", *args, "--json").stdout)


def write_capture(cloud: LocalCloud, *, seed: int, id_prefix: str) -> list[dict[str, Any]]:
    """200 rows of the example data with half the features moved, scores that ignore the label."""
    data = breast_cancer_frame().sample(200, random_state=seed).reset_index(drop=True)
    features = feature_columns(CONFIG.datasets[DATASET])
    for column in features[:15]:
        data[column] = data[column] * 3 + 5
    scores = np.random.default_rng(seed).uniform(0, 1, len(data)).tolist()
    records = capture.from_frame(data, features, scores, id_prefix=id_prefix)
    bucket = names.artifacts_bucket(CONFIG, LOCAL_ACCOUNT)
    capture.put(cloud.client("s3"), bucket, naming.endpoint(CONFIG.prefix, DATASET), records)
    return [
        {"inference_id": r["eventMetadata"]["inferenceId"], "label": int(y)}
        for r, y in zip(records, data["diagnosis"], strict=True)
    ]


def serve(cloud: LocalCloud, version: str, version_id: str) -> None:
    """What the deploy workflow records on a successful deployment: the serving pointer."""
    sagemaker = cloud.client("sagemaker")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=names.model_package_group(CONFIG, DATASET),
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"metrics": json.dumps({"auc": 0.99})},
        InferenceSpecification={
            "Containers": [{"Image": "local"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )["ModelPackageArn"]
    pointer = ServingPointer(
        dataset=DATASET,
        endpoint_name=naming.endpoint(CONFIG.prefix, DATASET),
        model_version=int(arn.rsplit("/", 1)[-1]),
        model_package_arn=arn,
        endpoint_config_name="e2e",
        deployment_id="e2e",
        data_version=version,
        data_version_id=version_id,
        since=datetime.now(UTC),
    )
    cloud.client("dynamodb").put_item(
        TableName=names.registry_table(CONFIG),
        Item={
            keys.PARTITION_KEY: {"S": keys.serving_pk(DATASET)},
            keys.SORT_KEY: {"S": keys.SERVING_CURRENT},
            "record": {"S": pointer.model_dump_json()},
        },
    )


def triggers(cloud: LocalCloud) -> list[dict[str, Any]]:
    [entry] = cli_json(cloud, "monitor", "status", "--dataset", DATASET)["datasets"]
    found: list[dict[str, Any]] = ([entry["last_retraining"]] if entry["last_retraining"] else []) + entry["suppressed"]
    return found


def test_drift_and_degraded_quality_retrain_once_then_the_cooldown_holds(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    pushed = json.loads(
        local_cloud.mlops(
            "--local", "data", "push", str(write_csv(tmp_path / "base.csv")), "-d", DATASET, "--wait", "--json"
        ).stdout
    )
    assert pushed["verdict"] == "accepted"
    serve(local_cloud, pushed["version"], pushed["version_id"])
    # the guard suppresses while a run is in progress: let other tests' runs end first
    wait_until(
        lambda: [r for r in cli_json(local_cloud, "pipeline", "runs", "-d", DATASET) if r.get("outcome") == "running"],
        timeout=300,
        what="no training run in progress",
        until=lambda running: not running,
    )
    labels = write_capture(local_cloud, seed=1, id_prefix="first")
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    assert (
        cli_json(local_cloud, "monitor", "labels", "push", "-d", DATASET, str(tmp_path / "labels.json"))["labels"]
        == 200
    )

    # a file stored this second is read by a window ending a second later
    def tick() -> list[dict[str, Any]]:
        fired: list[dict[str, Any]] = cli_json(local_cloud, "local", "tick")["fired"]
        return fired

    first = wait_until(
        tick, timeout=30, what="a check that reads the capture", until=lambda f: f[0]["detail"]["captured_rows"] > 0
    )
    [fired] = first
    assert fired["schedule"] == names.drift_schedule(CONFIG, DATASET) and fired["status"] == "delivered"
    check = fired["detail"]
    assert check["verdict"] == "drifted" and check["captured_rows"] == 200
    assert check["quality_verdict"] == "degraded" and check["baseline"] == f"{DATASET}@{pushed['version']}"
    assert check["alerts"] == ["DriftDetected", "ModelQualityDegraded"]

    # both alerts reach the guard: one starts training, the other is suppressed
    decided = wait_until(lambda: triggers(local_cloud), timeout=120, what="the guard to decide both alerts",
                         until=lambda t: len(t) >= 2)  # fmt: skip
    started = [t for t in decided if t["decision"] == "started"]
    [run] = started
    assert run["data_version"] and run["execution_arn"]
    [other] = [t for t in decided if t["decision"] == "suppressed"]
    assert any(why in other["reason"] for why in ("in progress", "another alert", "within the cooldown"))
    sfn = local_cloud.client("stepfunctions")
    execution = sfn.describe_execution(executionArn=run["execution_arn"])
    assert json.loads(execution["input"]) == {"dataset": DATASET, "data_version": run["data_version"]}
    wait_until(
        lambda: sfn.describe_execution(executionArn=run["execution_arn"])["status"],
        timeout=300,
        what="the retraining run to end",
        until=lambda status: status != "RUNNING",
    )

    # more drift within the cooldown: reported, suppressed, recorded with why
    write_capture(local_cloud, seed=2, id_prefix="second")
    second = wait_until(tick, timeout=30, what="the next check", until=lambda f: f[0]["detail"]["captured_rows"] > 0)
    assert second[0]["detail"]["alerts"] == ["DriftDetected"]  # the new requests have no labels yet
    after = wait_until(lambda: triggers(local_cloud), timeout=120, what="the guard to decide the third alert",
                       until=lambda t: len(t) >= 3)  # fmt: skip
    newest = max((t for t in after if t["decision"] == "suppressed"), key=lambda t: t["at"])
    assert newest["check_id"] == second[0]["detail"]["check_id"] and "within the cooldown of 24 h" in newest["reason"]

    reports = {r["check_id"]: r for r in cli_json(local_cloud, "drift", "reports", DATASET)["reports"]}
    ordered = list(reports)  # newest first (checks that read nothing new sit in between)
    assert ordered.index(second[0]["detail"]["check_id"]) < ordered.index(check["check_id"])
    assert reports[check["check_id"]]["verdict"] == "drifted" and reports[check["check_id"]]["quality"] == "degraded"
