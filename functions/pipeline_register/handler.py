"""Training step 5: register the model package with its metrics and lineage."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from mlops import runtime
from mlops.pipeline import wiring
from mlops.pipeline.steps import RegisterRequest, register

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = RegisterRequest.model_validate(event)
    config = runtime.packaged_config()
    registration = register(
        wiring.model_packages(),
        request,
        wiring.model_package_group(request.run.dataset),
        config.settings.model_approval,
    )
    logger.info("registered", extra={"registration": registration.model_dump(mode="json")})
    return registration.model_dump(mode="json")
