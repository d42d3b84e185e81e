"""Deploy's last step on every path: finish the history record, move the pointer, release the lock."""

from mlops.handler import logger, step_handler
from mlops.serving import wiring
from mlops.serving.recording import FinishRequest, FinishResult, finish


@step_handler(FinishRequest)
def handler(request: FinishRequest) -> FinishResult:
    result = finish(request, wiring.history())
    logger.info("deployment recorded", extra={"deployment": result.model_dump(mode="json")})
    return result
