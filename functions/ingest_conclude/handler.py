"""Ingestion step 3: a new data version (manifest, record, event) or a quarantine."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from mlops.ingest import wiring
from mlops.ingest.models import ObjectResult, Plan

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    plan = Plan.model_validate(event["plan"])
    results = [ObjectResult.model_validate(r) for r in event.get("results") or []]
    outcome = wiring.concluder().conclude(plan, results)
    logger.info("concluded", extra={"outcome": outcome.model_dump(mode="json")})
    return outcome.model_dump(mode="json")
