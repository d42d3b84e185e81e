"""`mlops serve deploy | rollback | history` and `mlops model approve` refusals and views,
against moto through the real CLI app (the workflow itself runs in tests/e2e)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from typer.testing import CliRunner

from mlops import names
from mlops.cli.main import app
from mlops.errors import UsageError
from mlops.serving.errors import (
    DeploymentInProgressError,
    ModelPackageNotApprovedError,
    ModelPackageNotFoundError,
    RollbackRefusedError,
    ServingNotDeployedError,
)
from mlops.serving.history import DeploymentHistory
from mlops.serving.models import DeploymentLock
from mlops.serving.rollback import UnknownModelVersionError
from tests.integration.conftest import EXAMPLE, DataLake
from tests.integration.test_serving_history import DATASET, _package

runner = CliRunner()


def invoke(*args: str) -> BaseException | None:
    return runner.invoke(app, ["-f", str(EXAMPLE), *args]).exception


def _deploy_workflow(lake: DataLake) -> str:
    role = boto3.client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    arn: str = boto3.client("stepfunctions").create_state_machine(
        name=names.deploy_state_machine(lake.config),
        definition='{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}',
        roleArn=role,
    )["stateMachineArn"]
    return arn


@pytest.fixture
def group(lake: DataLake) -> str:
    name = names.model_package_group(lake.config, DATASET)
    boto3.client("sagemaker").create_model_package_group(ModelPackageGroupName=name)
    return name


def test_a_deployment_before_the_serving_stack_is_deployed_says_so(lake: DataLake) -> None:
    error = invoke("serve", "deploy", f"{DATASET}@1")
    assert isinstance(error, ServingNotDeployedError) and error.exit_code == 3
    assert "deploy the serving stack" in str(error)


def test_bad_model_references_are_usage_errors(lake: DataLake) -> None:
    error = invoke("serve", "deploy", "nope@x")
    assert isinstance(error, UsageError) and error.exit_code == 2
    assert [p.path for p in error.problems] == ["MODEL", "MODEL"]


def test_unknown_and_unapproved_versions_are_refused(lake: DataLake, group: str) -> None:
    _deploy_workflow(lake)
    sagemaker = boto3.client("sagemaker")
    _package(sagemaker, group, "PendingManualApproval")
    error = invoke("serve", "deploy", f"{DATASET}@7")
    assert isinstance(error, ModelPackageNotFoundError) and "versions: 1" in str(error) and error.exit_code == 4
    error = invoke("serve", "deploy", f"{DATASET}@1")
    assert isinstance(error, ModelPackageNotApprovedError) and f"mlops model approve {DATASET}@1" in str(error)


def test_model_approve_approves_with_a_description(lake: DataLake, group: str) -> None:
    sagemaker = boto3.client("sagemaker")
    arn = _package(sagemaker, group, "PendingManualApproval")
    result = runner.invoke(app, ["-f", str(EXAMPLE), "model", "approve", f"{group}@1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model_package_arn"] == arn
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert "mlops model approve" in described["ApprovalDescription"]
    assert isinstance(invoke("model", "approve", DATASET), UsageError)


def test_a_deployment_while_another_runs_is_refused_naming_it(lake: DataLake, group: str) -> None:
    machine = _deploy_workflow(lake)
    _package(boto3.client("sagemaker"), group)
    running = boto3.client("stepfunctions").start_execution(stateMachineArn=machine, name="running-one")
    # moto's plain backend keeps executions RUNNING until stopped
    DeploymentHistory(lake.ddb, lake.table).acquire(
        DeploymentLock(
            dataset=DATASET,
            deployment_id="running-one",
            execution_arn=running["executionArn"],
            started_at=datetime.now(UTC),
        ),
        lambda arn: True,
    )
    for args in (("serve", "deploy", f"{DATASET}@1"), ("serve", "rollback", "-d", DATASET)):
        error = invoke(*args)
        assert isinstance(error, DeploymentInProgressError) and error.exit_code == 5
        assert "running-one" in str(error)


def test_rollback_refusals_and_the_history_view(lake: DataLake, group: str) -> None:
    _deploy_workflow(lake)
    error = invoke("serve", "rollback", "-d", DATASET)
    assert isinstance(error, RollbackRefusedError) and "nothing serves yet" in str(error) and error.exit_code == 4
    result = runner.invoke(app, ["-f", str(EXAMPLE), "serve", "history", DATASET, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"dataset": DATASET, "serving": None, "in_progress": None, "deployments": []}
    assert isinstance(UnknownModelVersionError("x"), RollbackRefusedError)
