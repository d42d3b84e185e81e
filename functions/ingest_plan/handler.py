"""Ingestion step 1: what does this object-created event mean (single, batch, skip)?"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from mlops import runtime
from mlops.ingest import wiring
from mlops.ingest.models import ObjectCreatedEvent
from mlops.ingest.planning import plan

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    created = ObjectCreatedEvent.from_eventbridge(event)
    result = plan(created, runtime.packaged_config(), wiring.object_store().list_latest)
    logger.info("planned", extra={"mode": result.mode, "dataset": result.dataset, "items": len(result.items)})
    return result.model_dump(mode="json")
