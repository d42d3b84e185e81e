"""The quality gate: may a challenger model be registered?

Pure logic, shared by the pipeline's gate step and the CLI. A challenger passes when its metric
reaches the configured threshold (in the configured direction) and is no more than
`max_regression` worse than the current champion's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from mlops.adapters.s3 import ObjectStore
from mlops.config import MetricDirection, QualityGateConfig
from mlops.layout import split_s3_uri
from mlops.pipeline.errors import MissingMetricError

# Metrics go through JSON and float arithmetic; a value equal to its bound must not fail on the
# last bit (0.99 - 0.005 is 0.98499999999999999).
TOLERANCE = 1e-9


class GateDecision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    passed: bool
    reason: str
    metric: str
    value: float
    champion_value: float | None


def _reaches(value: float, bound: float, direction: MetricDirection) -> bool:
    if direction is MetricDirection.MAXIMIZE:
        return value >= bound - TOLERANCE
    return value <= bound + TOLERANCE


def _metric(metrics: Mapping[str, float], name: str, source: str) -> float:
    if name not in metrics:
        raise MissingMetricError(name, metrics.keys(), source=source)
    return float(metrics[name])


def decide(gate: QualityGateConfig, metrics: Mapping[str, float], champion: Mapping[str, float] | None) -> GateDecision:
    """Decide on `metrics` of the challenger; `champion` is None when no model is registered yet.

    Raises MissingMetricError when the gate's metric is absent from either side."""
    name, direction = gate.metric, gate.direction
    value = _metric(metrics, name, "evaluation")
    champion_value = _metric(champion, name, "champion") if champion is not None else None
    better = "at least" if direction is MetricDirection.MAXIMIZE else "at most"

    def decision(passed: bool, reason: str) -> GateDecision:
        return GateDecision(passed=passed, reason=reason, metric=name, value=value, champion_value=champion_value)

    if math.isnan(value):
        return decision(False, f"{name} is NaN")
    if not _reaches(value, gate.threshold, direction):
        return decision(False, f"{name} {value:.6g} is not {better} the threshold {gate.threshold:.6g}")
    if champion_value is None:
        return decision(True, f"{name} {value:.6g} meets the threshold {gate.threshold:.6g}; no champion to compare")
    if math.isnan(champion_value):
        return decision(True, f"{name} {value:.6g} meets the threshold; the champion's {name} is NaN")
    if direction is MetricDirection.MAXIMIZE:
        bound = champion_value - gate.max_regression
    else:
        bound = champion_value + gate.max_regression
    if not _reaches(value, bound, direction):
        return decision(
            False,
            f"{name} {value:.6g} regresses more than {gate.max_regression:.6g} "
            f"from the champion's {champion_value:.6g} (must be {better} {bound:.6g})",
        )
    return decision(
        True,
        f"{name} {value:.6g} meets the threshold {gate.threshold:.6g} and is within "
        f"{gate.max_regression:.6g} of the champion's {champion_value:.6g}",
    )


def metrics_from_evaluation(document: Mapping[str, Any]) -> dict[str, float]:
    """Flatten an evaluation.json (`{"binary_classification_metrics": {"auc": {"value": ...}}}`)
    into `{"auc": ...}`; entries without a numeric `value` (the confusion matrix) are skipped."""
    flat: dict[str, float] = {}
    for group in document.values():
        if not isinstance(group, Mapping):
            continue
        for name, entry in group.items():
            if isinstance(entry, Mapping) and isinstance(entry.get("value"), int | float):
                flat[str(name)] = float(entry["value"])
    return flat


# --------------------------------------------------------------------------------------------
# The pipeline step


class GateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluation_uri: str
    champion_metrics: dict[str, float] | None = None


class GateResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    passed: bool
    reason: str
    metrics: dict[str, float]


def run_gate(gate: QualityGateConfig, store: ObjectStore, request: GateRequest) -> GateResult:
    bucket, key = split_s3_uri(request.evaluation_uri)
    metrics = metrics_from_evaluation(store.get_json(bucket, key))
    decision = decide(gate, metrics, request.champion_metrics)
    return GateResult(passed=decision.passed, reason=decision.reason, metrics=metrics)
