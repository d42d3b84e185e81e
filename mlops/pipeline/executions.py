"""Training executions from the outside: start one, follow its states, read its result.

Used by `mlops pipeline run | status`. The state timeline is built from the execution history
(pure function `timeline`), so the live view and `status` show the same thing.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from mlops.errors import ConfigError, ConfigProblem, MlopsError
from mlops.pipeline.records import RunRecord, RunRecords

StepStatus = Literal["running", "succeeded", "failed", "caught"]
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
#: execution names: 1-80 characters, no whitespace, brackets, wildcards or control characters
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class ExecutionTimeoutError(MlopsError):
    error_name = "Mlops.ExecutionTimeout"


class ExecutionNotFoundError(MlopsError):
    error_name = "Mlops.ExecutionNotFound"


class PipelineNotDeployedError(MlopsError):
    error_name = "Mlops.PipelineNotDeployed"
    exit_code = 3


class StepView(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: str
    status: StepStatus
    entered_at: datetime
    exited_at: datetime | None = None
    attempts: int = 1
    error: str | None = None

    @property
    def seconds(self) -> float | None:
        return (self.exited_at - self.entered_at).total_seconds() if self.exited_at else None


_FAILED_EVENTS = ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut", "LambdaFunctionTimedOut", "TaskStartFailed")
_ATTEMPT_EVENTS = ("TaskScheduled", "LambdaFunctionScheduled")
_SUCCEEDED_EVENTS = ("TaskSucceeded", "LambdaFunctionSucceeded")


def timeline(events: Iterable[Mapping[str, Any]]) -> list[StepView]:
    """The states an execution entered, in order, with their outcome so far."""
    steps: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for event in events:
        kind = str(event["type"])
        stamp = event["timestamp"]
        if kind.endswith("StateEntered"):
            details = event.get("stateEnteredEventDetails") or {}
            current = {
                "name": details.get("name", "?"),
                "type": kind.removesuffix("StateEntered"),
                "status": "running",
                "entered_at": stamp,
                "attempts": 0,
                "error": None,
            }
            steps.append(current)
        elif current is None:
            continue
        elif kind in _ATTEMPT_EVENTS:
            current["attempts"] += 1
        elif kind in _SUCCEEDED_EVENTS:
            current["status"] = "running"  # a retry succeeded
        elif kind in _FAILED_EVENTS:
            failure: Mapping[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
            current["error"] = failure.get("error")
            current["status"] = "failed"
        elif kind.endswith("StateExited"):
            current["exited_at"] = stamp
            # a failure whose state still exits was caught by a Catch (or retried to success)
            if current["status"] == "failed":
                current["status"] = "caught"
            elif current["status"] == "running":
                current["status"] = "succeeded"
        elif kind == "ExecutionFailed" and current["status"] == "running":
            current["status"] = "failed"
            current["exited_at"] = stamp
    views = []
    for step in steps:
        step["attempts"] = max(1, step["attempts"])
        views.append(StepView.model_validate(step))
    return views


def parse_overrides(items: Sequence[str]) -> dict[str, str | int | float | bool]:
    """`--set key=value` items: ints, floats and true/false keep their type, the rest is text."""
    problems: list[ConfigProblem] = []
    parsed: dict[str, str | int | float | bool] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(ConfigProblem(f"--set {item}", "expected key=value"))
            continue
        if key.startswith("sagemaker_"):
            problems.append(ConfigProblem(f"--set {item}", "sagemaker_* hyperparameters are set by the pipeline"))
            continue
        value: str | int | float | bool = raw
        if raw.lower() in {"true", "false"}:
            value = raw.lower() == "true"
        else:
            for kind in (int, float):
                try:
                    value = kind(raw)
                    break
                except ValueError:
                    continue
        parsed[key] = value
    if problems:
        raise ConfigError(problems, source="command line")
    return parsed


def execution_name(dataset: str, *, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    readable = _NAME_UNSAFE.sub("-", dataset).strip("-")[:50]
    return f"{readable}-{stamp}-{secrets.token_hex(3)}"


class RunResult(BaseModel):
    """`mlops pipeline run --json` / `status --json`."""

    model_config = ConfigDict(frozen=True)

    execution_arn: str
    status: str
    outcome: str | None = None
    data_version: str | None = None
    metrics: dict[str, float] = {}
    gate: dict[str, Any] = {"passed": None, "reason": None}
    model_package_arn: str | None = None
    approval_status: str | None = None
    cost_usd: float | None = None
    error: str | None = None
    cause: str | None = None
    record: RunRecord | None = None


class Executions:
    def __init__(self, sfn: Any, records: RunRecords, state_machine_arn: str) -> None:
        self._sfn = sfn
        self._records = records
        self.state_machine_arn = state_machine_arn

    def arn(self, execution: str) -> str:
        """An execution ARN from an ARN or a bare execution name."""
        if execution.startswith("arn:"):
            return execution
        base = self.state_machine_arn.replace(":stateMachine:", ":execution:")
        return f"{base}:{execution}"

    def start(self, name: str, request: Mapping[str, Any]) -> str:
        try:
            arn: str = self._sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(dict(request))
            )["executionArn"]
        except ClientError as exc:
            code = exc.response["Error"].get("Code")
            if code == "StateMachineDoesNotExist":
                raise PipelineNotDeployedError(
                    f"no training state machine {self.state_machine_arn}: deploy the pipeline stack first"
                ) from exc
            if code == "ExecutionAlreadyExists":
                raise ConfigError([ConfigProblem("--name", f"an execution named {name!r} already exists")]) from exc
            raise
        return arn

    def describe(self, arn: str) -> dict[str, Any]:
        try:
            described: dict[str, Any] = self._sfn.describe_execution(executionArn=arn)
        except ClientError as exc:
            if exc.response["Error"].get("Code") == "ExecutionDoesNotExist":
                raise ExecutionNotFoundError(f"no training execution {arn.rsplit(':', 1)[-1]!r} ({arn})") from exc
            raise
        return described

    def history(self, arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        while True:
            page = self._sfn.get_execution_history(**kwargs)
            events.extend(page.get("events", []))
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def wait(
        self,
        arn: str,
        *,
        timeout: float,
        poll: float = 1.0,
        on_progress: Callable[[list[StepView]], None] | None = None,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            described = self.describe(arn)
            if on_progress is not None:
                on_progress(timeline(self.history(arn)))
            if described["status"] in TERMINAL:
                return described
            if time.monotonic() > deadline:
                raise ExecutionTimeoutError(f"{arn} still {described['status']} after {timeout:.0f} s")
            time.sleep(poll)

    def result(self, described: Mapping[str, Any]) -> RunResult:
        """What an execution produced: its run record once it ended (from the output when it
        succeeded, from the registry when it failed), else just its status."""
        status = str(described["status"])
        record: RunRecord | None = None
        if status == "SUCCEEDED" and described.get("output"):
            record = RunRecord.model_validate(json.loads(described["output"]))
        elif status in TERMINAL:
            record = self._records.find(str(described.get("name") or described["executionArn"].rsplit(":", 1)[-1]))
        base: dict[str, Any] = {"execution_arn": described["executionArn"], "status": status}
        if record is None:
            return RunResult(**base, error=described.get("error"), cause=described.get("cause"))
        return RunResult(
            **base,
            outcome=record.outcome,
            data_version=record.data_version,
            metrics=record.metrics,
            gate=record.gate.model_dump(),
            model_package_arn=record.model_package_arn,
            approval_status=record.approval_status,
            cost_usd=record.cost_usd,
            error=record.error or described.get("error"),
            cause=record.cause or described.get("cause"),
            record=record,
        )
