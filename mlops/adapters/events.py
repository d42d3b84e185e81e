"""Publishes domain events (DataVersionCreated, ...) on the project's event bus."""

from __future__ import annotations

import json
from typing import Any

from mlops.errors import MlopsError


class EventPublishError(MlopsError):
    error_name = "Mlops.EventPublishFailed"


class DomainEventPublisher:
    def __init__(self, client: Any, *, bus_name: str, source: str) -> None:
        self._events = client
        self._bus = bus_name
        self._source = source

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        response = self._events.put_events(
            Entries=[
                {
                    "EventBusName": self._bus,
                    "Source": self._source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, sort_keys=True, default=str),
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise EventPublishError(f"{detail_type} was not accepted by {self._bus}: {response['Entries']}")
