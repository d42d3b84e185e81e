"""The NumPy-only statistics against SciPy's implementations of the same tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats  # type: ignore[import-untyped]
from scipy.spatial.distance import jensenshannon  # type: ignore[import-untyped]

from mlops.drift import statistics as st


@pytest.mark.parametrize("dof", [1, 2, 5, 49, 200])
@pytest.mark.parametrize("quantile", [0.001, 0.3, 0.5, 0.95, 0.999999])
def test_chi2_survival_matches_scipy(dof: int, quantile: float) -> None:
    x = float(stats.chi2.ppf(quantile, dof))
    assert st.chi2_sf(x, dof) == pytest.approx(stats.chi2.sf(x, dof), rel=1e-9, abs=1e-300)


def test_chi2_survival_far_in_the_tail_is_tiny_not_zero_or_negative() -> None:
    assert 0 < st.chi2_sf(400.0, 10) == pytest.approx(stats.chi2.sf(400.0, 10), rel=1e-6)


@pytest.mark.parametrize("x", [0.1, 0.5, 0.8, 1.0, 1.36, 2.0, 3.0])
def test_kolmogorov_survival_matches_scipy(x: float) -> None:
    assert st.kolmogorov_sf(x) == pytest.approx(stats.kstwobign.sf(x), rel=1e-9, abs=1e-15)


def test_ks_p_value_tracks_scipy_at_the_sizes_min_samples_allows() -> None:
    rng = np.random.default_rng(3)
    for n, m in [(30, 30), (200, 1000), (5000, 100_000)]:
        a, b = rng.normal(size=n), rng.normal(0.3, 1, size=m)
        exact = stats.ks_2samp(a, b)
        ours = st.ks_p_value(float(exact.statistic), n, m)
        # Stephens' corrected asymptotic form vs SciPy's exact/kstwo computation
        assert abs(ours - exact.pvalue) < 0.02, (n, m, ours, exact.pvalue)


def test_chi_square_two_sample_is_scipys_contingency_test_without_correction() -> None:
    rng = np.random.default_rng(4)
    reference = rng.integers(0, 500, size=12)
    current = rng.integers(0, 500, size=12)
    reference[3] = current[3] = 0  # a category neither sample has is dropped, as it must be
    current[5] = 0  # one only the baseline has stays
    ours = st.chi_square_two_sample(reference, current)
    table = np.vstack([reference, current])
    table = table[:, table.sum(axis=0) > 0]
    statistic, p_value, dof, _ = stats.chi2_contingency(table, correction=False)
    assert ours.statistic == pytest.approx(statistic) and ours.dof == dof
    assert ours.p_value == pytest.approx(p_value, rel=1e-9)


def test_chi_square_with_one_category_has_nothing_to_test() -> None:
    assert st.chi_square_two_sample(np.array([5, 0]), np.array([7, 0])).p_value == 1.0


def test_jensen_shannon_matches_scipy_base_2() -> None:
    p, q = np.array([10, 0, 5, 3]), np.array([1, 4, 5, 0])
    assert st.jensen_shannon_distance(p, q) == pytest.approx(jensenshannon(p, q, base=2))
    assert st.jensen_shannon_distance(p, p) == 0.0
    assert st.jensen_shannon_distance(np.array([1, 0]), np.array([0, 1])) == pytest.approx(1.0)


def test_psi_of_two_known_shares() -> None:
    # shares (0.5, 0.5) -> (0.8, 0.2): (0.3 ln 1.6) + (-0.3 ln 0.4)
    assert st.population_stability_index([50, 50], [80, 20]) == pytest.approx(0.3 * math.log(1.6) - 0.3 * math.log(0.4))
    assert st.population_stability_index([1, 2, 3], [2, 4, 6]) == pytest.approx(0.0)


def test_psi_with_an_empty_bin_is_large_and_finite() -> None:
    value = st.population_stability_index([100, 0], [50, 50])
    assert math.isfinite(value) and value > 2


def test_wasserstein_of_weighted_samples_matches_scipy() -> None:
    values_a, counts_a = np.array([0.0, 1.0, 3.0]), np.array([1, 2, 1])
    values_b, counts_b = np.array([1.0, 2.0, 5.0]), np.array([3, 1, 1])
    expected = stats.wasserstein_distance(values_a, values_b, counts_a, counts_b)
    assert st.wasserstein(values_a, counts_a, values_b, counts_b) == pytest.approx(expected)
