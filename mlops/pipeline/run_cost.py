"""What a run's SageMaker jobs cost, read from the execution's state (the record step's input).

- training: billable and training seconds from the Train step's result, or from the Describe
  output of a failed job (SageMaker bills a failed job for the time it ran); list price from
  `cost.estimate`, spot savings included;
- evaluation: the processing job's start and end times (and the instance type the construct
  gives it) from the Evaluate step's result, or from the Describe output of a failed job; billed
  on demand for the seconds it ran (`cost.processing_estimate`).

A job that ran but cannot be priced (no price for its instance type, no run time) is listed in
`unpriced` with why, and left out of the total rather than guessed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mlops.config import TrainingConfig
from mlops.pipeline import cost as pricing
from mlops.pipeline.cost import CostEstimate
from mlops.pipeline.errors import UnknownInstanceTypeError


class RunCost(BaseModel):
    model_config = ConfigDict(frozen=True)

    training: CostEstimate | None = None
    evaluation_job: str | None = None
    evaluation_instance_type: str | None = None
    evaluation_seconds: int | None = None
    evaluation: CostEstimate | None = None
    total_usd: float | None = None
    spot_savings_usd: float | None = None
    unpriced: list[str] = Field(default_factory=list)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


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


def failed_sagemaker_job(failure: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    """The Describe output of a SageMaker job (`TrainingJob`/`ProcessingJob`) that failed the task."""
    detail = _json(str(failure.get("Cause") or ""))
    if failure.get("Error") == "States.TaskFailed" and isinstance(detail, dict) and f"{kind}Status" in detail:
        return detail
    return None


def _instant(value: Any) -> datetime | None:
    """A Describe timestamp as Step Functions passes it: epoch milliseconds (or ISO 8601 text)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _EvaluationJob(BaseModel):
    job_name: str | None = None
    instance_type: str | None = None
    instance_count: int = 1
    seconds: int | None = None


def _evaluation_job(state: Mapping[str, Any]) -> _EvaluationJob | None:
    """The evaluation job that ran (from the Evaluate step's result, or the Describe output of a
    failed one); None when none ran."""
    evaluation = state.get("evaluation") or {}
    failed = failed_sagemaker_job(state.get("failure") or {}, "ProcessingJob")
    if evaluation.get("job_name"):
        started, ended = _instant(evaluation.get("started_at")), _instant(evaluation.get("ended_at"))
        instance_type, count = evaluation.get("instance_type"), evaluation.get("instance_count") or 1
        name = evaluation["job_name"]
    elif failed:
        started, ended = _instant(failed.get("ProcessingStartTime")), _instant(failed.get("ProcessingEndTime"))
        cluster = (failed.get("ProcessingResources") or {}).get("ClusterConfig") or {}
        instance_type, count = cluster.get("InstanceType"), cluster.get("InstanceCount") or 1
        name = failed.get("ProcessingJobName")
    else:
        return None
    seconds = math.ceil((ended - started).total_seconds()) if started and ended and ended >= started else None
    return _EvaluationJob(job_name=name, instance_type=instance_type, instance_count=int(count), seconds=seconds)


def _evaluation_cost(job: _EvaluationJob | None) -> tuple[CostEstimate | None, str | None]:
    """(estimate, why not) of the evaluation job."""
    if job is None:
        return None, None
    if job.instance_type is None or job.seconds is None:
        return None, f"evaluation job {job.job_name}: its instance type or run time is not known"
    try:
        return pricing.processing_estimate(job.instance_type, job.instance_count, job.seconds), None
    except UnknownInstanceTypeError as exc:
        return None, f"evaluation job {job.job_name}: {exc}"


def run_cost(
    state: Mapping[str, Any],
    training: TrainingConfig,
    *,
    training_job: str | None,
    billable: int | None,
    seconds: int | None,
) -> RunCost:
    estimate = _cost(training, billable, seconds)
    unpriced = []
    if billable is not None and estimate is None:
        unpriced.append(f"training job {training_job}: no price for {training.instance_type}")
    evaluation = _evaluation_job(state)
    evaluation_estimate, why_not = _evaluation_cost(evaluation)
    if why_not:
        unpriced.append(why_not)
    priced = [e.actual_usd for e in (estimate, evaluation_estimate) if e is not None]
    return RunCost(
        training=estimate,
        evaluation_job=evaluation.job_name if evaluation else None,
        evaluation_instance_type=evaluation.instance_type if evaluation else None,
        evaluation_seconds=evaluation.seconds if evaluation else None,
        evaluation=evaluation_estimate,
        total_usd=round(sum(priced), 6) if priced else None,
        spot_savings_usd=estimate.spot_savings_usd if estimate else None,
        unpriced=unpriced,
    )
