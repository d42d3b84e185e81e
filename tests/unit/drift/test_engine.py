"""The drift engine against SciPy's exact two-sample tests on generated data with known shifts.

The baseline side is always a stored profile (as ingestion writes it), never the rows: the
engine's statistics come from the profile's sketch and histogram, SciPy's from the full samples."""

from __future__ import annotations

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pytest
from scipy import stats  # type: ignore[import-untyped]

from mlops.config import DriftConfig
from mlops.data.profile import DatasetProfile
from mlops.drift import check_profile
from mlops.drift.models import DriftPolicy
from tests.unit.drift.helpers import dataset, profile_of, run_check

ALPHA = 0.05
MILLION = 1_000_000
NUMERIC = dataset(x="float")


def scipy_contingency_p(reference: pd.Series, current: pd.Series) -> float:
    values = pd.concat([reference, current], ignore_index=True)
    side = np.r_[np.zeros(len(reference)), np.ones(len(current))]
    table = pd.crosstab(side, values).to_numpy()
    return float(stats.chi2_contingency(table, correction=False).pvalue)


@pytest.fixture(scope="module")
def million() -> tuple[pd.DataFrame, DatasetProfile]:
    rng = np.random.default_rng(10)
    frame = pd.DataFrame({"x": rng.normal(50.0, 4.0, MILLION)})
    return frame, profile_of(frame, NUMERIC)


def test_a_mean_shift_of_a_tenth_of_a_std_at_1m_rows_is_caught(million: tuple[pd.DataFrame, DatasetProfile]) -> None:
    reference_rows, baseline = million
    current = pd.DataFrame({"x": np.random.default_rng(11).normal(50.0 + 0.4, 4.0, MILLION)})
    feature = run_check(baseline, current, NUMERIC, numeric_method="ks").feature("x")
    exact = stats.ks_2samp(reference_rows["x"], current["x"])
    assert exact.pvalue < ALPHA  # what the exact test says on the full samples
    assert feature.status == "drifted" and feature.score is not None and feature.score < ALPHA
    assert feature.numeric is not None
    assert (
        feature.numeric.ks_statistic <= exact.statistic <= feature.numeric.ks_statistic + feature.numeric.ks_error_bound
    )


def test_the_same_distribution_at_1m_rows_does_not_alarm(million: tuple[pd.DataFrame, DatasetProfile]) -> None:
    reference_rows, baseline = million
    current = pd.DataFrame({"x": np.random.default_rng(12).normal(50.0, 4.0, MILLION)})
    report = run_check(baseline, current, NUMERIC, numeric_method="ks")
    exact = stats.ks_2samp(reference_rows["x"], current["x"])
    assert exact.pvalue >= ALPHA
    assert report.feature("x").status == "ok" and report.verdict == "ok"


SHAPES = {
    "normal": lambda rng, n, shift: rng.normal(10 + shift, 1.0, n),
    "skewed": lambda rng, n, shift: rng.gamma(2.0, 3.0, n) + shift * np.sqrt(18.0),
    "signed": lambda rng, n, shift: rng.normal(shift, 1.0, n),  # both signs and the zero bucket
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize(("rows", "shift"), [(500, 0.0), (500, 0.5), (5_000, 0.0), (5_000, 0.15), (50_000, 0.08)])
def test_ks_verdicts_equal_scipys_exact_test(shape: str, rows: int, shift: float) -> None:
    rng = np.random.default_rng(rows + int(shift * 100) + len(shape))
    reference = pd.DataFrame({"x": SHAPES[shape](rng, rows, 0.0)})
    current = pd.DataFrame({"x": SHAPES[shape](rng, rows, shift)})
    feature = run_check(profile_of(reference, NUMERIC), current, NUMERIC, numeric_method="ks").feature("x")
    exact = stats.ks_2samp(reference["x"], current["x"], method="exact" if rows <= 5_000 else "asymp")
    assert (feature.status == "drifted") == (exact.pvalue < ALPHA), (feature.reason, exact)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("shift", [0.0, 0.3, 1.0])
def test_sketch_approximation_errors_stay_within_their_stated_bounds(shape: str, shift: float) -> None:
    rng = np.random.default_rng(7 + int(shift * 10))
    reference = pd.DataFrame({"x": SHAPES[shape](rng, 20_000, 0.0)})
    current = pd.DataFrame({"x": SHAPES[shape](rng, 30_000, shift)})
    numeric = run_check(profile_of(reference, NUMERIC), current, NUMERIC).feature("x").numeric
    assert numeric is not None and numeric.wasserstein is not None and numeric.wasserstein_error_bound is not None
    exact_ks = stats.ks_2samp(reference["x"], current["x"]).statistic
    exact_w = stats.wasserstein_distance(reference["x"], current["x"]) / reference["x"].std(ddof=0)
    assert numeric.ks_statistic <= exact_ks + 1e-12
    assert exact_ks <= numeric.ks_statistic + numeric.ks_error_bound
    assert abs(numeric.wasserstein - exact_w) <= numeric.wasserstein_error_bound
    # the bounds are tight enough to mean something on data like this (the KS bound is the
    # largest bucket's share: about 8% for N(10, 1), whose 1% buckets are 0.2 std wide)
    assert numeric.ks_error_bound < 0.1 and numeric.wasserstein_error_bound < 0.25


def test_a_baseline_far_from_zero_states_a_loose_bound_rather_than_a_false_precision() -> None:
    # values around 1e6 with std 1: a 1% bucket is 10,000 std wide, the sketch sees one point
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.normal(1e6, 1.0, 2_000)})
    current = pd.DataFrame({"x": rng.normal(1e6, 1.0, 2_000)})
    numeric = run_check(profile_of(reference, NUMERIC), current, NUMERIC).feature("x").numeric
    assert numeric is not None and numeric.wasserstein_error_bound is not None
    assert numeric.wasserstein_error_bound > 100


