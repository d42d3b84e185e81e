"""Drift statistics on summaries, never on the reference rows (a profile keeps none).

Numeric features are compared through distributions that share a grid: the profile's quantile
sketch buckets (data-independent, so a reference sketch and a current sketch have the same
bucket boundaries) and, where both sides were counted on the same edges, the histogram bins. At
every point of that grid both empirical CDFs are known exactly, which bounds what the sketch
loses (see `ks_statistic` and `wasserstein`).

P-values are computed here with NumPy and `math` only (no SciPy), so the drift Lambda needs no
layer beyond pandas; tests check them against SciPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: floor of a bin's share in PSI, so an empty bin on one side gives a large, finite term
PSI_EPSILON = 1e-4


def population_stability_index(expected: IntArray | list[int], actual: IntArray | list[int]) -> float:
    """PSI over aligned bins: sum((a - e) * ln(a / e)) over the bins' shares."""
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    pe = np.maximum(e / (e.sum() or 1.0), PSI_EPSILON)
    pa = np.maximum(a / (a.sum() or 1.0), PSI_EPSILON)
    return float(np.sum((pa - pe) * np.log(pa / pe)))


@dataclass(frozen=True)
class CdfGrid:
    """Both samples' exact empirical CDFs at the same increasing points.

    `points[i]` is a position on the real line; `reference[i]`/`current[i]` are the fraction of
    each sample at or below it (a bucket's upper boundary) or strictly below it (a histogram
    edge: a left limit, still a value the CDF difference takes). Between two points neither CDF
    is known, only how much mass lies there."""

    points: FloatArray
    reference: FloatArray
    current: FloatArray

    @property
    def cell_mass(self) -> float:
        """The largest share of either sample between two grid points (or beyond the ends)."""
        gaps = [np.diff(self.reference, prepend=0.0, append=1.0), np.diff(self.current, prepend=0.0, append=1.0)]
        return float(max(np.max(np.abs(g)) for g in gaps))


def merge_grids(*grids: CdfGrid) -> CdfGrid:
    points = np.concatenate([g.points for g in grids])
    order = np.argsort(points, kind="stable")
    reference = np.concatenate([g.reference for g in grids])[order]
    current = np.concatenate([g.current for g in grids])[order]
    # CDFs are monotone; floating-point ties between two grids must not break that
    return CdfGrid(points[order], np.maximum.accumulate(reference), np.maximum.accumulate(current))


@dataclass(frozen=True)
class KsResult:
    statistic: float
    p_value: float
    #: the exact statistic of the full samples lies in [statistic, statistic + error_bound]
    error_bound: float


def ks_test(grid: CdfGrid, n_reference: int, n_current: int) -> KsResult:
    """Two-sample Kolmogorov-Smirnov from the CDFs on a grid.

    The statistic is the largest CDF difference at the grid points, a maximum over some of the
    points where the exact D = sup |F_ref - F_cur| is taken: never above D. Inside a cell each
    CDF rises by at most the cell's mass, so D exceeds it by at most the largest cell mass
    (returned as `error_bound`). The p-value is the asymptotic Kolmogorov distribution with
    Stephens' small-sample correction (what SciPy's `ks_2samp(method="asymp")` approximates
    too); it is accurate for samples of a few dozen and more, which `min_samples` enforces."""
    statistic = float(np.max(np.abs(grid.reference - grid.current), initial=0.0))
    return KsResult(statistic, ks_p_value(statistic, n_reference, n_current), grid.cell_mass)


def ks_p_value(statistic: float, n_reference: int, n_current: int) -> float:
    en = n_reference * n_current / (n_reference + n_current)
    root = math.sqrt(en)
    return kolmogorov_sf((root + 0.12 + 0.11 / root) * statistic)


def kolmogorov_sf(x: float) -> float:
    """P(K > x) of the Kolmogorov distribution: 2 * sum((-1)^(j-1) exp(-2 j^2 x^2))."""
    if x < 0.2:
        return 1.0  # the series converges slowly here and the probability is 1 to 15 digits
    total, sign = 0.0, 1.0
    for j in range(1, 101):
        term = math.exp(-2.0 * j * j * x * x)
        total += sign * term
        if term < 1e-17 * max(total, 1e-300):
            break
        sign = -sign
    return min(1.0, max(0.0, 2.0 * total))


def wasserstein(values_ref: FloatArray, counts_ref: IntArray, values_cur: FloatArray, counts_cur: IntArray) -> float:
    """Wasserstein-1 distance of two weighted samples: the integral of |F_ref - F_cur|.

    Called with sketch buckets (each value replaced by its bucket's representative, within
    relative accuracy `a` of it), the result differs from the exact distance of the full samples
    by at most a * (E|X_ref| + E|X_cur|): rounding moves every value by at most a|x|, and each
    move changes W1 by at most its length (triangle inequality)."""
    support = np.union1d(values_ref, values_cur)
    if support.size < 2:
        return 0.0
    cdf_ref = _cdf_on(support, values_ref, counts_ref)
    cdf_cur = _cdf_on(support, values_cur, counts_cur)
    return float(np.sum(np.abs(cdf_ref - cdf_cur)[:-1] * np.diff(support)))


def _cdf_on(support: FloatArray, values: FloatArray, counts: IntArray) -> FloatArray:
    mass = np.zeros(support.size, dtype=np.float64)
    mass[np.searchsorted(support, values)] = counts
    return np.cumsum(mass) / max(float(counts.sum()), 1.0)


@dataclass(frozen=True)
class ChiSquareResult:
    statistic: float
    dof: int
    p_value: float


def chi_square_two_sample(reference: IntArray, current: IntArray) -> ChiSquareResult:
    """Pearson's chi-square test of homogeneity on the 2 x K table of category counts.

    Both rows are samples (the baseline is one too), so this is a contingency test, not a
    goodness-of-fit test against the reference shares: the latter treats the baseline as the
    exact distribution and false-alarms on unchanged high-cardinality columns at large N.
    Categories absent from both rows are dropped; no continuity correction (as SciPy's
    `chi2_contingency` for tables larger than 2 x 2)."""
    table = np.vstack([reference, current]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or table[0].sum() == 0 or table[1].sum() == 0:
        return ChiSquareResult(0.0, 0, 1.0)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    dof = table.shape[1] - 1
    return ChiSquareResult(statistic, dof, chi2_sf(statistic, dof))


def jensen_shannon_distance(reference: IntArray, current: IntArray) -> float:
    """sqrt of the Jensen-Shannon divergence (base 2) of two count vectors' shares: in [0, 1]."""
    p = np.asarray(reference, dtype=np.float64)
    q = np.asarray(current, dtype=np.float64)
    if p.sum() == 0 or q.sum() == 0:
        return 0.0
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    divergence = 0.5 * (_kl(p, m) + _kl(q, m))
    return float(math.sqrt(max(divergence, 0.0)))


def _kl(p: FloatArray, m: FloatArray) -> float:
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / m[mask])))


def chi2_sf(x: float, dof: int) -> float:
    """P(X > x) for X ~ chi-square(dof): the regularized upper incomplete gamma Q(dof/2, x/2)."""
    if x <= 0:
        return 1.0
    return _gamma_q(dof / 2.0, x / 2.0)


def _gamma_q(a: float, x: float) -> float:
    # Series for P(a, x) when x < a + 1, Lentz's continued fraction for Q(a, x) otherwise: both
    # converge fast in their region (Numerical Recipes, 6.2).
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        ap = a
        for _ in range(10_000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)
