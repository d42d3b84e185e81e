"""Deploy step 1: validate the package, name everything, take the lock, begin the record."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from mlops.handler import logger, step_handler
from mlops.serving import wiring
from mlops.serving.planning import DeploymentPlan, DeployRequest


class ResolveEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    request: DeployRequest
    execution_id: str
    execution_name: str
    started_at: datetime


@step_handler(ResolveEvent)
def handler(event: ResolveEvent) -> DeploymentPlan:
    plan = wiring.planner().plan(
        event.request,
        deployment_id=event.execution_name,
        execution_arn=event.execution_id,
        started_at=event.started_at,
    )
    logger.info(
        "planned",
        extra={"plan": {"version": plan.model_version, "config": plan.endpoint_config_name, "skip": plan.skip}},
    )
    return plan
