"""Training's last step on every path: record the run (and classify a failure)."""

from mlops import runtime
from mlops.handler import logger, step_handler
from mlops.pipeline import wiring
from mlops.pipeline.records import RecordRequest, RunRecord, build_record


@step_handler(RecordRequest)
def handler(request: RecordRequest) -> RunRecord:
    record = build_record(request, runtime.packaged_config().training)
    wiring.run_records().put(record)
    logger.info(
        "run recorded",
        extra={"run": {"execution": record.execution_name, "outcome": record.outcome, "error": record.error}},
    )
    return record
