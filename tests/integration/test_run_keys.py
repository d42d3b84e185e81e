"""Identical reruns register nothing: the run key, its record, and the `unchanged` outcome, on moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from mlops import names
from mlops.pipeline.records import RecordRequest, RunRecords, build_record
from mlops.pipeline.resolve import TrainingRequest, TrainingRun
from tests.integration.conftest import DataLake
from tests.integration.test_training_steps import CODE, DATASET, _package, accepted_version, resolver

T0 = datetime(2026, 11, 22, 10, tzinfo=UTC)


@pytest.fixture
def artifacts(lake: DataLake) -> str:
    bucket = names.artifacts_bucket(lake.config, "123456789012")
    lake.s3.create_bucket(Bucket=bucket)
    accepted_version(lake)
    boto3.client("sagemaker").create_model_package_group(
        ModelPackageGroupName=names.model_package_group(lake.config, DATASET)
    )
    return bucket


def resolve(lake: DataLake, artifacts: str, execution: str, **request: Any) -> TrainingRun:
    return resolver(lake, artifacts).resolve(
        TrainingRequest(dataset=DATASET, **request), execution, CODE, code_version="c1"
    )


def record_step(lake: DataLake, run: TrainingRun, execution: str, outcome: str, **state: Any) -> None:
    """What the record step stores at the end of an execution that got this far."""
    request = RecordRequest(
        outcome=outcome,
        state={"dataset": DATASET, "run": run.model_dump(mode="json"), **state},
        execution_id=f"arn:aws:states:us-east-1:123456789012:execution:m:{execution}",
        execution_name=execution,
        started_at=T0,
        code_version="c1",
    )
    RunRecords(lake.ddb, lake.table).put(build_record(request, lake.config.training, now=T0))


def registered(lake: DataLake, run: TrainingRun, execution: str) -> str:
    arn = _package(boto3.client("sagemaker"), names.model_package_group(lake.config, DATASET), 0.99, "Approved")
    gate = {"passed": True, "reason": "ok", "metrics": {"auc": 0.99}}
    registration = {"model_package_arn": arn, "approval_status": "Approved"}
    record_step(lake, run, execution, "registered", gate=gate, registration=registration)
    return arn


def test_an_identical_rerun_is_unchanged_and_points_at_the_registered_package(lake: DataLake, artifacts: str) -> None:
    first = resolve(lake, artifacts, "first")
    assert not first.unchanged and first.existing is None
    arn = registered(lake, first, "first")

    again = resolve(lake, artifacts, "again")
    assert again.run_key == first.run_key
    assert again.unchanged and again.existing is not None
    assert again.existing.model_package_arn == arn and again.existing.execution_name == "first"
    assert again.existing.approval_status == "Approved"

    record_step(lake, again, "again", "unchanged")
    stored = RunRecords(lake.ddb, lake.table).get("again")
    assert stored.outcome == "unchanged" and stored.model_package_arn == arn
    assert stored.same_as_execution == "first" and stored.run_key == first.run_key
    assert stored.training_job is None and stored.cost_usd is None  # nothing trained, nothing billed
    # recording the unchanged run did not take the key over
    assert RunRecords(lake.ddb, lake.table).registered(DATASET, first.run_key).execution_name == "first"  # type: ignore[union-attr]


def test_force_or_other_hyperparameters_train_again(lake: DataLake, artifacts: str) -> None:
    first = resolve(lake, artifacts, "first", hyperparameters={"num_round": 200})
    registered(lake, first, "first")
    assert resolve(lake, artifacts, "same-by-default").unchanged  # 200 is the default anyway
    assert not resolve(lake, artifacts, "forced", force=True).unchanged
    assert not resolve(lake, artifacts, "other", hyperparameters={"num_round": 201}).unchanged


def test_a_package_deleted_since_is_trained_again(lake: DataLake, artifacts: str) -> None:
    first = resolve(lake, artifacts, "first")
    group = names.model_package_group(lake.config, DATASET)
    # moto cannot delete a model package: the key points at one that does not exist instead
    gone = {"model_package_arn": f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{group}/99"}
    record_step(lake, first, "first", "registered", gate={"passed": True}, registration=gone)
    assert RunRecords(lake.ddb, lake.table).registered(DATASET, first.run_key) is not None
    assert not resolve(lake, artifacts, "again").unchanged


def test_a_forced_rerun_becomes_the_package_of_its_key(lake: DataLake, artifacts: str) -> None:
    first = resolve(lake, artifacts, "first")
    registered(lake, first, "first")
    forced = resolve(lake, artifacts, "forced", force=True)
    newer = registered(lake, forced, "forced")
    again = resolve(lake, artifacts, "again")
    assert again.existing is not None and again.existing.model_package_arn == newer


def test_the_package_metadata_carries_the_run_key(lake: DataLake, artifacts: str) -> None:
    from mlops.pipeline.gate import GateResult
    from mlops.pipeline.registration import RegisterRequest, TrainingResult, model_package_request

    run = resolve(lake, artifacts, "first")
    request = RegisterRequest(
        run=run,
        training=TrainingResult(job_name="j", model_uri="s3://b/m.tar.gz"),
        gate=GateResult(passed=True, reason="ok", metrics={"auc": 0.99}),
        execution_id="arn:x",
        code_version="c1",
        image_uri="img",
        source_dir_uri="s3://assets/sourcedir.tar.gz",
    )
    metadata = model_package_request(request, "g", "Approved")["CustomerMetadataProperties"]
    assert metadata["run_key"] == run.run_key
    assert json.loads(metadata["hyperparameters"])["num_round"] == "200"


def test_a_run_that_failed_before_resolving_records_the_version_it_asked_for(lake: DataLake) -> None:
    request = RecordRequest(
        outcome="failed",
        state={
            "dataset": DATASET,
            "data_version": "v9",
            "failure": {"Error": "Mlops.DataVersionNotFound", "Cause": json.dumps({"errorMessage": "no v9"})},
        },
        execution_id="arn:aws:states:us-east-1:123456789012:execution:m:e9",
        execution_name="e9",
        started_at=T0,
        code_version="c1",
    )
    record = build_record(request, lake.config.training, now=T0)
    assert record.data_version == "v9" and record.data_version_id is None
    assert record.error == "Mlops.DataVersionNotFound"


def test_a_failure_of_an_unchanged_run_is_its_record_step(lake: DataLake, artifacts: str) -> None:
    first = resolve(lake, artifacts, "first")
    registered(lake, first, "first")
    again = resolve(lake, artifacts, "again")
    failure = {"Error": "Lambda.ServiceException", "Cause": "boom"}
    record_step(lake, again, "again", "failed", failure=failure)
    stored = RunRecords(lake.ddb, lake.table).get("again")
    assert stored.failed_step == "RecordUnchanged" and stored.error == "Lambda.ServiceException"
