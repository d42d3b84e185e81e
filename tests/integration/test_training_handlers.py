"""The training pipeline's Lambda handlers, invoked the way Step Functions invokes them, on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.pipeline_gate import handler as gate_handler
from functions.pipeline_record import handler as record_handler
from functions.pipeline_register import handler as register_handler
from functions.pipeline_resolve import handler as resolve_handler
from mlops import names, runtime
from mlops.handler import StepError
from mlops.pipeline import wiring
from mlops.pipeline.records import RunRecords
from mlops.registry.data_versions import DataVersionNotFoundError
from tests.datasets import csv_bytes, frame
from tests.integration.conftest import ACCOUNT, DataLake

DATASET = "breast-cancer"


@dataclass
class _FakeContext:
    function_name: str = "test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:test"
    aws_request_id: str = "request-1"


def Context() -> LambdaContext:  # noqa: N802 - reads like the constructor it stands for
    """The attributes of a Lambda context that Powertools reads, typed as the real one."""
    return cast(LambdaContext, _FakeContext())


def _clear_caches() -> None:
    runtime.packaged_config.cache_clear()
    for cached in (wiring.resolver, wiring.object_store, wiring.model_packages, wiring.run_records):
        cached.cache_clear()


@pytest.fixture
def deployed(lake: DataLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    artifacts = names.artifacts_bucket(lake.config, ACCOUNT)
    lake.s3.create_bucket(Bucket=artifacts)
    (tmp_path / runtime.PACKAGED_CONFIG).write_text(lake.config.to_json(), encoding="utf-8")
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path))
    monkeypatch.setenv("REGISTRY_TABLE", lake.table)
    monkeypatch.setenv("ARTIFACTS_BUCKET", artifacts)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    _clear_caches()
    yield artifacts
    _clear_caches()


def test_resolve_gate_register_end_to_end(lake: DataLake, deployed: str) -> None:
    body = csv_bytes(frame(lake.config.datasets[DATASET], 200, 0))
    _, outcome = lake.ingest(lake.upload(f"incoming/{DATASET}/day-1.csv", body))
    assert outcome is not None and outcome.verdict == "accepted"
    code = {"sagemaker_program": "train.py", "sagemaker_submit_directory": "s3://assets/sourcedir.tar.gz"}
    run: dict[str, Any] = resolve_handler.handler(
        {"request": {"dataset": DATASET}, "execution_name": "exec-1", "code": code, "code_version": "c1"}, Context()
    )
    assert run["data_version"]["sequence"] == 1 and run["champion_metrics"] is None

    key = run["evaluation_uri"].split("/", 3)[3]
    evaluation = {"binary_classification_metrics": {"auc": {"value": 0.99, "standard_deviation": "NaN"}}}
    lake.s3.put_object(Bucket=deployed, Key=key, Body=json.dumps(evaluation))
    gate = gate_handler.handler(
        {"evaluation_uri": run["evaluation_uri"], "champion_metrics": run["champion_metrics"]}, Context()
    )
    assert set(gate) == {"passed", "reason", "metrics"}
    assert gate["passed"] is True and gate["metrics"] == {"auc": 0.99}
    assert "no champion" in gate["reason"] and "0.99" in gate["reason"]

    boto3.client("sagemaker").create_model_package_group(
        ModelPackageGroupName=names.model_package_group(lake.config, DATASET)
    )
    event = {
        "run": run,
        "training": {
            "job_name": f"{run['job_name']}-t0",
            "model_uri": f"s3://{deployed}/models/{DATASET}/x/output/model.tar.gz",
            "billable_seconds": 30,
            "training_seconds": 60,
        },
        "gate": gate,
        "execution_id": "arn:aws:states:us-east-1:123456789012:execution:m:exec-1",
        "code_version": "abc",
        "image_uri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "source_dir_uri": "s3://assets/sourcedir.tar.gz",
    }
    registration = register_handler.handler(event, Context())
    assert registration["approval_status"] == lake.config.settings.model_approval
    assert ":model-package/" in registration["model_package_arn"]

    state = {"dataset": DATASET, "run": run, "training": event["training"], "gate": gate, "registration": registration}
    record = record_handler.handler(
        {
            "outcome": "registered",
            "state": state,
            "execution_id": event["execution_id"],
            "execution_name": "exec-1",
            "started_at": "2026-11-22T10:00:00.000Z",
            "code_version": "abc",
        },
        Context(),
    )
    assert record["outcome"] == "registered" and record["data_version"] == "v1"
    assert record["model_package_arn"] == registration["model_package_arn"]
    assert record["billable_seconds"] == 30 and record["cost_usd"] > 0
    [stored] = RunRecords(lake.ddb, lake.table).list(DATASET)
    assert stored.model_dump(mode="json") == record
    # the next run's resolve sees the registered (dev: approved) model as the champion
    second = resolve_handler.handler(
        {"request": {"dataset": DATASET}, "execution_name": "exec-2", "code": code, "code_version": "c1"}, Context()
    )
    assert second["champion_metrics"] == {"auc": 0.99}
    assert second["champion"]["model_package_arn"] == registration["model_package_arn"]
    # ... and, asking for exactly what exec-1 trained, that it is already registered
    assert second["run_key"] == run["run_key"] and second["unchanged"] is True
    assert second["existing"]["model_package_arn"] == registration["model_package_arn"]
    assert second["existing"]["execution_name"] == "exec-1"


def test_a_failed_run_is_recorded_with_a_classified_error(lake: DataLake, deployed: str) -> None:
    cause = {
        "errorMessage": "breast-cancer@v7 is not a registered data version",
        "errorType": "Mlops.DataVersionNotFound",
    }
    record = record_handler.handler(
        {
            "outcome": "failed",
            "state": {
                "dataset": DATASET,
                "data_version": "v7",
                "failure": {"Error": "Mlops.DataVersionNotFound", "Cause": json.dumps(cause)},
            },
            "execution_id": "arn:aws:states:us-east-1:123456789012:execution:m:exec-9",
            "execution_name": "exec-9",
            "started_at": "2026-11-22T10:00:00Z",
            "code_version": "abc",
        },
        Context(),
    )
    assert record["error"] == "Mlops.DataVersionNotFound"
    assert record["cause"] == cause["errorMessage"]
    assert record["failed_step"] == "ResolveDataVersion"
    assert RunRecords(lake.ddb, lake.table).get("exec-9").error == "Mlops.DataVersionNotFound"


def test_resolve_of_an_unknown_version_raises_the_typed_error(lake: DataLake, deployed: str) -> None:
    with pytest.raises(StepError) as raised:
        resolve_handler.handler(
            {
                "request": {"dataset": DATASET, "data_version": "v7"},
                "execution_name": "e",
                "code": {},
                "code_version": "c1",
            },
            Context(),
        )
    # what Lambda reports as the error, so the state machine can Catch it by name
    assert type(raised.value).__name__ == "Mlops.DataVersionNotFound"
    assert isinstance(raised.value.__cause__, DataVersionNotFoundError)
