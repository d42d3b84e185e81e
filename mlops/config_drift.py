"""The `drift:` section of the project config: how drift is scored, when a dataset drifts,
how model quality is judged, when checks run and what they may trigger.

Re-exported by mlops.config (import from there); a module of its own because the section
grew with scheduled monitoring."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlops.monitoring import schedule as schedule_expressions

ColumnName = Annotated[str, Field(min_length=1, max_length=128)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DriftMethod(StrEnum):
    """How one feature's drift is scored (mlops/drift/statistics.py computes each)."""

    PSI = "psi"  # population stability index on the baseline's fixed histogram bins
    KS = "ks"  # two-sample Kolmogorov-Smirnov test: drifted when its p-value < threshold
    WASSERSTEIN = "wasserstein"  # Wasserstein-1 distance divided by the baseline's std
    CHI2 = "chi2"  # two-sample chi-square (contingency) test: drifted when its p-value < threshold
    JENSEN_SHANNON = "jensen_shannon"  # Jensen-Shannon distance (base 2, in [0, 1]) of category shares


NUMERIC_DRIFT_METHODS = frozenset({DriftMethod.PSI, DriftMethod.KS, DriftMethod.WASSERSTEIN})
CATEGORICAL_DRIFT_METHODS = frozenset({DriftMethod.CHI2, DriftMethod.JENSEN_SHANNON})
#: methods whose score is a p-value (drifted below the threshold); the others are distances
#: (drifted at or above it)
P_VALUE_DRIFT_METHODS = frozenset({DriftMethod.KS, DriftMethod.CHI2})
#: the threshold of a method chosen per feature without a threshold of its own
DRIFT_METHOD_THRESHOLDS: dict[DriftMethod, float] = {
    DriftMethod.PSI: 0.2,
    DriftMethod.KS: 0.05,
    DriftMethod.WASSERSTEIN: 0.1,
    DriftMethod.CHI2: 0.05,
    DriftMethod.JENSEN_SHANNON: 0.1,
}


class FeatureDriftConfig(_Model):
    method: DriftMethod | None = None
    threshold: float | None = Field(default=None, gt=0)


class MinSamples(_Model):
    """Below these many non-null values a feature is `insufficient_data`, never `drifted`."""

    reference: int = Field(default=30, ge=1)
    current: int = Field(default=30, ge=1)


class DriftConfig(_Model):
    #: scheduled checks (EventBridge Scheduler): `rate(N unit)` or `cron(6 fields)`, in UTC; each
    #: check reads the endpoint's capture written since the previous check ended
    schedule: str = Field(default="rate(1 day)", pattern=r"^(rate|cron)\(.+\)$")
    numeric_method: DriftMethod = DriftMethod.PSI
    categorical_method: DriftMethod = DriftMethod.CHI2
    #: threshold of `numeric_method`; unset: that method's default (DRIFT_METHOD_THRESHOLDS)
    default_threshold: float | None = Field(default=None, gt=0)
    #: threshold of `categorical_method`; unset: that method's default
    categorical_threshold: float | None = Field(default=None, gt=0)
    #: per-feature threshold for that feature's method
    feature_thresholds: dict[ColumnName, float] = Field(default_factory=dict)
    #: per-feature method (and threshold)
    features: dict[ColumnName, FeatureDriftConfig] = Field(default_factory=dict)
    min_samples: MinSamples = MinSamples()
    drifted_share: float = Field(default=0.3, gt=0, le=1)
    #: a drift or quality alert starts no training run while one for the dataset is running or
    #: one started within this many hours (the retraining guard records every suppression)
    cooldown_hours: int = Field(default=24, ge=0)
    #: false: checks report (metrics, alarms, events, reports) and never start training
    retrain: bool = True
    #: model quality: the gate metric (quality_gate.metric) on the labelled window may fall at
    #: most this much (absolute, in the metric's direction) below the serving model's evaluation
    #: before the check calls it ModelQualityDegraded
    quality_tolerance: float = Field(default=0.05, ge=0)
    #: fewer labelled predictions in the window: quality is `insufficient_data`, never degraded
    min_labels: int = Field(default=30, ge=1)
    #: the decision threshold on the positive-class probability for threshold metrics
    #: (accuracy, precision, recall, f1), as the evaluation job uses it
    decision_threshold: float = Field(default=0.5, gt=0, lt=1)

    @field_validator("schedule")
    @classmethod
    def _schedule_parses(cls, value: str) -> str:
        schedule_expressions.parse(value)  # ScheduleExpressionError is a ValueError: reported with its path
        return value

    def method_for(self, feature: str, *, numeric: bool) -> DriftMethod:
        chosen = self.features.get(feature, FeatureDriftConfig()).method
        return chosen or (self.numeric_method if numeric else self.categorical_method)

    def threshold_for(self, feature: str, *, numeric: bool) -> float:
        """The feature's own threshold, else that of its kind's configured method, else the
        method's default (a per-feature method can be a p-value test where the kind's is a distance)."""
        own = self.features.get(feature, FeatureDriftConfig()).threshold
        if own is None:
            own = self.feature_thresholds.get(feature)
        if own is not None:
            return own
        method = self.method_for(feature, numeric=numeric)
        if numeric and method == self.numeric_method and self.default_threshold is not None:
            return self.default_threshold
        if not numeric and method == self.categorical_method and self.categorical_threshold is not None:
            return self.categorical_threshold
        return DRIFT_METHOD_THRESHOLDS[method]