CATEGORIES = np.array([f"c{i:02d}" for i in range(50)])
CATEGORICAL = dataset(c="category")


def test_an_unchanged_50_category_column_does_not_alarm_at_1m_rows() -> None:
    rng = np.random.default_rng(20)
    shares = rng.dirichlet(np.full(50, 0.5))  # uneven: some categories are rare
    reference = pd.DataFrame({"c": rng.choice(CATEGORIES, MILLION, p=shares)})
    current = pd.DataFrame({"c": rng.choice(CATEGORIES, MILLION, p=shares)})
    feature = run_check(profile_of(reference, CATEGORICAL), current, CATEGORICAL).feature("c")
    assert feature.method == "chi2" and feature.status == "ok"
    assert feature.categorical is not None
    assert feature.categorical.chi2_p_value == pytest.approx(scipy_contingency_p(reference["c"], current["c"]))
    assert feature.categorical.chi2_dof == 49


def test_a_small_share_change_in_one_category_at_1m_rows_is_caught_like_scipy() -> None:
    rng = np.random.default_rng(21)
    shares = np.full(50, 1 / 50)
    moved = shares.copy()
    moved[0] += 0.002
    moved[1] -= 0.002
    reference = pd.DataFrame({"c": rng.choice(CATEGORIES, MILLION, p=shares)})
    current = pd.DataFrame({"c": rng.choice(CATEGORIES, MILLION, p=moved)})
    feature = run_check(profile_of(reference, CATEGORICAL), current, CATEGORICAL).feature("c")
    exact = scipy_contingency_p(reference["c"], current["c"])
    assert exact < ALPHA and feature.status == "drifted"


def test_unseen_categories_are_reported_and_counted_not_crashed_on() -> None:
    rng = np.random.default_rng(22)
    reference = pd.DataFrame({"c": rng.choice(CATEGORIES[:10], 5_000)})
    current = pd.DataFrame({"c": np.r_[rng.choice(CATEGORIES[:10], 4_500), ["<script>new</script>"] * 500]})
    report = run_check(profile_of(reference, CATEGORICAL), current, CATEGORICAL)
    feature = report.feature("c")
    assert feature.status == "drifted" and feature.categorical is not None
    assert feature.categorical.new_categories == ["<script>new</script>"]
    assert feature.categorical.new_share == pytest.approx(0.1)
    assert {v.constraint_check_type for v in report.violations} == {"baseline_drift_check", "categorical_values_check"}
    assert feature.categorical.chi2_p_value == pytest.approx(scipy_contingency_p(reference["c"], current["c"]))


