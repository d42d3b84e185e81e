"""Deploy step: decide deployed / rolled_back / failed once polling stopped."""

from mlops.handler import logger, step_handler
from mlops.serving import wiring
from mlops.serving.outcome import OutcomeDecision
from mlops.serving.recording import ConcludeRequest, conclude


@step_handler(ConcludeRequest)
def handler(request: ConcludeRequest) -> OutcomeDecision:
    decision = conclude(request, wiring.hosting(), wiring.alarms())
    logger.info("concluded", extra={"decision": decision.model_dump(mode="json")})
    return decision
