"""Batch inference's last step on every path: record which model and data version produced
which predictions (or why there are none), beside them."""

from mlops.handler import logger, step_handler
from mlops.serving import batch_wiring
from mlops.serving.batch import BatchRecord, RecordRequest, build_record
from mlops.serving.batch_adapters import now


@step_handler(RecordRequest)
def handler(request: RecordRequest) -> BatchRecord:
    store, bucket = batch_wiring.records()
    plan = request.state.get("plan") or {}
    record = build_record(request, store.written(plan.get("output_uri")), now())
    uri = store.put(record, bucket)
    logger.info("batch recorded", extra={"batch": {"id": record.batch_id, "status": record.status, "record": uri}})
    return record
