"""Per-feature comparison of a baseline summary with a current one: every statistic of the
feature's kind (whatever method decides), and the distributions the report draws."""

from __future__ import annotations

import itertools

import numpy as np

from mlops.data.sketch import MIN_INDEXABLE, QuantileSketch
from mlops.drift.models import CategoricalStatistics, Distribution, NumericStatistics
from mlops.drift.statistics import (
    CdfGrid,
    FloatArray,
    IntArray,
    chi_square_two_sample,
    jensen_shannon_distance,
    ks_test,
    merge_grids,
    population_stability_index,
    wasserstein,
)
from mlops.drift.summaries import CategoricalSummary, NumericSummary, aligned_counts

#: categories drawn one by one in the report; the rest are drawn as one "other" bar
DRAWN_CATEGORIES = 12
LISTED_NEW_CATEGORIES = 20
UNLISTED = "(values not listed in the profile)"


def _store_counts(store_offset: int, store_counts: IntArray, keys: IntArray) -> IntArray:
    index = keys - store_offset
    inside = (index >= 0) & (index < store_counts.size)
    out = np.zeros(keys.size, dtype=np.int64)
    out[inside] = store_counts[index[inside]]
    return out


def _nonzero_keys(offset: int, counts: IntArray) -> IntArray:
    return np.flatnonzero(counts).astype(np.int64) + offset


def sketch_grid(reference: QuantileSketch, current: QuantileSketch) -> CdfGrid:
    """Both CDFs at the upper boundary of every non-empty bucket of either sketch.

    Positive bucket k holds (gamma^(k-1), gamma^k], negative bucket k holds [-gamma^k,
    -gamma^(k-1)), the zero bucket [-1e-9, 1e-9]; the buckets are the same for both sketches, so
    the cumulative counts at those boundaries are the exact empirical CDFs there."""
    neg = np.union1d(
        _nonzero_keys(reference.negative.offset, reference.negative.counts),
        _nonzero_keys(current.negative.offset, current.negative.counts),
    )[::-1]
    pos = np.union1d(
        _nonzero_keys(reference.positive.offset, reference.positive.counts),
        _nonzero_keys(current.positive.offset, current.positive.counts),
    )
    gamma = reference.gamma
    points = np.concatenate([-np.power(gamma, neg - 1.0), [MIN_INDEXABLE], np.power(gamma, pos.astype(np.float64))])

    def cumulative(sketch: QuantileSketch) -> FloatArray:
        counts = np.concatenate(
            [
                _store_counts(sketch.negative.offset, sketch.negative.counts, neg),
                [sketch.zero_count],
                _store_counts(sketch.positive.offset, sketch.positive.counts, pos),
            ]
        )
        return np.cumsum(counts) / max(sketch.count, 1)

    return CdfGrid(points, cumulative(reference), cumulative(current))


def histogram_grid(edges: FloatArray, reference: IntArray, current: IntArray) -> CdfGrid:
    """Both CDFs at the histogram edges, from exact counts on them ([underflow, *bins, overflow]):
    the share strictly below each edge (at the last edge: at or below it, the last bin is closed)."""
    ref = np.cumsum(reference[:-1]) / max(int(reference.sum()), 1)
    cur = np.cumsum(current[:-1]) / max(int(current.sum()), 1)
    return CdfGrid(edges.astype(np.float64), ref.astype(np.float64), cur.astype(np.float64))


def _mean_abs(sketch: QuantileSketch) -> float:
    values, counts = sketch.buckets()
    return float(np.sum(np.abs(values) * counts) / max(int(counts.sum()), 1))


