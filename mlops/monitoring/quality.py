"""Model quality on labelled production traffic: the gate metric against the serving model's.

The metrics are those the evaluation job reports (training/evaluate.py `binary_metrics`, which
imports nothing from us and runs in a container, so they are restated here; a unit test checks
both agree on the same labels and scores): auc (Mann-Whitney with average ranks), accuracy,
precision, recall, f1 at the decision threshold, and logloss.

The verdict compares the configured gate metric (`quality_gate.metric`, its `direction`) on the
window with the serving model's evaluation of it: `degraded` when it is worse by more than
`drift.quality_tolerance`; `insufficient_data` below `drift.min_labels` labelled predictions,
when the metric is undefined on the window (auc with one class only) or when there is no
baseline to compare with.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools
from pydantic import BaseModel, ConfigDict

from mlops.config import MetricDirection

EPSILON = 1e-15
QualityVerdict = Literal["ok", "degraded", "insufficient_data"]


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    rank_sum = float(ranks[labels == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def binary_metrics(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> dict[str, float]:
    actual = np.asarray(labels, dtype=np.int64)
    probability = np.asarray(scores, dtype=np.float64)
    if actual.size == 0:
        return {}
    predicted = (probability >= threshold).astype(np.int64)
    tp = int(((predicted == 1) & (actual == 1)).sum())
    tn = int(((predicted == 0) & (actual == 0)).sum())
    fp = int(((predicted == 1) & (actual == 0)).sum())
    fn = int(((predicted == 0) & (actual == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    clipped = np.clip(probability, EPSILON, 1 - EPSILON)
    return {
        "auc": roc_auc(actual, probability),
        "accuracy": (tp + tn) / actual.size,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "logloss": float(-np.mean(actual * np.log(clipped) + (1 - actual) * np.log(1 - clipped))),
    }


class QualityResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    verdict: QualityVerdict
    metric: str
    direction: MetricDirection
    #: the gate metric on the labelled window (None: not computable)
    value: float | None = None
    #: the serving model's evaluation of it
    baseline: float | None = None
    #: how much worse the window is (positive: worse), in the metric's own units
    drop: float | None = None
    tolerance: float
    labelled: int
    #: captured predictions in the window, and how many of them have a label
    predictions: int
    metrics: dict[str, float] = {}
    model_package_arn: str | None = None
    reason: str


def assess(
    labels: Sequence[float],
    scores: Sequence[float],
    *,
    metric: str,
    direction: MetricDirection,
    baseline: float | None,
    tolerance: float,
    min_labels: int,
    predictions: int,
    threshold: float = 0.5,
    model_package_arn: str | None = None,
) -> QualityResult:
    computed = binary_metrics(labels, scores, threshold)
    finite = {k: v for k, v in computed.items() if math.isfinite(v)}
    base = {
        "metric": metric,
        "direction": direction,
        "baseline": baseline,
        "tolerance": tolerance,
        "labelled": len(labels),
        "predictions": predictions,
        "metrics": finite,
        "model_package_arn": model_package_arn,
    }
    if len(labels) < min_labels:
        return QualityResult(
            **base,
            verdict="insufficient_data",
            reason=f"{len(labels)} labelled prediction(s) (fewer than drift.min_labels {min_labels})",
        )
    value = finite.get(metric)
    if value is None:
        why = "one class only in the labels" if metric == "auc" else "not one of the metrics computed here"
        return QualityResult(**base, verdict="insufficient_data", reason=f"{metric} is undefined on the window ({why})")
    if baseline is None:
        return QualityResult(
            **base, value=value, verdict="insufficient_data", reason="no serving model evaluation to compare with"
        )
    drop = baseline - value if direction == MetricDirection.MAXIMIZE else value - baseline
    degraded = drop > tolerance
    return QualityResult(
        **base,
        value=value,
        drop=drop,
        verdict="degraded" if degraded else "ok",
        reason=f"{metric} {value:.4f} vs {baseline:.4f} at evaluation: "
        f"{'worse' if drop > 0 else 'not worse'} by {abs(drop):.4f} "
        f"({'beyond' if degraded else 'within'} the tolerance {tolerance:g})",
    )


def join(predictions: Mapping[str, float], labels: Mapping[str, int]) -> tuple[list[int], list[float]]:
    """The labelled predictions: (labels, scores) for every join key both sides have."""
    keys = [key for key in predictions if key in labels]
    return [labels[key] for key in keys], [predictions[key] for key in keys]
