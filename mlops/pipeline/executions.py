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

from mlops import hyperparameters as script_hyperparameters
from mlops.errors import ConfigProblem, MlopsError, UsageError
from mlops.hyperparameters import HyperparameterValue
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


def parse_overrides(items: Sequence[str]) -> dict[str, HyperparameterValue]:
    """`--set key=value` items, checked against the training script's declaration and converted
    to its types (`num_round=300` -> 300). UsageError naming every bad item: malformed, unknown
    key, bad value, out of range, or a key the pipeline sets."""
    problems: list[ConfigProblem] = []
    raw: dict[str, str] = {}
    item_of: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(ConfigProblem(f"--set {item}", "expected key=value"))
            continue
        raw[key], item_of[key] = value, item
    problems += script_hyperparameters.problems(raw, lambda key: f"--set {item_of[key]}")
    if problems:
        raise UsageError(problems)
    return script_hyperparameters.typed(raw)


#: StartExecution's name rules, exactly: 1-80 characters; no whitespace, brackets < > { } [ ],
#: wildcards ? *, special characters " # % \ ^ | ~ ` $ & , ; : /, control characters
#: (U+0000-001F, U+007F-009F, U+FFFE-FFFF), surrogates (U+D800-DFFF) or U+10FFFF.
#: (CloudWatch logging wants only 0-9, A-Z, a-z, - and _, but that is advice, not a rule.)
NAME_LIMIT = 80
_NAME_FORBIDDEN = frozenset('<>{}[]?*"#%\\^|~`$&,;:/')


def _forbidden_in_name(char: str) -> bool:
    code = ord(char)
    return (
        char.isspace()
        or char in _NAME_FORBIDDEN
        or code <= 0x1F
        or 0x7F <= code <= 0x9F
        or 0xD800 <= code <= 0xDFFF
        or code in {0xFFFE, 0xFFFF, 0x10FFFF}
    )


def execution_name_problems(name: str) -> list[ConfigProblem]:
    """Why Step Functions would refuse `name` as an execution name (empty when it would not)."""
    problems: list[ConfigProblem] = []
    if not 1 <= len(name) <= NAME_LIMIT:
        problems.append(ConfigProblem("--name", f"must be 1-{NAME_LIMIT} characters, got {len(name)}"))
    bad = sorted({c for c in name if _forbidden_in_name(c)})
    if bad:
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in bad)
        problems.append(ConfigProblem("--name", f"Step Functions does not allow {shown} in an execution name"))
    return problems


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


class RunningRun(BaseModel):
    """An execution that is still running (it has no run record yet): what was requested."""

    model_config = ConfigDict(frozen=True)

    execution_arn: str
    execution_name: str
    dataset: str
    outcome: Literal["running"] = "running"
    started_at: datetime
    data_version: str | None = None
    hyperparameters: dict[str, str] = {}


class Executions:
    def __init__(self, sfn: Any, records: RunRecords, state_machine_arn: str) -> None:
        self._sfn = sfn
        self._records = records
        self.state_machine_arn = state_machine_arn

    def ensure_deployed(self) -> None:
        """PipelineNotDeployedError unless the training state machine exists (a pre-flight check)."""
        try:
            self._sfn.describe_state_machine(stateMachineArn=self.state_machine_arn)
        except ClientError as exc:
            if exc.response["Error"].get("Code") == "StateMachineDoesNotExist":
                raise PipelineNotDeployedError(
                    f"no training state machine {self.state_machine_arn}: deploy the pipeline stack first"
                ) from exc
            raise

    def running(self, dataset: str | None = None) -> list[RunningRun]:
        """Running executions (of `dataset`, or all), newest first; none when not deployed."""
        found: list[RunningRun] = []
        kwargs: dict[str, Any] = {"stateMachineArn": self.state_machine_arn, "statusFilter": "RUNNING"}
        while True:
            try:
                page = self._sfn.list_executions(**kwargs)
            except ClientError as exc:
                if exc.response["Error"].get("Code") == "StateMachineDoesNotExist":
                    return []
                raise
            for summary in page.get("executions", []):
                described = self.describe(summary["executionArn"])
                try:
                    request = json.loads(described.get("input") or "{}")
                except ValueError:
                    request = {}
                if not isinstance(request, dict):
                    request = {}
                run_dataset = str(request.get("dataset") or "?")
                if dataset is not None and run_dataset != dataset:
                    continue
                found.append(
                    RunningRun(
                        execution_arn=summary["executionArn"],
                        execution_name=summary["name"],
                        dataset=run_dataset,
                        started_at=summary["startDate"],
                        data_version=request.get("data_version"),
                        hyperparameters={str(k): str(v) for k, v in (request.get("hyperparameters") or {}).items()},
                    )
                )
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        found.sort(key=lambda run: run.started_at, reverse=True)
        return found

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
                raise UsageError([ConfigProblem("--name", f"an execution named {name!r} already exists")]) from exc
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
