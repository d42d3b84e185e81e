"""The deploy workflow's registry side against moto: history records, the serving pointer, the
lock (conditional writes, stale take-over), and the resolve and record steps end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from mlops import names
from mlops.registry.model_packages import ModelPackages
from mlops.serving import naming
from mlops.serving.adapters import Hosting
from mlops.serving.errors import DeploymentInProgressError, ModelPackageNotApprovedError, NoApprovedModelError
from mlops.serving.history import DeploymentHistory
from mlops.serving.models import DeploymentLock
from mlops.serving.outcome import OutcomeDecision
from mlops.serving.planning import DeploymentPlan, DeployRequest, Planner
from mlops.serving.recording import FinishRequest, finish
from tests.integration.conftest import DataLake

DATASET = "breast-cancer"
T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def _lock(deployment_id: str, *, arn: str | None = "auto") -> DeploymentLock:
    execution = f"arn:aws:states:us-east-1:123456789012:execution:x-deploy:{deployment_id}" if arn == "auto" else arn
    return DeploymentLock(dataset=DATASET, deployment_id=deployment_id, execution_arn=execution, started_at=T0)


def test_the_lock_is_exclusive_reentrant_and_released_only_by_its_holder(lake: DataLake) -> None:
    history = DeploymentHistory(lake.ddb, lake.table)
    assert history.acquire(_lock("d-1"), lambda arn: True) is None
    assert history.acquire(_lock("d-1"), lambda arn: True) is None  # a retried step: still ours
    with pytest.raises(DeploymentInProgressError, match=r"deployment d-1 .* is in progress") as refused:
        history.acquire(_lock("d-2"), lambda arn: True)
    assert refused.value.error_name == "Mlops.DeploymentInProgress"
    assert history.release(DATASET, "d-2") is False  # never another deployment's lock
    lock = history.lock(DATASET)
    assert lock is not None and lock.deployment_id == "d-1"
    assert history.release(DATASET, "d-1") is True and history.lock(DATASET) is None
    assert history.acquire(_lock("d-2"), lambda arn: True) is None


def test_a_stale_lock_is_taken_over_and_a_lock_without_an_execution_is_not(lake: DataLake) -> None:
    history = DeploymentHistory(lake.ddb, lake.table)
    history.acquire(_lock("d-1"), lambda arn: True)
    taken = history.acquire(_lock("d-2"), lambda arn: not arn.endswith(":d-1"))
    assert taken is not None and taken.deployment_id == "d-1"
    lock = history.lock(DATASET)
    assert lock is not None and lock.deployment_id == "d-2"
    history.release(DATASET, "d-2")
    history.acquire(_lock("by-hand", arn=None), lambda arn: False)
    with pytest.raises(DeploymentInProgressError, match="by-hand"):
        history.acquire(_lock("d-3"), lambda arn: False)


# --------------------------------------------------------------------------------------------
# The resolve and record steps


def _package(sagemaker: Any, group: str, approval: str = "Approved") -> str:
    arn: str = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus=approval,
        InferenceSpecification={
            "Containers": [
                {
                    "Image": "img:1",
                    "ModelDataUrl": "s3://artifacts/models/model.tar.gz",
                    "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://a/s.tgz"},
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        CustomerMetadataProperties={
            "metrics": json.dumps({"auc": 0.99}),
            "data_version": "v3",
            "data_version_id": "abc",
        },
    )["ModelPackageArn"]
    return arn


@pytest.fixture
def planner(lake: DataLake) -> Planner:
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=names.model_package_group(lake.config, DATASET))
    running: set[str] = set()
    planner = Planner(
        lake.config,
        ModelPackages(sagemaker),
        Hosting(sagemaker),
        DeploymentHistory(lake.ddb, lake.table),
        running.__contains__,
    )
    planner.running = running  # type: ignore[attr-defined]
    return planner


def _plan(planner: Planner, name: str, request: DeployRequest, minutes: int = 0) -> DeploymentPlan:
    arn = f"arn:aws:states:us-east-1:123456789012:execution:x-deploy:{name}"
    planner.running.add(arn)  # type: ignore[attr-defined]
    return planner.plan(request, deployment_id=name, execution_arn=arn, started_at=T0 + timedelta(minutes=minutes))


def test_the_newest_approved_package_is_planned_locked_and_recorded(lake: DataLake, planner: Planner) -> None:
    group = names.model_package_group(lake.config, DATASET)
    sagemaker = boto3.client("sagemaker")
    with pytest.raises(NoApprovedModelError, match=group):
        _plan(planner, "none-yet", DeployRequest(dataset=DATASET))
    _package(sagemaker, group)
    newest = _package(sagemaker, group)
    pending = _package(sagemaker, group, "PendingManualApproval")
    with pytest.raises(ModelPackageNotApprovedError, match="PendingManualApproval"):
        _plan(planner, "pending", DeployRequest(dataset=DATASET, model_package_arn=pending))
    plan = _plan(planner, "deploy-1", DeployRequest(dataset=DATASET, trigger="manual", triggered_by="alice"))
    assert plan.model_package_arn == newest and plan.model_version == 2
    assert plan.model_name == naming.model(lake.config.prefix, DATASET, 2) and plan.create_model
    assert plan.endpoint_config_name == naming.endpoint_config(lake.config.prefix, DATASET, 2, "deploy-1")
    assert not plan.endpoint_exists and plan.previous_endpoint_config_name is None
    assert plan.container["ModelDataUrl"] == "s3://artifacts/models/model.tar.gz"
    assert plan.container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert plan.strategy.value == "canary" and plan.alarm_names[0].endswith("-Invocation5XXErrors")
    history = DeploymentHistory(lake.ddb, lake.table)
    [record] = history.list(DATASET)
    assert record.status == "in_progress" and record.triggered_by == "alice" and record.model_version == 2
    with pytest.raises(DeploymentInProgressError, match="deploy-1"):
        _plan(planner, "deploy-2", DeployRequest(dataset=DATASET), minutes=1)
    # a duplicate approval event of the package being deployed is skipped, not refused
    duplicate = _plan(planner, "event-2", DeployRequest(dataset=DATASET, model_package_arn=newest, trigger="approval"))
    assert duplicate.skip and "being deployed" in str(duplicate.skip_reason)


def _finish(lake: DataLake, plan: DeploymentPlan, path: str, state: dict[str, Any]) -> Any:
    request = FinishRequest(
        path=path,
        state={"dataset": plan.dataset, "plan": plan.model_dump(mode="json"), **state},
        execution_id=f"arn:execution:{plan.deployment_id}",
        execution_name=plan.deployment_id,
    )
    return finish(request, DeploymentHistory(lake.ddb, lake.table), now=T0 + timedelta(hours=1))


def test_a_deployed_outcome_finishes_the_record_moves_the_pointer_and_releases_the_lock(
    lake: DataLake, planner: Planner
) -> None:
    arn = _package(boto3.client("sagemaker"), names.model_package_group(lake.config, DATASET))
    plan = _plan(planner, "deploy-1", DeployRequest(dataset=DATASET, model_package_arn=arn))
    decision = OutcomeDecision(outcome="deployed", serving_config=plan.endpoint_config_name)
    result = _finish(lake, plan, "concluded", {"decision": decision.model_dump(mode="json")})
    assert result.status == "deployed" and result.error is None
    history = DeploymentHistory(lake.ddb, lake.table)
    [record] = history.list(DATASET)
    assert record.status == "deployed" and record.finished_at == T0 + timedelta(hours=1)
    pointer = history.current(DATASET)
    assert pointer is not None and pointer.model_package_arn == arn and pointer.model_version == 1
    assert (pointer.data_version, pointer.data_version_id) == ("v3", "abc")
    assert pointer.endpoint_config_name == plan.endpoint_config_name and history.lock(DATASET) is None
    # the same package again, from an approval event: already serving, skipped
    again = _plan(planner, "event-1", DeployRequest(dataset=DATASET, model_package_arn=arn, trigger="registration"))
    assert again.skip and "serving already" in str(again.skip_reason)


def test_a_rollback_or_failure_keeps_the_pointer_and_fails_with_its_error(lake: DataLake, planner: Planner) -> None:
    arn = _package(boto3.client("sagemaker"), names.model_package_group(lake.config, DATASET))
    plan = _plan(planner, "deploy-1", DeployRequest(dataset=DATASET, model_package_arn=arn))
    decision = OutcomeDecision(outcome="rolled_back", reason="alarm X in ALARM", serving_config="old")
    result = _finish(lake, plan, "concluded", {"decision": decision.model_dump(mode="json")})
    assert (result.status, result.error, result.cause) == (
        "rolled_back",
        "Mlops.DeploymentRolledBack",
        "alarm X in ALARM",
    )
    history = DeploymentHistory(lake.ddb, lake.table)
    assert history.current(DATASET) is None and history.lock(DATASET) is None
    assert history.list(DATASET)[0].reason == "alarm X in ALARM"

    plan = _plan(planner, "deploy-2", DeployRequest(dataset=DATASET, model_package_arn=arn), minutes=5)
    failure = {"Error": "SageMaker.AmazonSageMakerException", "Cause": "Could not access model data"}
    failed = _finish(lake, plan, "failed", {"failure": failure})
    assert (failed.status, failed.error, failed.cause) == ("failed", failure["Error"], failure["Cause"])
    assert history.get(DATASET, "deploy-2").status == "failed" and history.lock(DATASET) is None


def test_a_refused_deployment_releases_nobody_elses_lock(lake: DataLake) -> None:
    history = DeploymentHistory(lake.ddb, lake.table)
    history.acquire(_lock("running"), lambda arn: True)
    refused = {"Error": "Mlops.DeploymentInProgress", "Cause": json.dumps({"errorMessage": "deployment running ..."})}
    request = FinishRequest(
        path="failed", state={"dataset": DATASET, "failure": refused}, execution_id="arn:x", execution_name="second"
    )
    result = finish(request, history)
    assert (result.error, result.cause) == ("Mlops.DeploymentInProgress", "deployment running ...")
    lock = history.lock(DATASET)
    assert lock is not None and lock.deployment_id == "running"


def test_the_drift_checks_read_the_pointer_the_record_step_writes(lake: DataLake, planner: Planner) -> None:
    from mlops.monitoring.adapters import ServingLookup

    arn = _package(boto3.client("sagemaker"), names.model_package_group(lake.config, DATASET))
    plan = _plan(planner, "deploy-1", DeployRequest(dataset=DATASET, model_package_arn=arn))
    decision = OutcomeDecision(outcome="deployed", serving_config=plan.endpoint_config_name)
    _finish(lake, plan, "concluded", {"decision": decision.model_dump(mode="json")})
    sagemaker = boto3.client("sagemaker")
    lookup = ServingLookup(lake.ddb, lake.table, ModelPackages(sagemaker), sagemaker)
    assert lookup.pointer(DATASET) == DeploymentHistory(lake.ddb, lake.table).current(DATASET)


def test_taking_over_a_stale_lock_records_the_dead_deployment_failed(lake: DataLake, planner: Planner) -> None:
    arn = _package(boto3.client("sagemaker"), names.model_package_group(lake.config, DATASET))
    dead = _plan(planner, "died", DeployRequest(dataset=DATASET, model_package_arn=arn))
    planner.running.discard(f"arn:aws:states:us-east-1:123456789012:execution:x-deploy:{dead.deployment_id}")  # type: ignore[attr-defined]
    _plan(planner, "next", DeployRequest(dataset=DATASET, model_package_arn=arn), minutes=3)
    history = DeploymentHistory(lake.ddb, lake.table)
    closed = history.get(DATASET, "died")
    assert closed.status == "failed" and "ended without recording" in str(closed.reason)
    lock = history.lock(DATASET)
    assert lock is not None and lock.deployment_id == "next" and history.get(DATASET, "next").status == "in_progress"
