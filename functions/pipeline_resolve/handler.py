"""Training step 1: resolve the data version, hyperparameters and job names of a run."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from mlops.pipeline import wiring
from mlops.pipeline.resolve import TrainingRequest

logger = Logger()
tracer = Tracer()


class ResolveEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    request: TrainingRequest
    execution_name: str
    #: sagemaker_program / sagemaker_submit_directory, fixed by the state machine definition
    code: dict[str, str]
    #: the content hash of the training code (part of the run key)
    code_version: str


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = ResolveEvent.model_validate(event)
    run = wiring.resolver().resolve(
        parsed.request, parsed.execution_name, parsed.code, code_version=parsed.code_version
    )
    logger.info(
        "resolved",
        extra={"run": {"job_name": run.job_name, "data_version": run.data_version.ref, "unchanged": run.unchanged}},
    )
    return run.model_dump(mode="json")
