"""A mergeable quantile sketch with fixed, data-independent buckets (DDSketch-style).

Bucket `k` of the positive store holds values in (gamma**(k-1), gamma**k], with
gamma = (1 + a) / (1 - a) for relative accuracy `a`; the negative store mirrors it for -x, and
|x| <= MIN_INDEXABLE goes to a zero bucket. Because the buckets do not depend on the data,
sketches built over any split of the rows (chunks, files) merge exactly by adding counts, and
any quantile is returned within relative error `a` of a value of the right rank.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

RELATIVE_ACCURACY = 0.01
MIN_INDEXABLE = 1e-9

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class _DenseStore:
    """Counts per integer bucket key, stored densely from `offset`."""

    offset: int = 0
    counts: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def add(self, keys: FloatArray, weights: IntArray | None = None) -> None:
        """Count integral bucket `keys` (as floats, straight from the log), each `weights` times."""
        if keys.size == 0:
            return
        low = int(keys.min())
        dense = np.bincount((keys - low).astype(np.int64), weights=weights)
        self.add_dense(low, dense.astype(np.int64))

    def add_dense(self, low: int, counts: IntArray) -> None:
        if counts.size == 0:
            return
        if self.counts.size == 0:
            self.offset, self.counts = low, counts.copy()
            return
        new_low = min(low, self.offset)
        new_high = max(low + counts.size, self.offset + self.counts.size)
        if new_low != self.offset or new_high != self.offset + self.counts.size:
            grown = np.zeros(new_high - new_low, dtype=np.int64)
            grown[self.offset - new_low : self.offset - new_low + self.counts.size] = self.counts
            self.offset, self.counts = new_low, grown
        self.counts[low - self.offset : low - self.offset + counts.size] += counts

    def sparse(self) -> tuple[list[int], list[int]]:
        nonzero = np.flatnonzero(self.counts)
        return (nonzero + self.offset).tolist(), self.counts[nonzero].tolist()

    @classmethod
    def from_sparse(cls, keys: list[int], counts: list[int]) -> _DenseStore:
        store = cls()
        if keys:
            key_array = np.asarray(keys, dtype=np.int64)
            low = int(key_array.min())
            dense = np.zeros(int(key_array.max()) - low + 1, dtype=np.int64)
            np.add.at(dense, key_array - low, np.asarray(counts, dtype=np.int64))
            store.add_dense(low, dense)
        return store

    def total(self) -> int:
        return int(self.counts.sum())


class QuantileSketch:
    def __init__(self, relative_accuracy: float = RELATIVE_ACCURACY) -> None:
        self.relative_accuracy = relative_accuracy
        self.gamma = (1 + relative_accuracy) / (1 - relative_accuracy)
        self._inv_log_gamma = 1.0 / math.log(self.gamma)
        self.zero_count = 0
        self.positive = _DenseStore()
        self.negative = _DenseStore()

    @property
    def count(self) -> int:
        return self.zero_count + self.positive.total() + self.negative.total()

    def update(self, values: FloatArray, weights: IntArray | None = None) -> None:
        """Add finite values (the caller filters NaN and inf), each `weights` times if given.
        One log for both signs, in place, and no per-sign copies when all values are positive."""
        if values.size == 0:
            return
        positive = values > MIN_INDEXABLE
        n_positive = int(np.count_nonzero(positive))
        keys = np.abs(values)
        with np.errstate(divide="ignore"):
            np.log(keys, out=keys)
        keys *= self._inv_log_gamma
        np.ceil(keys, out=keys)
        if n_positive == values.size:
            self.positive.add(keys, weights)
            return
        negative = values < -MIN_INDEXABLE
        zero = ~(positive | negative)
        self.zero_count += int(np.count_nonzero(zero) if weights is None else weights[zero].sum())
        self.positive.add(keys[positive], None if weights is None else weights[positive])
        self.negative.add(keys[negative], None if weights is None else weights[negative])

    def merge(self, other: QuantileSketch) -> None:
        if other.relative_accuracy != self.relative_accuracy:
            raise ValueError("sketches with different accuracy cannot be merged")
        self.zero_count += other.zero_count
        self.positive.add_dense(other.positive.offset, other.positive.counts)
        self.negative.add_dense(other.negative.offset, other.negative.counts)

    def _value(self, keys: IntArray) -> FloatArray:
        # the point of bucket (gamma**(k-1), gamma**k] with the smallest relative error
        return 2.0 * np.power(self.gamma, keys.astype(np.float64)) / (self.gamma + 1.0)

    def buckets(self) -> tuple[FloatArray, IntArray]:
        """Representative values in increasing order with their counts."""
        neg_keys = np.arange(self.negative.counts.size, dtype=np.int64) + self.negative.offset
        pos_keys = np.arange(self.positive.counts.size, dtype=np.int64) + self.positive.offset
        values = np.concatenate([-self._value(neg_keys)[::-1], [0.0], self._value(pos_keys)])
        counts = np.concatenate([self.negative.counts[::-1], [self.zero_count], self.positive.counts])
        keep = counts > 0
        return values[keep], counts[keep].astype(np.int64)

    def quantiles(self, qs: list[float]) -> list[float] | None:
        values, counts = self.buckets()
        total = int(counts.sum())
        if total == 0:
            return None
        cumulative = np.cumsum(counts)
        # nearest rank: the value whose 0-based rank is closest to q * (n - 1)
        ranks = np.floor(np.asarray(qs, dtype=np.float64) * (total - 1) + 0.5)
        index = np.searchsorted(cumulative, ranks, side="right")
        return [float(v) for v in values[np.minimum(index, values.size - 1)]]

    def histogram(self, edges: FloatArray) -> tuple[IntArray, int, int]:
        """Approximate counts per bin [e_i, e_i+1) (last bin closed), below and above the edges."""
        values, counts = self.buckets()
        return bin_counts(values, edges, weights=counts)

    def to_dict(self) -> dict[str, object]:
        pos_keys, pos_counts = self.positive.sparse()
        neg_keys, neg_counts = self.negative.sparse()
        return {
            "relative_accuracy": self.relative_accuracy,
            "min_indexable": MIN_INDEXABLE,
            "zero_count": self.zero_count,
            "positive": {"keys": pos_keys, "counts": pos_counts},
            "negative": {"keys": neg_keys, "counts": neg_counts},
        }

    @classmethod
    def from_parts(
        cls,
        relative_accuracy: float,
        zero_count: int,
        positive: tuple[list[int], list[int]],
        negative: tuple[list[int], list[int]],
    ) -> QuantileSketch:
        sketch = cls(relative_accuracy)
        sketch.zero_count = zero_count
        sketch.positive = _DenseStore.from_sparse(*positive)
        sketch.negative = _DenseStore.from_sparse(*negative)
        return sketch


def bin_counts(values: FloatArray, edges: FloatArray, *, weights: IntArray | None = None) -> tuple[IntArray, int, int]:
    """Counts per bin [e_i, e_i+1), the last bin closed, plus counts below and above the edges."""
    counts = exact_bins(values, edges, weights=weights)
    return counts[1:-1], int(counts[0]), int(counts[-1])


def exact_bins(values: FloatArray, edges: FloatArray, *, weights: IntArray | None = None) -> IntArray:
    """[underflow, *counts, overflow] of `values` on `edges` ([e_i, e_i+1), the last bin closed),
    in one bincount: for equal-width edges the bin is the floor of an affine map, recomputed by
    binary search only for values within rounding of an edge."""
    bins = edges.size - 1
    width = (edges[-1] - edges[0]) / bins if bins > 0 else 0.0
    uniform = bins > 0 and width > 0 and np.allclose(np.diff(edges), width, rtol=1e-9, atol=0.0)
    if not uniform or values.size < 4 * bins:
        # shifted bin: 0 underflow, 1..bins the bins, bins + 1 overflow
        shifted = np.searchsorted(edges, values, side="right")
        shifted[values == edges[-1]] = bins
    else:
        position = (values - edges[0]) * (1.0 / width)
        index = np.floor(position)
        fraction = position - index
        near = np.flatnonzero((fraction < 1e-6) | (fraction > 1 - 1e-6))
        np.clip(index, -1, bins, out=index)
        shifted = index.astype(np.int64) + 1
        if near.size:
            # shifted = bin + 1 lies in [0, bins + 1]; bounds[j] is the lower edge of shifted bin j
            bounds = np.concatenate([[-np.inf], edges, [np.inf]])
            candidate, value = shifted[near], values[near]
            candidate -= value < bounds[candidate]
            candidate += value >= bounds[candidate + 1]
            candidate[value == edges[-1]] = bins
            shifted[near] = candidate
    return np.bincount(shifted, weights=weights, minlength=bins + 2).astype(np.int64)
