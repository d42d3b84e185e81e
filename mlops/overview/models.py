"""What the overview page shows: plain records collected from the registry, SageMaker and S3."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from mlops.pipeline.records import RunRecord
from mlops.registry.data_versions import DataVersionRecord
from mlops.serving.models import DeploymentRecord, ServingPointer


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelVersion(_View):
    version: int
    model_package_arn: str
    approval_status: str
    created_at: datetime
    metrics: dict[str, float] = Field(default_factory=dict)
    data_version: str | None = None


class DriftCheck(_View):
    """One scheduled (or manual) drift check: its verdict and, where labels were joined, the
    model quality it measured."""

    checked_at: datetime
    verdict: str
    drifted_share: float | None = None
    drifted_features: list[str] = Field(default_factory=list)
    quality_metric: str | None = None
    quality_value: float | None = None
    report_uri: str | None = None


class DatasetOverview(_View):
    name: str
    data_versions: list[DataVersionRecord] = Field(default_factory=list)
    #: best first by the gate's metric (pipeline_cmd.leaderboard)
    runs: list[RunRecord] = Field(default_factory=list)
    models: list[ModelVersion] = Field(default_factory=list)
    serving: ServingPointer | None = None
    #: oldest first
    deployments: list[DeploymentRecord] = Field(default_factory=list)
    #: oldest first
    drift_checks: list[DriftCheck] = Field(default_factory=list)
    #: where a section could not be read (permissions, a stack not deployed): shown, not hidden
    problems: list[str] = Field(default_factory=list)


class Overview(_View):
    project: str
    environment: str
    generated_at: datetime
    gate_metric: str
    gate_direction: str
    datasets: list[DatasetOverview]
