"""Retraining guard: a DriftDetected / ModelQualityDegraded event starts training, or is suppressed."""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from mlops.handler import logger, step_handler
from mlops.monitoring import wiring
from mlops.monitoring.models import AlertDetail, AlertType, TriggerRecord


class AlertEvent(BaseModel):
    """The EventBridge event as delivered to a Lambda target (only the fields read)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    detail_type: AlertType = Field(alias="detail-type")
    source: str
    detail: AlertDetail


@step_handler(AlertEvent)
def handler(event: AlertEvent) -> TriggerRecord:
    record = wiring.retraining_guard().handle(event.detail_type, event.detail, now=datetime.now(UTC))
    logger.info("retraining guard", extra={"trigger": record.model_dump(mode="json")})
    return record
