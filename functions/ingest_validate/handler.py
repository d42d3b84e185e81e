"""Ingestion step 2 (one Map item): validate one pinned object version."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from mlops import runtime
from mlops.ingest import wiring
from mlops.ingest.models import ValidateItem
from mlops.ingest.steps import validate_object

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    item = ValidateItem.model_validate(event)
    result = validate_object(item, runtime.packaged_config(), wiring.object_store())
    logger.info("validated", extra={"result": result.model_dump(mode="json")})
    return result.model_dump(mode="json")
