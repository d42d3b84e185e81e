"""Run records: what every training execution did, whatever its outcome.

The state machine's last Lambda step on every path (registered, rejected by the gate, failed)
turns the execution's state into a `RunRecord` and stores it in the registry table (under
`RUN#<execution name>`, listed by dataset and time through the runs index: mlops/registry/keys.py).
A registered run also becomes the package of its run key (`RUNKEY#<dataset>` / `<run key>`, see
resolve.run_key_of): identical reruns register nothing and are recorded `unchanged`.

Failures are classified here into one clear error name and cause (the execution then fails
with them): a SageMaker job's `FailureReason` instead of its whole Describe output, our typed
errors under the `Mlops.*` names the handler boundary raised them with (mlops/handler.py), and
`Mlops.<Step>Failed` for the interpreter's own `States.*` errors (a Fail state may not re-raise
those) and for anything a handler did not name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops.config import TrainingConfig
from mlops.errors import MlopsError
from mlops.pipeline import cost as pricing
from mlops.pipeline.cost import CostEstimate
from mlops.pipeline.errors import UnknownInstanceTypeError
from mlops.registry import keys

Outcome = Literal["registered", "rejected", "failed", "unchanged"]
RUN_PK = keys.RUN_PREFIX
RUN_SK = keys.RUN_SORT_KEY
RUNS_INDEX = keys.RUNS_INDEX
CAUSE_LIMIT = 4000

#: the workflow's steps in order, with the state key each one adds
STEPS = (
    ("ResolveDataVersion", "run"),
    ("Train", "training"),
    ("Evaluate", "evaluation"),
    ("QualityGate", "gate"),
)


class RunNotFoundError(MlopsError):
    error_name = "Mlops.RunNotFound"


class RecordRequest(BaseModel):
    """What the state machine passes to the record step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Outcome
    state: dict[str, Any]
    execution_id: str
    execution_name: str
    started_at: datetime
    code_version: str


class GateSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    passed: bool | None = None
    reason: str | None = None


