"""The monitoring context's records and events.

Registry items (keys in mlops/registry/keys.py), under `MONITOR#<dataset>`:
  WATERMARK              `Watermark`: the capture window of the next scheduled check starts here
  CHECK#<at>#<id>        `CheckRecord`: one check, its verdicts and where its report is
  TRIGGER#<at>#<id>      `TriggerRecord`: what the retraining guard did with an alert, and why

Domain events on the project bus (source `mlops.<project>`): `DriftDetected` and
`ModelQualityDegraded`, detail `AlertDetail`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops.drift.models import DatasetVerdict, DriftReport
from mlops.monitoring.quality import QualityResult

MONITORING_REPORT_FORMAT: Literal["mlops.monitoring/v1"] = "mlops.monitoring/v1"
AlertType = Literal["DriftDetected", "ModelQualityDegraded"]
DRIFT_DETECTED: AlertType = "DriftDetected"
MODEL_QUALITY_DEGRADED: AlertType = "ModelQualityDegraded"
ALERT_TYPES: tuple[AlertType, ...] = (DRIFT_DETECTED, MODEL_QUALITY_DEGRADED)
Decision = Literal["started", "suppressed"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Watermark(_Record):
    dataset: str
    #: capture objects written (S3 LastModified) up to here have been read
    until: datetime
    check_id: str


class CaptureSummary(_Record):
    files: int = 0
    records: int = 0
    rows: int = 0
    #: records that could not be read (each skipped, the first ones listed)
    malformed: int = 0
    #: records inferred before the serving model began serving (an earlier model's), skipped
    earlier_model: int = 0
    problems: list[str] = Field(default_factory=list)


class MonitoringReport(_Record):
    """`report.json` of one check (docs/monitoring.md)."""

    format: Literal["mlops.monitoring/v1"] = MONITORING_REPORT_FORMAT
    check_id: str
    dataset: str
    endpoint: str
    checked_at: datetime
    window_start: datetime | None
    window_end: datetime
    model_version: int | None = None
    model_package_arn: str | None = None
    capture: CaptureSummary
    drift: DriftReport
    quality: QualityResult | None = None
    alerts: list[AlertType] = Field(default_factory=list)


class CheckRecord(_Record):
    check_id: str
    dataset: str
    endpoint: str
    checked_at: datetime
    window_start: datetime | None = None
    window_end: datetime
    baseline: str
    model_version: int | None = None
    verdict: DatasetVerdict
    drifted_share: float
    drifted_features: list[str] = Field(default_factory=list)
    captured_rows: int = 0
    malformed_records: int = 0
    quality_verdict: str | None = None
    quality_metric: str | None = None
    quality_value: float | None = None
    quality_baseline: float | None = None
    alerts: list[AlertType] = Field(default_factory=list)
    report_uri: str
    html_uri: str


class AlertDetail(_Record):
    """The detail of a DriftDetected / ModelQualityDegraded event."""

    dataset: str
    endpoint: str
    check_id: str
    checked_at: datetime
    report_uri: str
    baseline: str
    drifted_share: float | None = None
    drifted_features: list[str] = Field(default_factory=list)
    quality_metric: str | None = None
    quality_value: float | None = None
    quality_baseline: float | None = None
    quality_drop: float | None = None


class TriggerRecord(_Record):
    trigger_id: str
    dataset: str
    at: datetime
    alert: AlertType
    check_id: str | None = None
    decision: Decision
    reason: str
    execution_arn: str | None = None
    data_version: str | None = None
