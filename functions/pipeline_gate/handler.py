"""Training step 4: the quality gate on the evaluation's metrics."""

from mlops import runtime
from mlops.handler import logger, step_handler
from mlops.pipeline import wiring
from mlops.pipeline.gate import GateRequest, GateResult, run_gate


@step_handler(GateRequest)
def handler(request: GateRequest) -> GateResult:
    result = run_gate(runtime.packaged_config().quality_gate, wiring.object_store(), request)
    logger.info("gate decided", extra={"gate": result.model_dump(mode="json")})
    return result
