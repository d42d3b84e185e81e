"""`mlops report`: the overview page from what the registry and the model registry hold
(against moto, through the real CLI app); the page itself is checked in a browser in
test_overview_page_browser.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from typer.testing import CliRunner

from mlops import names
from mlops.cli.main import app
from mlops.serving.history import DeploymentHistory
from mlops.serving.models import DeploymentRecord, ServingPointer
from tests.integration.conftest import EXAMPLE, DataLake
from tests.integration.test_serving_history import DATASET, _package

runner = CliRunner()
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _report(out: Path) -> dict[str, object]:
    result = runner.invoke(app, ["-f", str(EXAMPLE), "report", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_the_page_shows_models_the_serving_version_and_the_history(lake: DataLake, tmp_path: Path) -> None:
    sagemaker = boto3.client("sagemaker")
    group = names.model_package_group(lake.config, DATASET)
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    arns = [_package(sagemaker, group) for _ in range(2)]
    history = DeploymentHistory(boto3.client("dynamodb"), lake.table)
    for i, (arn, status) in enumerate(zip(arns, ["deployed", "rolled_back"], strict=True), 1):
        record = DeploymentRecord(
            deployment_id=f"d{i}",
            dataset=DATASET,
            environment="dev",
            endpoint_name="e",
            model_version=i,
            model_package_arn=arn,
            model_name=f"m{i}",
            endpoint_config_name=f"c{i}",
            strategy="canary",
            trigger="manual",
            triggered_by="alice",
            started_at=T0 + timedelta(hours=i),
        )
        history.begin(record)
        history.finish(
            record.model_copy(
                update={
                    "status": status,
                    "finished_at": T0 + timedelta(hours=i, minutes=5),
                    "reason": "alarm x in ALARM" if status == "rolled_back" else None,
                }
            )
        )
    history.set_current(
        ServingPointer(
            dataset=DATASET,
            endpoint_name="e",
            model_version=1,
            model_package_arn=arns[0],
            endpoint_config_name="c1",
            deployment_id="d1",
            since=T0 + timedelta(hours=1),
        )
    )

    document = _report(tmp_path)
    overview = document["overview"]
    assert isinstance(overview, dict)
    (dataset,) = [d for d in overview["datasets"] if d["name"] == DATASET]
    assert [m["version"] for m in dataset["models"]] == [2, 1] and dataset["serving"]["model_version"] == 1
    assert [d["status"] for d in dataset["deployments"]] == ["deployed", "rolled_back"]  # oldest first
    assert dataset["problems"] == []
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "alarm x in ALARM" in page and "<b>v1</b><span>serving</span>" in page


def test_a_section_that_cannot_be_read_is_shown_as_a_problem(lake: DataLake, tmp_path: Path) -> None:
    boto3.client("dynamodb").delete_table(TableName=lake.table)
    document = _report(tmp_path)
    overview = document["overview"]
    assert isinstance(overview, dict)
    for dataset in overview["datasets"]:
        problems = " ".join(dataset["problems"])
        assert "data versions: cannot be read (ResourceNotFoundException" in problems
        assert "deployments: cannot be read" in problems
    assert "cannot be read" in (tmp_path / "index.html").read_text(encoding="utf-8")
