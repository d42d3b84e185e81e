"""`mlops pipeline` errors a user can make, against moto, through the real CLI app."""

from __future__ import annotations

import boto3
import pytest
from typer.testing import CliRunner

from mlops import names
from mlops.cli.main import app
from mlops.errors import ConfigError
from mlops.pipeline.executions import ExecutionNotFoundError, PipelineNotDeployedError
from tests.integration.conftest import ACCOUNT, EXAMPLE, DataLake

runner = CliRunner()


def invoke(*args: str) -> BaseException | None:
    result = runner.invoke(app, ["-f", str(EXAMPLE), "pipeline", *args])
    return result.exception


def test_a_run_before_the_pipeline_is_deployed_says_so(lake: DataLake) -> None:
    error = invoke("run", "-d", "breast-cancer")
    assert isinstance(error, PipelineNotDeployedError)
    assert "deploy the pipeline stack" in str(error) and error.exit_code == 3


def test_unknown_datasets_and_bad_overrides_are_usage_errors(lake: DataLake) -> None:
    error = invoke("run", "-d", "nope")
    assert isinstance(error, ConfigError) and error.problems[0].path == "--dataset"
    error = invoke("run", "-d", "breast-cancer", "--set", "max_depth")
    assert isinstance(error, ConfigError) and error.problems[0].path == "--set max_depth"


def test_status_of_an_unknown_execution_is_a_clear_error(lake: DataLake) -> None:
    role = boto3.client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("stepfunctions").create_state_machine(
        name=names.training_state_machine(lake.config),
        definition='{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}',
        roleArn=role,
    )
    error = invoke("status", "no-such-run")
    assert isinstance(error, ExecutionNotFoundError) and "no-such-run" in str(error)
    assert f":{ACCOUNT}:" in str(error)


@pytest.mark.parametrize("command", [["runs"], ["runs", "-d", "breast-cancer", "--json"]])
def test_runs_of_a_fresh_deployment_are_empty(lake: DataLake, command: list[str]) -> None:
    result = runner.invoke(app, ["-f", str(EXAMPLE), "pipeline", *command], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    if "--json" in command:
        assert result.output.strip() == "[]"
