"""`mlops pipeline logs`: the jobs of an execution found in its history, their logs read from
CloudWatch Logs (moto), printed as written (no markup) or as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from mlops.cli.aws import Aws
from mlops.cli.main import app
from mlops.local import job_logs
from mlops.pipeline.executions import ExecutionNotFoundError
from tests.integration.conftest import EXAMPLE

runner = CliRunner()
STARTED = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
EPOCH_MS = int(STARTED.timestamp() * 1000)


def scheduled(state: str, resource: str, parameters: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"type": "TaskStateEntered", "timestamp": STARTED, "stateEnteredEventDetails": {"name": state}},
        {
            "type": "TaskScheduled",
            "timestamp": STARTED,
            "taskScheduledEventDetails": {
                "resource": resource,
                "resourceType": "sagemaker",
                "parameters": json.dumps(parameters),
            },
        },
    ]


HISTORY = [
    *scheduled("Train", "createTrainingJob.sync", {"TrainingJobName": "p-run-t0"}),
    *scheduled("Train", "createTrainingJob.sync", {"TrainingJobName": "p-run-t1"}),
    *scheduled("Evaluate", "createProcessingJob.sync", {"ProcessingJobName": "p-run-e0"}),
]


class StepFunctions:
    """The execution `p-run` with the history above, in two pages; any other execution does not exist."""

    def describe_execution(self, executionArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's parameter name
        if not executionArn.endswith(":p-run"):
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ExecutionDoesNotExist", "Message": "no"}}, "DescribeExecution")
        return {"executionArn": executionArn, "status": "SUCCEEDED", "name": "p-run"}

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        if kwargs.get("nextToken"):
            return {"events": HISTORY[4:]}
        return {"events": HISTORY[:4], "nextToken": "page-2"}


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        real = Aws.client

        def client(self: Aws, service: str) -> Any:
            return StepFunctions() if service == "stepfunctions" else real(self, service)

        monkeypatch.setattr(Aws, "client", client)
        logs = boto3.client("logs", region_name="us-east-1")
        job_logs.publish(
            logs,
            "/aws/sagemaker/TrainingJobs",
            "p-run-t1/algo-1-1795860000",
            [(EPOCH_MS, "[bold]not markup[/bold] ^[a-z]{1,30}$"), (EPOCH_MS + 1500, "final validation-auc: 0.99")],
        )
        job_logs.publish(
            logs, "/aws/sagemaker/ProcessingJobs", "p-run-e0/algo-1-1795860100", [(EPOCH_MS + 9000, "done")]
        )
        # another job whose name starts the same: not one of this execution's streams
        job_logs.publish(logs, "/aws/sagemaker/TrainingJobs", "p-run-t10/algo-1-1", [(EPOCH_MS, "other job")])
        yield logs


def logs_command(*args: str) -> Any:
    return runner.invoke(app, ["-f", str(EXAMPLE), "pipeline", "logs", *args])


def test_the_logs_of_every_job_as_json(cloud: Any) -> None:
    result = logs_command("p-run", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["status"] == "SUCCEEDED"
    assert ":execution:" in document["execution_arn"] and document["execution_arn"].endswith(":p-run")
    jobs = {job["job_name"]: job for job in document["jobs"]}
    assert list(jobs) == ["p-run-t0", "p-run-t1", "p-run-e0"]
    assert jobs["p-run-t0"]["streams"] == []  # the failed first attempt wrote nothing
    [stream] = jobs["p-run-t1"]["streams"]
    assert stream["name"] == "p-run-t1/algo-1-1795860000"
    assert [e["message"] for e in stream["events"]] == [
        "[bold]not markup[/bold] ^[a-z]{1,30}$",
        "final validation-auc: 0.99",
    ]
    assert datetime.fromisoformat(stream["events"][1]["timestamp"]) == datetime.fromtimestamp(
        (EPOCH_MS + 1500) / 1000, tz=UTC
    )
    assert (jobs["p-run-e0"]["state"], jobs["p-run-e0"]["log_group"]) == ("Evaluate", "/aws/sagemaker/ProcessingJobs")


def test_the_logs_printed_as_written(cloud: Any) -> None:
    result = logs_command("p-run")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "== Train: training job p-run-t1 (/aws/sagemaker/TrainingJobs)" in out
    assert "2026-11-22T10:00:00.000Z [bold]not markup[/bold] ^[a-z]{1,30}$" in out
    assert "2026-11-22T10:00:01.500Z final validation-auc: 0.99" in out
    assert "no log stream" in out.split("p-run-t1")[0]  # under the first attempt
    assert "other job" not in out
    assert out.index("p-run-t1") < out.index("== Evaluate: processing job p-run-e0")


def test_an_unknown_execution_is_a_clear_error(cloud: Any) -> None:
    result = logs_command("no-such-run")
    assert isinstance(result.exception, ExecutionNotFoundError)
    assert "no-such-run" in str(result.exception)
