"""How a deployment ended, decided from what the endpoint reports once polling stopped.

SageMaker ends a blue/green update `InService` in both good cases: serving the new endpoint
config (the update went through) or, after an alarm fired during baking, serving the old one
again (auto-rollback). `Failed` (a first deployment whose instances never became healthy) and
`UpdateRollbackFailed` (the update failed, and so did going back) are failures.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from mlops.serving.models import DeploymentOutcome

IN_SERVICE = "InService"
#: the states polling stops at
TERMINAL_STATES = frozenset({IN_SERVICE, "Failed", "UpdateRollbackFailed", "OutOfService"})


class EndpointState(BaseModel):
    """DescribeEndpoint, reduced to what the decision needs."""

    model_config = ConfigDict(frozen=True)

    status: str
    endpoint_config_name: str | None = None
    failure_reason: str | None = None


class OutcomeDecision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: DeploymentOutcome
    reason: str | None = None
    #: the endpoint config the endpoint serves now (None: it does not serve)
    serving_config: str | None = None


def decide(
    state: EndpointState, target_config: str, alarms_in_alarm: Sequence[str], *, polled_seconds: int | None = None
) -> OutcomeDecision:
    """`target_config`: the config this deployment put on the endpoint; `alarms_in_alarm`: the
    deployment's rollback alarms now in ALARM; `polled_seconds`: set when polling gave up
    before the endpoint reached a terminal state."""
    status, serving = state.status, state.endpoint_config_name
    if status not in TERMINAL_STATES:
        waited = f" after {polled_seconds} s" if polled_seconds is not None else ""
        return OutcomeDecision(
            outcome="failed",
            reason=f"the endpoint is still {status}{waited}: the deploy workflow stopped waiting for it",
            serving_config=serving if status != "Creating" else None,
        )
    if status == IN_SERVICE:
        if serving == target_config:
            return OutcomeDecision(outcome="deployed", serving_config=serving)
        if alarms_in_alarm:
            fired = ", ".join(sorted(alarms_in_alarm))
            reason = f"alarm {fired} in ALARM during the deployment: rolled back to {serving}"
        elif state.failure_reason:
            reason = state.failure_reason
        else:
            reason = f"the update did not complete: the endpoint still serves {serving}"
        return OutcomeDecision(outcome="rolled_back", reason=reason, serving_config=serving)
    if status == "UpdateRollbackFailed":
        why = state.failure_reason or "no reason given"
        return OutcomeDecision(
            outcome="failed", reason=f"the update failed and so did its rollback: {why}", serving_config=None
        )
    return OutcomeDecision(
        outcome="failed",
        reason=state.failure_reason or f"the endpoint is {status} without a failure reason",
        serving_config=None,
    )