def test_an_all_null_current_column_is_insufficient_data_not_drift() -> None:
    schema = dataset(x="float", c="category")
    rng = np.random.default_rng(23)
    reference = pd.DataFrame({"x": rng.normal(size=1_000), "c": rng.choice(CATEGORIES[:5], 1_000)})
    current = pd.DataFrame({"x": [np.nan] * 1_000, "c": pd.Series([None] * 1_000, dtype="object")})
    report = run_check(profile_of(reference, schema), current, schema)
    for name in ("x", "c"):
        feature = report.feature(name)
        assert feature.status == "insufficient_data", feature
        assert "every current value is missing" in feature.reason
        assert feature.current_missing_share == 1.0
    assert report.verdict == "insufficient_data" and report.drifted_share == 0.0


def test_fewer_values_than_min_samples_is_insufficient_data() -> None:
    rng = np.random.default_rng(24)
    reference = pd.DataFrame({"x": rng.normal(size=1_000)})
    current = pd.DataFrame({"x": rng.normal(5.0, 1.0, size=40)})  # a big shift, but 40 values
    report = run_check(profile_of(reference, NUMERIC), current, NUMERIC, min_samples={"current": 50})
    assert report.feature("x").status == "insufficient_data"
    assert "40 current values" in report.feature("x").reason
    assert run_check(profile_of(reference, NUMERIC), current, NUMERIC).feature("x").status == "drifted"


def test_a_missing_feature_is_reported_as_a_violation() -> None:
    schema = dataset(x="float", y="float")
    rng = np.random.default_rng(25)
    reference = pd.DataFrame({"x": rng.normal(size=500), "y": rng.normal(size=500)})
    report = run_check(profile_of(reference, schema), reference[["x"]], schema)
    assert report.feature("y").status == "missing"
    assert [(v.feature_name, v.constraint_check_type) for v in report.violations] == [("y", "missing_column_check")]
    assert report.verdict == "ok"


def test_unique_columns_are_excluded_and_the_dataset_verdict_follows_drifted_share() -> None:
    schema = dataset(id="string", a="float", b="float", c="float", d="float")
    schema = schema.model_copy(
        update={"columns": [schema.columns[0].model_copy(update={"unique": True}), *schema.columns[1:]]}
    )
    rng = np.random.default_rng(26)
    reference = pd.DataFrame({"id": [f"r{i}" for i in range(2_000)]} | {k: rng.normal(size=2_000) for k in "abcd"})
    current = reference.copy()
    current["id"] = [f"n{i}" for i in range(2_000)]
    current["a"] = current["a"] + 3.0  # one of four features drifts: share 0.25
    baseline = profile_of(reference, schema)
    low = run_check(baseline, current, schema, drifted_share=0.25)
    high = run_check(baseline, current, schema, drifted_share=0.3)
    assert low.feature("id").status == "skipped" and "unique" in low.feature("id").reason
    assert low.drifted_share == 0.25 and (low.verdict, high.verdict) == ("drifted", "ok")
    assert low.features[0].feature == "a"  # drifted features first


def test_a_current_profile_gives_the_verdicts_of_its_rows() -> None:
    schema = dataset(x={"dtype": "float", "min": 0, "max": 40}, c="category")  # declared bins: exact
    rng = np.random.default_rng(27)
    reference = pd.DataFrame({"x": rng.gamma(2.0, 2.0, 20_000), "c": rng.choice(CATEGORIES[:8], 20_000)})
    current = pd.DataFrame({"x": rng.gamma(2.2, 2.0, 10_000), "c": rng.choice(CATEGORIES[:9], 10_000)})
    baseline = profile_of(reference, schema)
    from_rows = run_check(baseline, current, schema)
    policy = DriftPolicy.for_dataset(DriftConfig(), schema)
    from_profile = check_profile(
        baseline, profile_of(current, schema, reference=baseline), policy, dataset="t", baseline="v1", current="v2"
    )
    for name in ("x", "c"):
        rows, profiled = from_rows.feature(name), from_profile.feature(name)
        assert rows.status == profiled.status and rows.score == pytest.approx(profiled.score)
    assert from_profile.feature("x").numeric.psi_exact  # type: ignore[union-attr]


def test_a_baseline_with_more_distinct_values_than_its_table_is_skipped() -> None:
    reference = pd.DataFrame({"c": [f"v{i}" for i in range(500)]})
    report = run_check(profile_of(reference, CATEGORICAL), reference, CATEGORICAL)
    assert report.feature("c").status == "skipped" and "distinct values" in report.feature("c").reason
