"""Ingestion step 2 (one Map item): validate one pinned object version."""

from mlops import runtime
from mlops.handler import logger, step_handler
from mlops.ingest import wiring
from mlops.ingest.models import ObjectResult, ValidateItem
from mlops.ingest.validation import validate_object


@step_handler(ValidateItem)
def handler(item: ValidateItem) -> ObjectResult:
    result = validate_object(item, runtime.packaged_config(), wiring.object_store())
    logger.info("validated", extra={"result": result.model_dump(mode="json")})
    return result
