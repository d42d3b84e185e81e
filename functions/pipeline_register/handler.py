"""Training step 5: register the model package with its metrics and lineage."""

from mlops import runtime
from mlops.handler import logger, step_handler
from mlops.pipeline import wiring
from mlops.pipeline.registration import RegisterRequest, Registration, register


@step_handler(RegisterRequest)
def handler(request: RegisterRequest) -> Registration:
    registration = register(
        wiring.model_packages(),
        request,
        wiring.model_package_group(request.run.dataset),
        runtime.packaged_config().settings.model_approval,
    )
    logger.info("registered", extra={"registration": registration.model_dump(mode="json")})
    return registration
