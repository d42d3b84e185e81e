"""Training step 4: the quality gate on the evaluation's metrics."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from mlops import runtime
from mlops.pipeline import wiring
from mlops.pipeline.steps import GateRequest, run_gate

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = GateRequest.model_validate(event)
    result = run_gate(runtime.packaged_config().quality_gate, wiring.object_store(), request)
    logger.info("gate decided", extra={"gate": result.model_dump(mode="json")})
    return result.model_dump(mode="json")
