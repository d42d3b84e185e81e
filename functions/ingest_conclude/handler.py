"""Ingestion step 3: a new data version (manifest, record, event) or a quarantine."""

from pydantic import BaseModel, ConfigDict, Field

from mlops.handler import logger, step_handler
from mlops.ingest import wiring
from mlops.ingest.models import ObjectResult, Outcome, Plan


class ConcludeEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan: Plan
    results: list[ObjectResult] = Field(default_factory=list)


@step_handler(ConcludeEvent)
def handler(event: ConcludeEvent) -> Outcome:
    outcome = wiring.concluder().conclude(event.plan, event.results)
    logger.info("concluded", extra={"outcome": outcome.model_dump(mode="json")})
    return outcome
