"""`mlops pipeline` errors a user can make, against moto, through the real CLI app."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import boto3
import pytest
from typer.testing import CliRunner

from mlops import names
from mlops.cli.main import app
from mlops.errors import UsageError
from mlops.pipeline.executions import ExecutionNotFoundError, PipelineNotDeployedError
from mlops.pipeline.records import RunRecord, RunRecords
from tests.integration.conftest import ACCOUNT, EXAMPLE, DataLake
from tests.integration.test_training_steps import DATASET, accepted_version

EXAMPLE_PREFIX = "tumor-classifier-dev"

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
    assert isinstance(error, UsageError) and error.problems[0].path == "--dataset"
    error = invoke("run", "-d", "breast-cancer", "--set", "max_depth")
    assert isinstance(error, UsageError) and error.problems[0].path == "--set max_depth"


def deploy_state_machine(lake: DataLake) -> str:
    """The training state machine's name in moto (its executions stay RUNNING until stopped)."""
    role = boto3.client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    arn: str = boto3.client("stepfunctions").create_state_machine(
        name=names.training_state_machine(lake.config),
        definition='{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}',
        roleArn=role,
    )["stateMachineArn"]
    return arn


def test_status_of_an_unknown_execution_is_a_clear_error(lake: DataLake) -> None:
    deploy_state_machine(lake)
    error = invoke("status", "no-such-run")
    assert isinstance(error, ExecutionNotFoundError) and "no-such-run" in str(error)
    assert f":{ACCOUNT}:" in str(error)


@pytest.mark.parametrize("command", [["runs"], ["runs", "-d", "breast-cancer", "--json"]])
def test_runs_of_a_fresh_deployment_are_empty(lake: DataLake, command: list[str]) -> None:
    result = runner.invoke(app, ["-f", str(EXAMPLE), "pipeline", *command], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    if "--json" in command:
        assert result.output.strip() == "[]"


# --------------------------------------------------------------------------------------------
# Pre-flight: nothing starts unless the arguments and the cloud agree


@pytest.fixture
def deployed(lake: DataLake) -> str:
    arn = deploy_state_machine(lake)
    accepted_version(lake)
    return arn


def executions_of(machine: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = boto3.client("stepfunctions").list_executions(stateMachineArn=machine)[
        "executions"
    ]
    return found


def test_an_unknown_data_version_is_refused_before_any_execution_starts(deployed: str) -> None:
    error = invoke("run", "-d", DATASET, "--data-version", "v9")  # no --wait
    assert isinstance(error, UsageError) and error.problems[0].path == "--data-version"
    assert "v9" in error.problems[0].message
    assert executions_of(deployed) == []


@pytest.mark.parametrize(
    "arguments",
    [
        ["--name", "bad name!"],
        ["--set", "bogus_param=1"],
        ["--set", "num_round=abc"],
        ["--set", "validation_fraction=1"],
    ],
)
def test_bad_names_and_hyperparameters_start_nothing(deployed: str, arguments: list[str]) -> None:
    error = invoke("run", "-d", DATASET, *arguments)
    assert isinstance(error, UsageError) and error.exit_code == 2
    assert executions_of(deployed) == []


def test_a_good_run_starts_with_typed_overrides(deployed: str) -> None:
    result = runner.invoke(
        app, ["-f", str(EXAMPLE), "pipeline", "run", "-d", DATASET, "--set", "num_round=300", "--name", "r1", "--force"]
    )
    assert result.exit_code == 0, result.output
    [execution] = executions_of(deployed)
    described = boto3.client("stepfunctions").describe_execution(executionArn=str(execution["executionArn"]))
    assert json.loads(described["input"]) == {
        "dataset": DATASET,
        "data_version": "latest",
        "hyperparameters": {"num_round": 300},
        "force": True,
    }
    assert f"started {execution['executionArn']}\n" in result.output
    assert f"mlops -f {EXAMPLE} pipeline status r1" in result.output


# --------------------------------------------------------------------------------------------
# Ctrl-C, running executions, the leaderboard


def interrupt_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C arrives while `--wait` sleeps between two polls."""

    def ctrl_c(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", ctrl_c)


@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_while_waiting_says_which_run_goes_on_and_how_to_follow_it(
    deployed: str, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    interrupt_the_wait(monkeypatch)
    args = ["--local", "-f", str(EXAMPLE), "pipeline", "run", "-d", DATASET, "--name", "run-ctrl-c", "--wait"]
    monkeypatch.setattr("mlops.local.endpoint", lambda: None)  # --local without a local cloud: moto here
    result = runner.invoke(app, args + (["--json"] if as_json else []))
    assert result.exit_code == 130, result.output
    [execution] = executions_of(deployed)
    arn = str(execution["executionArn"])
    assert execution["status"] == "RUNNING"  # the run goes on
    follow = f"mlops --local -f {EXAMPLE} pipeline status run-ctrl-c"
    assert arn in result.output and follow in result.output
    if as_json:
        payload = json.loads(result.stdout)
        assert payload == {"execution_arn": arn, "status": "RUNNING", "interrupted": True, "follow": follow}


def test_runs_lists_running_executions_before_the_recorded_ones(deployed: str, lake: DataLake) -> None:
    started = runner.invoke(app, ["-f", str(EXAMPLE), "pipeline", "run", "-d", DATASET, "--name", "still-going"])
    assert started.exit_code == 0, started.output
    RunRecords(lake.ddb, lake.table).put(record("finished-earlier", "registered", auc=0.99))
    result = runner.invoke(app, ["-f", str(EXAMPLE), "pipeline", "runs", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["execution_name"], r["outcome"]) for r in rows] == [
        ("still-going", "running"),
        ("finished-earlier", "registered"),
    ]
    assert rows[0]["data_version"] == "latest" and rows[0]["dataset"] == DATASET
    table = runner.invoke(app, ["-f", str(EXAMPLE), "pipeline", "runs"], catch_exceptions=False).output
    assert "still-going" in table and "running" in table


def test_the_leaderboard_is_not_cut_at_80_columns_and_shows_package_and_hyperparameters(lake: DataLake) -> None:
    long_name = "a-rather-long-execution-name-that-would-never-fit-into-eighty-columns-x"
    RunRecords(lake.ddb, lake.table).put(record(long_name, "registered", auc=0.991))
    result = runner.invoke(app, ["-f", str(EXAMPLE), "pipeline", "runs"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert long_name in result.output  # on one line: not folded, not cut
    assert f"{names.model_package_group(lake.config, DATASET)}@3" in result.output
    assert "eta=0.3 max_depth=6" in result.output and "sagemaker_program" not in result.output
    assert "…" not in result.output


def record(name: str, outcome: str, *, auc: float) -> RunRecord:
    group = f"{EXAMPLE_PREFIX}-{DATASET}"
    return RunRecord(
        execution_arn=f"arn:aws:states:us-east-1:{ACCOUNT}:execution:m:{name}",
        execution_name=name,
        dataset=DATASET,
        outcome=outcome,
        started_at=datetime(2026, 11, 22, 10, tzinfo=UTC),
        finished_at=datetime(2026, 11, 22, 10, 5, tzinfo=UTC),
        data_version="v1",
        code_version="c1",
        hyperparameters={"eta": "0.3", "max_depth": "6", "sagemaker_program": "train.py"},
        metrics={"auc": auc},
        model_package_arn=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/{group}/3",
        approval_status="Approved",
        instance_type="ml.g5.xlarge",
        instance_count=1,
        spot=True,
    )
