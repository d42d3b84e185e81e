"""Decides: each feature's status under the policy, and the dataset's verdict from them."""

from __future__ import annotations

from typing import Any

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools

from mlops.config import P_VALUE_DRIFT_METHODS, DriftMethod
from mlops.data.profile import CategoricalProfile, DatasetProfile, DatetimeProfile, NumericProfile
from mlops.drift import summaries
from mlops.drift.features import compare_categorical, compare_numeric
from mlops.drift.models import (
    STATUS_ORDER,
    CategoricalStatistics,
    DatasetVerdict,
    DriftPolicy,
    DriftReport,
    FeatureDrift,
    NumericStatistics,
    StatusCounts,
    Violation,
)
from mlops.drift.summaries import CategoricalSummary, NumericSummary, Summaries, Summary


def check_frame(
    reference: DatasetProfile,
    frame: pd.DataFrame,
    policy: DriftPolicy,
    *,
    dataset: str,
    baseline: str,
    current: str,
    workers: int = 2,
) -> DriftReport:
    """Drift of the rows of `frame` against the baseline's stored profile."""
    return check(
        reference, summaries.from_frame(frame, reference, workers=workers), policy, **_names(dataset, baseline, current)
    )


def check_profile(
    reference: DatasetProfile,
    current_profile: DatasetProfile,
    policy: DriftPolicy,
    *,
    dataset: str,
    baseline: str,
    current: str,
) -> DriftReport:
    """Drift of one profiled data (a data version, a validated file) against the baseline's."""
    return check(reference, summaries.from_profile(current_profile), policy, **_names(dataset, baseline, current))


def _names(dataset: str, baseline: str, current: str) -> dict[str, str]:
    return {"dataset": dataset, "baseline": baseline, "current": current}


def check(reference: DatasetProfile, data: Summaries, policy: DriftPolicy, **names: str) -> DriftReport:
    """The report of `data` (summaries of the current data) against the baseline `reference`;
    `names`: dataset, baseline and current, as the report shows them."""
    baseline = summaries.from_profile(reference)
    features: list[FeatureDrift] = []
    for name, column in reference.columns.items():
        features.append(_feature(name, column, baseline.columns.get(name), data, policy))
    features.sort(key=lambda f: STATUS_ORDER[f.status])
    counts = StatusCounts(**{status: sum(f.status == status for f in features) for status in STATUS_ORDER})
    considered = counts.drifted + counts.ok
    share = counts.drifted / considered if considered else 0.0
    verdict: DatasetVerdict = "insufficient_data"
    if considered:
        verdict = "drifted" if share >= policy.drift.drifted_share else "ok"
    return DriftReport(
        dataset=names["dataset"],
        baseline=names["baseline"],
        current=names["current"],
        reference_rows=reference.rows,
        current_rows=data.rows,
        verdict=verdict,
        drifted_share=share,
        drifted_share_threshold=policy.drift.drifted_share,
        counts=counts,
        features=features,
        violations=_violations(features),
    )


def _kind(column: Any) -> str:
    if isinstance(column, NumericProfile):
        return "numeric"
    if isinstance(column, CategoricalProfile):
        return "categorical"
    return "datetime"


def _missing_share(summary: Summary, rows: int) -> float | None:
    return summary.missing / rows if rows else None


def _feature(
    name: str, column: Any, reference: Summary | None, current: Summaries, policy: DriftPolicy
) -> FeatureDrift:
    kind = _kind(column)
    base: dict[str, Any] = {"feature": name, "kind": kind}
    if name in policy.excluded:
        return FeatureDrift(**base, status="skipped", reason=policy.excluded[name])
    if isinstance(column, DatetimeProfile) or reference is None:
        return FeatureDrift(**base, status="skipped", reason="datetime features are not compared")
    if isinstance(reference, CategoricalSummary) and reference.unlisted:
        return FeatureDrift(
            **base,
            status="skipped",
            reason=f"the baseline has more than {len(reference.counts)} distinct values (an id or free text?): "
            "no distribution to compare",
        )
    numeric = kind == "numeric"
    method = policy.method(name, numeric=numeric)
    threshold = policy.threshold(name, numeric=numeric)
    base |= {"method": method, "threshold": threshold, "reference_count": reference.count}
    base["reference_missing_share"] = reference.missing / max(reference.count + reference.missing, 1)
    found = current.columns.get(name)
    if found is None:
        return FeatureDrift(**base, status="missing", reason="the current data has no such column")
    if type(found) is not type(reference):
        return FeatureDrift(**base, status="skipped", reason=f"the current data's {name!r} is not {kind}")
    base |= {"current_count": found.count, "current_missing_share": _missing_share(found, current.rows)}
    minimum = policy.min_samples
    if reference.count < minimum.reference:
        return FeatureDrift(
            **base,
            status="insufficient_data",
            reason=f"{reference.count} baseline values (fewer than min_samples.reference {minimum.reference})",
        )
    if found.count < minimum.current:
        what = "every current value is missing" if found.count == 0 else f"{found.count} current values"
        return FeatureDrift(
            **base, status="insufficient_data", reason=f"{what} (fewer than min_samples.current {minimum.current})"
        )
    if isinstance(reference, NumericSummary) and isinstance(found, NumericSummary):
        numeric_stats, distribution = compare_numeric(reference, found)
        score = _numeric_score(method, numeric_stats)
        return _decided(base, method, score, threshold, numeric=numeric_stats, distribution=distribution)
    assert isinstance(reference, CategoricalSummary) and isinstance(found, CategoricalSummary)
    categorical_stats, distribution = compare_categorical(reference, found)
    score = _categorical_score(method, categorical_stats)
    return _decided(base, method, score, threshold, categorical=categorical_stats, distribution=distribution)


def _numeric_score(method: DriftMethod, stats: NumericStatistics) -> float:
    if method == DriftMethod.KS:
        return stats.ks_p_value
    if method == DriftMethod.WASSERSTEIN:
        return stats.wasserstein or 0.0
    return stats.psi


def _categorical_score(method: DriftMethod, stats: CategoricalStatistics) -> float:
    return stats.chi2_p_value if method == DriftMethod.CHI2 else stats.jensen_shannon


def _decided(base: dict[str, Any], method: DriftMethod, score: float, threshold: float, **details: Any) -> FeatureDrift:
    if method in P_VALUE_DRIFT_METHODS:
        drifted = score < threshold
        reason = f"{method} p-value {score:.3g} {'<' if drifted else '>='} {threshold:g}"
    else:
        drifted = score >= threshold
        reason = f"{method} {score:.4g} {'>=' if drifted else '<'} {threshold:g}"
    return FeatureDrift(**base, status="drifted" if drifted else "ok", score=score, reason=reason, **details)


def _violations(features: list[FeatureDrift]) -> list[Violation]:
    violations = []
    for f in features:
        if f.status == "drifted":
            violations.append(
                Violation(feature_name=f.feature, constraint_check_type="baseline_drift_check", description=f.reason)
            )
        elif f.status == "missing":
            violations.append(
                Violation(feature_name=f.feature, constraint_check_type="missing_column_check", description=f.reason)
            )
        if f.categorical is not None and f.categorical.new_categories:
            shown = ", ".join(repr(v) for v in f.categorical.new_categories[:5])
            violations.append(
                Violation(
                    feature_name=f.feature,
                    constraint_check_type="categorical_values_check",
                    description=f"{f.categorical.new_share:.2%} of the current values are new: {shown}",
                )
            )
    return violations
