"""Builds the ingestion adapters from a handler's environment, at call time."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import boto3
from pydantic import BaseModel, Field

from mlops import runtime
from mlops.adapters.events import DomainEventPublisher
from mlops.adapters.s3 import ObjectStore
from mlops.registry.data_versions import DataVersionRegistry

if TYPE_CHECKING:
    from mlops.ingest.conclusion import Concluder


class ConcludeSettings(BaseModel):
    """The conclude function's environment; all required (a missing one fails at the first call
    with its name, not later with an empty table or bus name)."""

    registry_table: str = Field(min_length=1)
    event_bus: str = Field(min_length=1)
    event_source: str = Field(min_length=1)


@functools.cache
def object_store() -> ObjectStore:
    return ObjectStore(boto3.client("s3"))


@functools.cache
def concluder() -> Concluder:
    # Imported here so the plan function, which never validates, loads without pandas.
    from mlops.ingest.conclusion import Concluder

    settings = runtime.settings(ConcludeSettings)
    return Concluder(
        runtime.packaged_config(),
        object_store(),
        DataVersionRegistry(boto3.client("dynamodb"), settings.registry_table),
        DomainEventPublisher(boto3.client("events"), bus_name=settings.event_bus, source=settings.event_source),
    )
