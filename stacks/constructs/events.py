"""The domain event bus (DataVersionCreated, ModelRegistered, DriftDetected, ...) with an
archive so any past event can be replayed into a new consumer."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_events as events
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class DomainEventsProps:
    bus_name: str
    source: str
    archive_retention_days: int = 365


class DomainEvents(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: DomainEventsProps) -> None:
        super().__init__(scope, id_)
        self.source = props.source
        self.bus = events.EventBus(self, "Bus", event_bus_name=props.bus_name)
        self.archive = self.bus.archive(
            "Archive",
            description=f"Every {props.source} domain event, for replay",
            event_pattern=events.EventPattern(source=[props.source]),
            retention=Duration.days(props.archive_retention_days),
        )
