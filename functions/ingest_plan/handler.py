"""Ingestion step 1: what does this object-created event mean (single, batch, skip)?"""

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from mlops import runtime
from mlops.handler import logger, step_handler
from mlops.ingest import wiring
from mlops.ingest.models import ObjectCreatedEvent, Plan
from mlops.ingest.planning import plan


class EventBridgeObjectCreated(BaseModel):
    """EventBridge's `aws.s3` / `Object Created` event, reduced to the fields we use."""

    model_config = ConfigDict(frozen=True)

    created: ObjectCreatedEvent

    @model_validator(mode="before")
    @classmethod
    def _from_eventbridge(cls, event: Any) -> Any:
        if isinstance(event, dict) and "detail" in event:
            return {"created": ObjectCreatedEvent.from_eventbridge(event)}
        return event


@step_handler(EventBridgeObjectCreated)
def handler(event: EventBridgeObjectCreated) -> Plan:
    result = plan(event.created, runtime.packaged_config(), wiring.object_store().list_latest)
    logger.info("planned", extra={"mode": result.mode, "dataset": result.dataset, "items": len(result.items)})
    return result
