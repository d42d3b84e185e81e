"""The drift context's models: the policy a check applies and the report it produces.

The report's JSON (`format: mlops.drift/v1`) is documented in docs/drift-report.md; its
`violations` list follows SageMaker Model Monitor's `constraint_violations.json`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops.config import NUMERIC_DTYPES, DatasetConfig, DriftConfig, DriftMethod, MinSamples
from mlops.errors import MlopsError

DRIFT_REPORT_FORMAT: Literal["mlops.drift/v1"] = "mlops.drift/v1"

FeatureStatus = Literal["drifted", "ok", "insufficient_data", "missing", "skipped"]
DatasetVerdict = Literal["drifted", "ok", "insufficient_data"]
#: the order features are listed in: what needs attention first
STATUS_ORDER: dict[str, int] = {"drifted": 0, "missing": 1, "ok": 2, "insufficient_data": 3, "skipped": 4}


class DriftInputError(MlopsError):
    """The current data cannot be compared with the baseline (wrong shape, unreadable)."""

    error_name = "Mlops.DriftInputError"
    exit_code = 2


@dataclass(frozen=True)
class DriftPolicy:
    """What a check decides with, resolved for one dataset from `drift:` in the config."""

    drift: DriftConfig = field(default_factory=DriftConfig)
    #: features never compared, with the reason (unique ids: every value is new by design)
    excluded: dict[str, str] = field(default_factory=dict)
    #: columns the schema declares numeric; others are categorical (None: take the profile's kind)
    numeric: frozenset[str] | None = None

    @classmethod
    def for_dataset(cls, drift: DriftConfig, dataset: DatasetConfig) -> DriftPolicy:
        excluded = {c.name: "unique id column: every value is new by design" for c in dataset.columns if c.unique}
        numeric = frozenset(c.name for c in dataset.columns if c.dtype in NUMERIC_DTYPES)
        return cls(drift=drift, excluded=excluded, numeric=numeric)

    @property
    def min_samples(self) -> MinSamples:
        return self.drift.min_samples

    def method(self, feature: str, *, numeric: bool) -> DriftMethod:
        return self.drift.method_for(feature, numeric=numeric)

    def threshold(self, feature: str, *, numeric: bool) -> float:
        return self.drift.threshold_for(feature, numeric=numeric)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NumericStatistics(_Model):
    psi: float
    #: false when the current data's bins were re-derived from its sketch (other edges)
    psi_exact: bool
    ks_statistic: float
    ks_p_value: float
    #: the exact KS statistic of the full samples is in [ks_statistic, ks_statistic + bound]
    ks_error_bound: float
    #: Wasserstein-1 distance divided by the baseline's standard deviation
    wasserstein: float | None
    #: |wasserstein - exact normalized distance| <= this
    wasserstein_error_bound: float | None
    mean: tuple[float | None, float | None]
    std: tuple[float | None, float | None]


class CategoricalStatistics(_Model):
    chi2_statistic: float
    chi2_dof: int
    chi2_p_value: float
    jensen_shannon: float
    #: current values the baseline never saw (the first 20), and their share of the current values
    new_categories: list[str]
    new_share: float
    vanished_categories: list[str]
    max_share_change: float


class Distribution(_Model):
    """What the report draws: both samples' shares over the same bins or categories."""

    labels: list[str]
    reference: list[float]
    current: list[float]
    #: numeric features: the bin edges (labels then name the underflow/overflow bins too)
    edges: list[float] | None = None


class FeatureDrift(_Model):
    feature: str
    kind: Literal["numeric", "categorical", "datetime"]
    status: FeatureStatus
    method: DriftMethod | None = None
    score: float | None = None
    threshold: float | None = None
    #: one line a person reads: why this status
    reason: str
    reference_count: int = 0
    current_count: int = 0
    reference_missing_share: float | None = None
    current_missing_share: float | None = None
    numeric: NumericStatistics | None = None
    categorical: CategoricalStatistics | None = None
    distribution: Distribution | None = None


class Violation(_Model):
    feature_name: str
    constraint_check_type: Literal["baseline_drift_check", "missing_column_check", "categorical_values_check"]
    description: str


class StatusCounts(_Model):
    drifted: int = 0
    ok: int = 0
    insufficient_data: int = 0
    missing: int = 0
    skipped: int = 0


class DriftReport(_Model):
    format: Literal["mlops.drift/v1"] = DRIFT_REPORT_FORMAT
    dataset: str
    baseline: str
    current: str
    reference_rows: int
    current_rows: int
    verdict: DatasetVerdict
    #: drifted / (drifted + ok); the dataset drifts when this reaches `drifted_share_threshold`
    drifted_share: float
    drifted_share_threshold: float
    counts: StatusCounts
    features: list[FeatureDrift]
    violations: list[Violation] = Field(default_factory=list)

    def feature(self, name: str) -> FeatureDrift:
        for item in self.features:
            if item.feature == name:
                return item
        raise KeyError(name)
