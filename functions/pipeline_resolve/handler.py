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
    #: the content hash of the training code (part of the run key)
    code_version: str


@step_handler(ResolveEvent)
def handler(event: ResolveEvent) -> TrainingRun:
    run = wiring.resolver().resolve(event.request, event.execution_name, event.code, code_version=event.code_version)
    logger.info(
        "resolved",
        extra={"run": {"job_name": run.job_name, "data_version": run.data_version.ref, "unchanged": run.unchanged}},
    )
    return run
