"""Scheduled drift and model-quality check of one dataset's endpoint (EventBridge Scheduler)."""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from mlops.handler import logger, step_handler
from mlops.monitoring import wiring
from mlops.monitoring.models import CheckRecord


class CheckEvent(BaseModel):
    """The schedule's Input."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str


@step_handler(CheckEvent)
def handler(event: CheckEvent) -> CheckRecord:
    record = wiring.check_runner().run(event.dataset, now=datetime.now(UTC))
    logger.info(
        "checked",
        extra={
            "check": {
                "dataset": record.dataset,
                "verdict": record.verdict,
                "quality": record.quality_verdict,
                "alerts": record.alerts,
                "rows": record.captured_rows,
            }
        },
    )
    return record
