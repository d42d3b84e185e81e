"""The deploy workflow's last steps: decide the outcome, then record it.

`conclude` (the outcome step) reads the endpoint and the deployment's alarms once polling
stopped and decides `deployed`, `rolled_back` or `failed` (mlops/serving/outcome.py).
`finish` (the record step, on every path) finishes the history record, moves the serving
pointer on `deployed` (with the model's data version: the drift checks' baseline), and
releases the lock if this deployment holds it (a refused deployment never releases the lock of
the one it was refused for). Its result carries the error name and cause the execution fails
with: `Mlops.DeploymentRolledBack`, `Mlops.DeploymentFailed`, or the caught step's own error.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from mlops.serving.adapters import Alarms, Hosting
from mlops.serving.history import DeploymentHistory
from mlops.serving.models import DeploymentStatus, ServingPointer
from mlops.serving.outcome import EndpointState, OutcomeDecision, decide
from mlops.serving.planning import DeploymentPlan

CAUSE_LIMIT = 4000
ROLLED_BACK = "Mlops.DeploymentRolledBack"
FAILED = "Mlops.DeploymentFailed"
#: Step Functions' names for errors of the services the workflow calls
SERVICE_ERROR_PREFIXES = frozenset({"SageMaker", "Lambda", "SNS", "DynamoDB", "CloudWatch"})


class ConcludeRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    plan: DeploymentPlan
    polls: int
    poll_seconds: int


def conclude(request: ConcludeRequest, hosting: Hosting, alarms: Alarms) -> OutcomeDecision:
    plan = request.plan
    state = hosting.endpoint_state(plan.endpoint_name) or EndpointState(
        status="Missing", failure_reason=f"endpoint {plan.endpoint_name} does not exist (deleted meanwhile?)"
    )
    firing = alarms.in_alarm(plan.alarm_names) if state.status == "InService" else []
    return decide(state, plan.endpoint_config_name, firing, polled_seconds=request.polls * request.poll_seconds)


class FinishRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: `concluded`: after the outcome step; `failed`: a Catch (the state has `failure`)
    path: Literal["concluded", "failed"]
    state: dict[str, Any]
    execution_id: str
    execution_name: str


class FinishResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    deployment_id: str
    dataset: str | None
    status: DeploymentStatus
    model_version: int | None = None
    model_package_arn: str | None = None
    endpoint_name: str | None = None
    endpoint_config_name: str | None = None
    reason: str | None = None
    #: the error the execution fails with (None when deployed)
    error: str | None = None
    cause: str | None = None


def classify(failure: dict[str, Any]) -> tuple[str, str]:
    """(error name, cause) of what a Catch caught."""
    error = str(failure.get("Error") or FAILED)
    cause = str(failure.get("Cause") or "")
    try:
        detail = json.loads(cause)
    except (TypeError, ValueError):
        detail = None
    if isinstance(detail, dict) and "errorMessage" in detail:
        cause = str(detail["errorMessage"])
    if error.startswith("Mlops.") or error.split(".", 1)[0] in SERVICE_ERROR_PREFIXES:
        return error, cause[:CAUSE_LIMIT]
    return FAILED, f"{error}: {cause}"[:CAUSE_LIMIT]  # States.* and unnamed errors


def _plan(state: dict[str, Any]) -> DeploymentPlan | None:
    try:
        return DeploymentPlan.model_validate(state["plan"]) if state.get("plan") else None
    except ValidationError:
        return None


def finish(request: FinishRequest, history: DeploymentHistory, *, now: datetime | None = None) -> FinishResult:
    state, finished_at = request.state, now or datetime.now(UTC)
    plan = _plan(state)
    dataset = plan.dataset if plan else (str(state["dataset"]) if state.get("dataset") else None)
    status: DeploymentStatus
    error: str | None
    reason: str | None
    cause: str | None
    if request.path == "failed":
        error, cause = classify(state.get("failure") or {})
        status, reason = "failed", cause
    else:
        decision = OutcomeDecision.model_validate(state["decision"])
        status, reason = decision.outcome, decision.reason
        error = {"deployed": None, "rolled_back": ROLLED_BACK, "failed": FAILED}[decision.outcome]
        cause = reason
    if plan is not None:
        record = history.record(plan.dataset, plan.started_at, plan.deployment_id)
        if record is not None:
            history.finish(record.model_copy(update={"status": status, "reason": reason, "finished_at": finished_at}))
        if status == "deployed":
            history.set_current(
                ServingPointer(
                    dataset=plan.dataset,
                    endpoint_name=plan.endpoint_name,
                    model_version=plan.model_version,
                    model_package_arn=plan.model_package_arn,
                    endpoint_config_name=plan.endpoint_config_name,
                    deployment_id=plan.deployment_id,
                    data_version=plan.data_version,
                    data_version_id=plan.data_version_id,
                    since=finished_at,
                )
            )
    if dataset is not None:
        history.release(dataset, request.execution_name)
    return FinishResult(
        deployment_id=request.execution_name,
        dataset=dataset,
        status=status,
        model_version=plan.model_version if plan else None,
        model_package_arn=plan.model_package_arn if plan else None,
        endpoint_name=plan.endpoint_name if plan else None,
        endpoint_config_name=plan.endpoint_config_name if plan else None,
        reason=reason,
        error=error,
        cause=(cause or error or "")[:CAUSE_LIMIT] if error else None,
    )