def compare_numeric(reference: NumericSummary, current: NumericSummary) -> tuple[NumericStatistics, Distribution]:
    grids = [sketch_grid(reference.sketch, current.sketch)]
    psi, psi_exact, distribution = 0.0, False, None
    if reference.edges is not None and reference.bins is not None:
        current_bins, current_exact = current.bins_on(reference.edges, exact=reference.bins_exact)
        psi = population_stability_index(reference.bins, current_bins)
        psi_exact = reference.bins_exact and current_exact
        if psi_exact:
            grids.append(histogram_grid(reference.edges, reference.bins, current_bins))
        distribution = _numeric_distribution(reference.edges, reference.bins, current_bins)
    ks = ks_test(merge_grids(*grids), reference.count, current.count)

    ref_values, ref_counts = reference.sketch.buckets()
    cur_values, cur_counts = current.sketch.buckets()
    scale = reference.std if reference.std else 1.0  # a constant baseline: the distance itself
    accuracy = reference.sketch.relative_accuracy
    distance = wasserstein(ref_values, ref_counts, cur_values, cur_counts) / scale
    # each value moved by at most a|x| to its bucket's representative; the estimated E|X| is itself
    # within a factor (1 - a) of the true one
    bound = accuracy / (1 - accuracy) * (_mean_abs(reference.sketch) + _mean_abs(current.sketch)) / scale
    statistics = NumericStatistics(
        psi=psi,
        psi_exact=psi_exact,
        ks_statistic=ks.statistic,
        ks_p_value=ks.p_value,
        ks_error_bound=ks.error_bound,
        wasserstein=distance,
        wasserstein_error_bound=bound,
        mean=(reference.mean, current.mean),
        std=(reference.std, current.std),
    )
    if distribution is None:
        distribution = _quantile_distribution(reference.sketch, current.sketch)
    return statistics, distribution


def _shares(counts: IntArray) -> list[float]:
    total = max(int(counts.sum()), 1)
    return [round(float(c) / total, 6) for c in counts]


def _numeric_distribution(edges: FloatArray, reference: IntArray, current: IntArray) -> Distribution:
    labels = [f"< {edges[0]:.4g}"]
    labels += [f"{lo:.4g} - {hi:.4g}" for lo, hi in itertools.pairwise(edges)]
    labels.append(f"> {edges[-1]:.4g}")
    return Distribution(labels=labels, reference=_shares(reference), current=_shares(current), edges=edges.tolist())


def _quantile_distribution(reference: QuantileSketch, current: QuantileSketch) -> Distribution:
    """Without histogram edges (a baseline without values): ten equal-width bins over both ranges."""
    values = np.concatenate([reference.buckets()[0], current.buckets()[0]])
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    edges = np.linspace(low, high if high > low else low + 1.0, 11)
    ref, below_r, above_r = reference.histogram(edges)
    cur, below_c, above_c = current.histogram(edges)
    return _numeric_distribution(
        edges, np.concatenate([[below_r], ref, [above_r]]), np.concatenate([[below_c], cur, [above_c]])
    )


def compare_categorical(
    reference: CategoricalSummary, current: CategoricalSummary
) -> tuple[CategoricalStatistics, Distribution]:
    current_counts = dict(current.counts)
    if current.unlisted:
        # a current profile with more distinct values than its cap: the unlisted ones are new
        # to the baseline or not, unknowable; counted as one category the baseline lacks
        current_counts[UNLISTED] = current.unlisted
    labels, ref, cur = aligned_counts(reference.counts, current_counts)
    chi2 = chi_square_two_sample(ref, cur)
    ref_share = ref / max(int(ref.sum()), 1)
    cur_share = cur / max(int(cur.sum()), 1)
    new = [label for label, r, c in zip(labels, ref, cur, strict=True) if r == 0 and c > 0]
    statistics = CategoricalStatistics(
        chi2_statistic=chi2.statistic,
        chi2_dof=chi2.dof,
        chi2_p_value=chi2.p_value,
        jensen_shannon=jensen_shannon_distance(ref, cur),
        new_categories=new[:LISTED_NEW_CATEGORIES],
        new_share=float(cur_share[ref == 0].sum()),
        vanished_categories=[label for label, r, c in zip(labels, ref, cur, strict=True) if r > 0 and c == 0][
            :LISTED_NEW_CATEGORIES
        ],
        max_share_change=float(np.max(np.abs(ref_share - cur_share), initial=0.0)),
    )
    order = np.argsort(-np.maximum(ref_share, cur_share), kind="stable")
    drawn = order[:DRAWN_CATEGORIES]
    rest = order[DRAWN_CATEGORIES:]
    draw_labels = [labels[i] for i in drawn]
    draw_ref = [round(float(ref_share[i]), 6) for i in drawn]
    draw_cur = [round(float(cur_share[i]), 6) for i in drawn]
    if rest.size:
        draw_labels.append(f"{rest.size} other values")
        draw_ref.append(round(float(ref_share[rest].sum()), 6))
        draw_cur.append(round(float(cur_share[rest].sum()), 6))
    return statistics, Distribution(labels=draw_labels, reference=draw_ref, current=draw_cur)