class RegisteredRun(BaseModel):
    """The model package a run key was registered as, and by which execution."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_package_arn: str
    execution_name: str
    approval_status: str | None = None


class RunRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    execution_arn: str
    execution_name: str
    dataset: str
    outcome: Outcome
    started_at: datetime
    finished_at: datetime
    data_version: str | None = None
    data_version_id: str | None = None
    code_version: str
    hyperparameters: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    gate: GateSummary = GateSummary()
    champion_model_package_arn: str | None = None
    champion_metrics: dict[str, float] | None = None
    model_package_arn: str | None = None
    approval_status: str | None = None
    training_job: str | None = None
    instance_type: str
    instance_count: int
    spot: bool
    training_seconds: int | None = None
    billable_seconds: int | None = None
    cost: CostEstimate | None = None
    #: what the training job cost at list price (billable seconds), None when not known
    cost_usd: float | None = None
    failed_step: str | None = None
    error: str | None = None
    cause: str | None = None
    #: data version id + code version + hyperparameters, hashed (resolve.run_key)
    run_key: str | None = None
    #: an `unchanged` run: the execution that registered its model package
    same_as_execution: str | None = None


# --------------------------------------------------------------------------------------------
# Failure classification


def failed_step(state: Mapping[str, Any]) -> str:
    if (state.get("run") or {}).get("unchanged"):
        return "RecordUnchanged"  # an unchanged run trains nothing: only its record step can fail
    for step, key in STEPS:
        if key not in state:
            return step
    gate = state.get("gate") or {}
    if gate.get("passed") and "registration" not in state:
        return "RegisterModel"
    return "NotifyRegistered" if gate.get("passed") else "NotifyRejected"


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


#: Step Functions' names for errors of the services a workflow calls (`SageMaker.<Exception>`, ...)
SERVICE_ERROR_PREFIXES = frozenset({"SageMaker", "Lambda", "SNS", "DynamoDB", "S3"})


def classify(failure: Mapping[str, Any], step: str) -> tuple[str, str]:
    """(error name, cause) for the `$.failure` a Catch put into the state."""
    error = str(failure.get("Error") or "Mlops.UnknownFailure")
    raw_cause = str(failure.get("Cause") or "")
    detail = _json(raw_cause)
    if error == "States.TaskFailed" and isinstance(detail, dict):
        for kind, label, name in (
            ("TrainingJob", "training", "Mlops.TrainingJobFailed"),
            ("ProcessingJob", "evaluation", "Mlops.EvaluationJobFailed"),
        ):
            status = detail.get(f"{kind}Status")
            if status:
                job = detail.get(f"{kind}Name", "?")
                reason = detail.get("FailureReason") or detail.get("ExitMessage") or "no reason given"
                return name, f"{label} job {job} ended {status}: {reason}"[:CAUSE_LIMIT]
    message = raw_cause
    if isinstance(detail, dict) and "errorMessage" in detail:
        message = str(detail["errorMessage"])
    if error.startswith("Mlops."):  # raised under its own name by the handler boundary (mlops.handler)
        return error, message[:CAUSE_LIMIT]
    if error.split(".", 1)[0] in SERVICE_ERROR_PREFIXES:  # a service integration's own error name
        return error, message[:CAUSE_LIMIT]
    # interpreter errors (States.*) and anything a handler did not name (a bug, an SDK error)
    kind = "TimedOut" if error == "States.Timeout" else "Failed"
    return f"Mlops.{step}{kind}", f"{error}: {message}"[:CAUSE_LIMIT]


# --------------------------------------------------------------------------------------------
# Building the record


def _cost(training: TrainingConfig, billable: int | None, seconds: int | None) -> CostEstimate | None:
    if billable is None:
        return None
    try:
        return pricing.estimate(
            training.instance_type,
            training.instance_count,
            training_seconds=float(seconds if seconds is not None else billable),
            billable_seconds=float(billable),
            spot=training.use_spot,
        )
    except UnknownInstanceTypeError:
        return None


def _failed_training_job(failure: Mapping[str, Any]) -> dict[str, Any] | None:
    detail = _json(str(failure.get("Cause") or ""))
    if failure.get("Error") == "States.TaskFailed" and isinstance(detail, dict) and "TrainingJobStatus" in detail:
        return detail
    return None


def build_record(request: RecordRequest, training: TrainingConfig, *, now: datetime | None = None) -> RunRecord:
    state = request.state
    run = state.get("run") or {}
    version = run.get("data_version") or {}
    job = state.get("training") or {}
    gate = state.get("gate") or {}
    registration = state.get("registration") or {}
    champion = run.get("champion") or {}
    error = cause = step = None
    if request.outcome == "failed":
        step = failed_step(state)
        error, cause = classify(state.get("failure") or {}, step)
    billable = job.get("billable_seconds")
    seconds = job.get("training_seconds")
    failed_job = _failed_training_job(state.get("failure") or {})
    if not job and failed_job:
        # SageMaker bills a failed job for the time it ran
        job = {"job_name": failed_job.get("TrainingJobName")}
        billable = failed_job.get("BillableTimeInSeconds")
        seconds = failed_job.get("TrainingTimeInSeconds")
    estimate = _cost(training, billable, seconds)
    sequence = version.get("sequence")
    existing = run.get("existing") or {}
    if request.outcome == "unchanged":
        registration = existing
    # a run that failed before its data version was resolved records the version it asked for
    requested = state.get("data_version")
    return RunRecord(
        execution_arn=request.execution_id,
        execution_name=request.execution_name,
        dataset=str(run.get("dataset") or state.get("dataset") or "(none)"),
        outcome=request.outcome,
        started_at=request.started_at,
        finished_at=now or datetime.now(UTC),
        data_version=f"v{sequence}" if sequence else (str(requested) if requested else None),
        data_version_id=version.get("version_id"),
        code_version=request.code_version,
        hyperparameters={str(k): str(v) for k, v in (run.get("hyperparameters") or {}).items()},
        metrics={str(k): float(v) for k, v in (gate.get("metrics") or {}).items()},
        gate=GateSummary(passed=gate.get("passed"), reason=gate.get("reason")),
        champion_model_package_arn=champion.get("model_package_arn"),
        champion_metrics=run.get("champion_metrics"),
        model_package_arn=registration.get("model_package_arn"),
        approval_status=registration.get("approval_status"),
        training_job=job.get("job_name"),
        instance_type=training.instance_type,
        instance_count=training.instance_count,
        spot=training.use_spot,
        training_seconds=seconds,
        billable_seconds=billable,
        cost=estimate,
        cost_usd=estimate.actual_usd if estimate else None,
        failed_step=step,
        error=error,
        cause=cause,
        run_key=run.get("run_key"),
        same_as_execution=existing.get("execution_name") if request.outcome == "unchanged" else None,
    )


# --------------------------------------------------------------------------------------------
# Storage


class RunRecords:
    """Run records in the registry table."""

    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def put(self, record: RunRecord) -> None:
        """Idempotent: a retried record step overwrites the same items. A registered run also
        becomes the package of its run key (the newest wins: a `--force` rerun replaces it)."""
        item = {
            keys.PARTITION_KEY: {"S": f"{RUN_PK}{record.execution_name}"},
            keys.SORT_KEY: {"S": RUN_SK},
            keys.RUNS_INDEX_PARTITION_KEY: {"S": keys.runs_pk(record.dataset)},
            keys.RUNS_INDEX_SORT_KEY: {"S": keys.runs_sk(record.started_at.isoformat(), record.execution_name)},
            "outcome": {"S": record.outcome},
            "record": {"S": record.model_dump_json()},
        }
        if record.outcome != "registered" or not record.run_key or not record.model_package_arn:
            self._ddb.put_item(TableName=self._table, Item=item)
            return
        registered = RegisteredRun(
            model_package_arn=record.model_package_arn,
            execution_name=record.execution_name,
            approval_status=record.approval_status,
        )
        key_item = {
            keys.PARTITION_KEY: {"S": keys.run_key_pk(record.dataset)},
            keys.SORT_KEY: {"S": record.run_key},
            "registered": {"S": registered.model_dump_json()},
        }
        self._ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": self._table, "Item": i}} for i in (item, key_item)]
        )

    def registered(self, dataset: str, run_key: str) -> RegisteredRun | None:
        """The model package registered for `run_key` in `dataset`, if any."""
        item = self._ddb.get_item(
            TableName=self._table,
            Key={keys.PARTITION_KEY: {"S": keys.run_key_pk(dataset)}, keys.SORT_KEY: {"S": run_key}},
            ConsistentRead=True,
        ).get("Item")
        return RegisteredRun.model_validate_json(item["registered"]["S"]) if item else None

    def get(self, execution_name: str) -> RunRecord:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={keys.PARTITION_KEY: {"S": f"{RUN_PK}{execution_name}"}, keys.SORT_KEY: {"S": RUN_SK}},
        ).get("Item")
        if not item:
            raise RunNotFoundError(f"no run record for execution {execution_name!r}")
        return RunRecord.model_validate_json(item["record"]["S"])

    def find(self, execution_name: str) -> RunRecord | None:
        try:
            return self.get(execution_name)
        except RunNotFoundError:
            return None

    def list(self, dataset: str, *, limit: int | None = None) -> list[RunRecord]:
        """Newest first."""
        records: list[RunRecord] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": RUNS_INDEX,
            "KeyConditionExpression": f"{keys.RUNS_INDEX_PARTITION_KEY} = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.runs_pk(dataset)}},
            "ScanIndexForward": False,
        }
        while True:
            page = self._ddb.query(**kwargs)
            for item in page.get("Items", []):
                records.append(RunRecord.model_validate_json(item["record"]["S"]))
                if limit is not None and len(records) >= limit:
                    return records
            if "LastEvaluatedKey" not in page:
                return records
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
