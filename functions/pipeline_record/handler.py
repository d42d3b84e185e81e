"""Training's last step on every path: record the run (and classify a failure)."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from mlops import runtime
from mlops.pipeline import wiring
from mlops.pipeline.records import RecordRequest, build_record

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = RecordRequest.model_validate(event)
    record = build_record(request, runtime.packaged_config().training)
    wiring.run_records().put(record)
    logger.info(
        "run recorded",
        extra={"run": {"execution": record.execution_name, "outcome": record.outcome, "error": record.error}},
    )
    return record.model_dump(mode="json")
