"""Batch inference step 1: the model version, its SageMaker Model, the data version's objects
and one transform job per format."""

from pydantic import BaseModel, ConfigDict

from mlops.handler import logger, step_handler
from mlops.serving import batch_wiring
from mlops.serving.batch import BatchPlan, BatchRequest


class ResolveEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    request: BatchRequest
    #: the execution name: the batch id
    execution_name: str


@step_handler(ResolveEvent)
def handler(event: ResolveEvent) -> BatchPlan:
    plan = batch_wiring.resolver().resolve(event.request, event.execution_name)
    logger.info(
        "batch planned",
        extra={
            "batch": {
                "data_version": f"{plan.dataset}@{plan.data_version}",
                "model_version": plan.model_version,
                "model_created": plan.model_created,
                "parts": [part.name for part in plan.parts],
            }
        },
    )
    return plan
