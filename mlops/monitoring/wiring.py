"""Builds the monitoring adapters from a handler's environment, at call time."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3
from pydantic import BaseModel, Field

from mlops import runtime
from mlops.adapters.events import DomainEventPublisher
from mlops.adapters.s3 import ObjectStore
from mlops.config import ProjectConfig
from mlops.monitoring.adapters import (
    CaptureStore,
    LabelStore,
    LatestAccepted,
    MetricsPublisher,
    RecentRuns,
    ReportStore,
    ServingLookup,
)
from mlops.monitoring.guard import RetrainingGuard
from mlops.monitoring.records import MonitorRecords
from mlops.pipeline.executions import Executions
from mlops.pipeline.records import RunRecords
from mlops.registry.data_versions import DataVersionRegistry
from mlops.registry.model_packages import ModelPackages

if TYPE_CHECKING:  # check.py pulls in pandas (the drift engine): the guard function has no pandas layer
    from mlops.monitoring.check import CheckRunner, CheckSources


class CheckSettings(BaseModel):
    registry_table: str = Field(min_length=1)
    artifacts_bucket: str = Field(min_length=1)
    event_bus: str = Field(min_length=1)
    event_source: str = Field(min_length=1)


class GuardSettings(BaseModel):
    registry_table: str = Field(min_length=1)
    state_machine_arn: str = Field(min_length=1)


def check_sources(config: ProjectConfig, clients: Any, *, registry_table: str, artifacts_bucket: str) -> CheckSources:
    """The sources of a check from `clients(service) -> boto3 client` (the Lambda's or the CLI's)."""
    from mlops.monitoring.check import CheckSources

    ddb = clients("dynamodb")
    return CheckSources(
        config=config,
        registry=DataVersionRegistry(ddb, registry_table),
        store=ObjectStore(clients("s3")),
        capture=CaptureStore(clients("s3"), artifacts_bucket),
        labels=LabelStore(clients("s3"), artifacts_bucket),
        serving=ServingLookup(ddb, registry_table, ModelPackages(clients("sagemaker")), clients("sagemaker")),
        records=MonitorRecords(ddb, registry_table),
    )


@functools.cache
def _client(service: str) -> Any:
    return boto3.client(service)


@functools.cache
def check_runner() -> CheckRunner:
    from mlops.monitoring.check import CheckRunner

    settings = runtime.settings(CheckSettings)
    return CheckRunner(
        sources=check_sources(
            runtime.packaged_config(),
            _client,
            registry_table=settings.registry_table,
            artifacts_bucket=settings.artifacts_bucket,
        ),
        reports=ReportStore(_client("s3"), settings.artifacts_bucket),
        metrics=MetricsPublisher(_client("cloudwatch")),
        events=DomainEventPublisher(_client("events"), bus_name=settings.event_bus, source=settings.event_source),
    )


@functools.cache
def retraining_guard() -> RetrainingGuard:
    settings = runtime.settings(GuardSettings)
    config = runtime.packaged_config()
    ddb = _client("dynamodb")
    runs = RunRecords(ddb, settings.registry_table)
    return RetrainingGuard(
        retrain=config.drift.retrain,
        cooldown=timedelta(hours=config.drift.cooldown_hours),
        executions=Executions(_client("stepfunctions"), runs, settings.state_machine_arn),
        claims=MonitorRecords(ddb, settings.registry_table),
        versions=LatestAccepted(DataVersionRegistry(ddb, settings.registry_table)),
        runs=RecentRuns(runs),
    )
