"""The CloudWatch metrics of one check (namespace `ServerlessMLOps/Drift`).

Per dataset (dimension `Dataset`): `DriftedShare` (the share of compared features that drifted:
what the drift alarm watches), `DriftedFeatures`, `CapturedRows`, `MalformedRecords`, `Drifted`
(1 when the dataset drifted), and with labels `ModelQuality` (the gate metric on the window,
dimensions `Dataset`, `Metric`), `ModelQualityDrop` and `QualityDegraded` (1 when degraded).
Per feature (dimensions `Dataset`, `Feature`): `FeatureDriftScore` (its method's score) and
`FeatureDrifted` (0/1), for every feature that was compared.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mlops.monitoring.models import MonitoringReport

DRIFTED_SHARE = "DriftedShare"
MODEL_QUALITY = "ModelQuality"
MODEL_QUALITY_DROP = "ModelQualityDrop"
FEATURE_DRIFT_SCORE = "FeatureDriftScore"


def _datum(name: str, value: float, dimensions: dict[str, str], now: datetime, unit: str = "None") -> dict[str, Any]:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Timestamp": now,
        "Value": float(value),
        "Unit": unit,
    }


def metric_data(report: MonitoringReport, *, now: datetime) -> list[dict[str, Any]]:
    dataset = {"Dataset": report.dataset}
    drift = report.drift
    data = [
        _datum(DRIFTED_SHARE, drift.drifted_share, dataset, now),
        _datum("DriftedFeatures", drift.counts.drifted, dataset, now, "Count"),
        _datum("Drifted", 1.0 if drift.verdict == "drifted" else 0.0, dataset, now),
        _datum("CapturedRows", report.capture.rows, dataset, now, "Count"),
        _datum("MalformedRecords", report.capture.malformed, dataset, now, "Count"),
    ]
    for feature in drift.features:
        if feature.status in {"drifted", "ok"} and feature.score is not None:
            dims = dataset | {"Feature": feature.feature}
            data.append(_datum(FEATURE_DRIFT_SCORE, feature.score, dims, now))
            data.append(_datum("FeatureDrifted", 1.0 if feature.status == "drifted" else 0.0, dims, now))
    q = report.quality
    if q is not None and q.value is not None:
        data.append(_datum(MODEL_QUALITY, q.value, dataset | {"Metric": q.metric}, now))
        if q.drop is not None:
            data.append(_datum(MODEL_QUALITY_DROP, q.drop, dataset | {"Metric": q.metric}, now))
        data.append(_datum("QualityDegraded", 1.0 if q.verdict == "degraded" else 0.0, dataset, now))
    return data
