"""Training step 1: resolve the data version, hyperparameters and job names of a run."""

from pydantic import BaseModel, ConfigDict

from mlops.handler import logger, step_handler
from mlops.pipeline import wiring
from mlops.pipeline.resolve import TrainingRequest, TrainingRun


class ResolveEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    request: TrainingRequest
    execution_name: str
    #: sagemaker_program / sagemaker_submit_directory, fixed by the state machine definition
    code: dict[str, str]


@step_handler(ResolveEvent)
def handler(event: ResolveEvent) -> TrainingRun:
    run = wiring.resolver().resolve(event.request, event.execution_name, event.code)
    logger.info("resolved", extra={"run": {"job_name": run.job_name, "data_version": run.data_version.ref}})
    return run
