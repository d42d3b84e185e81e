"""Accumulators: the mutable state of a column's profile, updated chunk by chunk during
validation and merged across files; `to_model` turns them into the models of profile.py. The
categorical one is in categorical.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlops.data.categorical import CategoricalAccumulator
from mlops.data.errors import ProfileMismatchError
from mlops.data.profile import (
    HISTOGRAM_BINS,
    QUANTILES,
    CategoricalProfile,
    DatasetProfile,
    DatetimeProfile,
    Histogram,
    HistogramSource,
    NumericProfile,
    Sketch,
)
from mlops.data.sketch import QuantileSketch, bin_counts

FloatArray = npt.NDArray[np.float64]
#: integers up to this magnitude are exact as floats
_EXACT_FLOAT_INTEGER = 2**53


@dataclass
class NumericAccumulator:
    dtype: Literal["integer", "float"]
    fixed_edges: FloatArray | None = None
    edges_source: HistogramSource = "declared"
    count: int = 0
    null_count: int = 0
    invalid_count: int = 0
    infinite_count: int = 0
    minimum: float = float("inf")
    maximum: float = float("-inf")
    mean: float = 0.0
    m2: float = 0.0
    sketch: QuantileSketch = field(default_factory=QuantileSketch)
    counts: npt.NDArray[np.int64] | None = None
    underflow: int = 0
    overflow: int = 0
    approximate_bins: bool = False

    def update(self, finite: FloatArray, *, nulls: int, invalid: int, infinite: int) -> None:
        self.null_count += nulls
        self.invalid_count += invalid
        self.infinite_count += infinite
        if finite.size == 0:
            return
        chunk_mean = float(finite.mean())
        deviation = finite - chunk_mean
        np.square(deviation, out=deviation)  # not np.dot: BLAS threads spin on a loaded machine
        self._combine(finite.size, chunk_mean, float(deviation.sum()))
        self.minimum = min(self.minimum, float(finite.min()))
        self.maximum = max(self.maximum, float(finite.max()))
        self.sketch.update(finite)
        self._bin(finite)

    def update_integers(self, values: npt.NDArray[np.int64], *, nulls: int, invalid: int) -> None:
        """`update` for the valid values of an integer column. Integers in a narrow range take
        few distinct values: every statistic is then computed once per distinct value, from
        their counts (the same results, exactly: sums of integers, the same buckets and bins)."""
        if values.size == 0:
            self.update(values.astype(np.float64), nulls=nulls, invalid=invalid, infinite=0)
            return
        low, high = int(values.min()), int(values.max())
        if high - low > values.size or max(-low, high) > _EXACT_FLOAT_INTEGER or values.size > 1 << 31:
            self.update(values.astype(np.float64), nulls=nulls, invalid=invalid, infinite=0)
            return
        self.null_count += nulls
        self.invalid_count += invalid
        counts = np.bincount(values - low)
        present = np.flatnonzero(counts)
        weights = counts[present]
        distinct = (present + low).astype(np.float64)
        total = int(np.dot(present, weights)) + low * int(values.size)
        chunk_mean = total / int(values.size)
        deviation = distinct - chunk_mean
        self._combine(int(values.size), chunk_mean, float((deviation * deviation * weights).sum()))
        self.minimum = min(self.minimum, float(low))
        self.maximum = max(self.maximum, float(high))
        self.sketch.update(distinct, weights)
        self._bin(distinct, weights)

    def _bin(self, values: FloatArray, weights: npt.NDArray[np.int64] | None = None) -> None:
        if self.fixed_edges is not None:
            counts, below, above = bin_counts(values, self.fixed_edges, weights=weights)
            self.counts = counts if self.counts is None else self.counts + counts
            self.underflow += below
            self.overflow += above

    def _combine(self, n: int, mean: float, m2: float) -> None:
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total

    def _histogram(self) -> Histogram | None:
        if self.count == 0 and self.fixed_edges is None:
            return None
        if self.fixed_edges is not None and not self.approximate_bins:
            edges = self.fixed_edges
            counts = self.counts if self.counts is not None else np.zeros(edges.size - 1, dtype=np.int64)
            below, above, source, exact = self.underflow, self.overflow, self.edges_source, True
        else:
            if self.fixed_edges is not None:
                edges, source = self.fixed_edges, self.edges_source
            else:
                edges, source = observed_edges(self.minimum, self.maximum), "observed"
            counts, below, above = self.sketch.histogram(edges)
            exact = False
        return Histogram(
            edges=[float(e) for e in edges],
            counts=[int(c) for c in counts],
            underflow=below,
            overflow=above,
            source=source,
            exact=exact,
        )

    def to_model(self) -> NumericProfile:
        sketch = self.sketch.to_dict()
        return NumericProfile(
            dtype=self.dtype,
            count=self.count,
            null_count=self.null_count,
            invalid_count=self.invalid_count,
            infinite_count=self.infinite_count,
            min=self.minimum if self.count else None,
            max=self.maximum if self.count else None,
            mean=self.mean if self.count else None,
            std=float(np.sqrt(self.m2 / self.count)) if self.count else None,
            quantiles=self._quantiles(),
            histogram=self._histogram(),
            sketch=Sketch.model_validate(sketch),
        )

    def _quantiles(self) -> dict[str, float] | None:
        """From the sketch, within its relative accuracy; the extreme ranks are the exact min
        and max, and no estimate leaves [min, max]."""
        estimates = self.sketch.quantiles(list(QUANTILES.values()))
        if estimates is None or self.count == 0:
            return None
        result = {}
        for (name, q), estimate in zip(QUANTILES.items(), estimates, strict=True):
            rank = np.floor(q * (self.count - 1) + 0.5)
            if rank == 0:
                estimate = self.minimum
            elif rank == self.count - 1:
                estimate = self.maximum
            result[name] = min(max(estimate, self.minimum), self.maximum)
        return result

    @classmethod
    def from_model(cls, model: NumericProfile) -> NumericAccumulator:
        acc = cls(dtype=model.dtype)
        acc.count, acc.null_count = model.count, model.null_count
        acc.invalid_count, acc.infinite_count = model.invalid_count, model.infinite_count
        if model.count and model.min is not None and model.max is not None:
            acc.minimum, acc.maximum = model.min, model.max
            acc.mean = model.mean or 0.0
            acc.m2 = (model.std or 0.0) ** 2 * model.count
        s = model.sketch
        acc.sketch = QuantileSketch.from_parts(
            s.relative_accuracy,
            s.zero_count,
            (s.positive.keys, s.positive.counts),
            (s.negative.keys, s.negative.counts),
        )
        if model.histogram is not None and model.histogram.source != "observed":
            acc.fixed_edges = np.asarray(model.histogram.edges, dtype=np.float64)
            acc.edges_source = model.histogram.source
            acc.counts = np.asarray(model.histogram.counts, dtype=np.int64)
            acc.underflow, acc.overflow = model.histogram.underflow, model.histogram.overflow
            acc.approximate_bins = not model.histogram.exact
        return acc

    def merge(self, other: NumericAccumulator) -> None:
        if other.count:
            self._combine(other.count, other.mean, other.m2)
            self.minimum = min(self.minimum, other.minimum)
            self.maximum = max(self.maximum, other.maximum)
        self.null_count += other.null_count
        self.invalid_count += other.invalid_count
        self.infinite_count += other.infinite_count
        self.sketch.merge(other.sketch)
        same_edges = (
            self.fixed_edges is not None
            and other.fixed_edges is not None
            and np.array_equal(self.fixed_edges, other.fixed_edges)
        )
        if same_edges and self.counts is not None and other.counts is not None:
            self.counts = self.counts + other.counts
            self.underflow += other.underflow
            self.overflow += other.overflow
            self.approximate_bins = self.approximate_bins or other.approximate_bins
        elif self.fixed_edges is not None or other.fixed_edges is not None:
            # different bins: keep the first profile's edges (or the other's if this one has
            # none) and re-bin both from the merged sketch
            if self.fixed_edges is None:
                self.fixed_edges, self.edges_source = other.fixed_edges, other.edges_source
            self.approximate_bins = True


def observed_edges(minimum: float, maximum: float, bins: int = HISTOGRAM_BINS) -> FloatArray:
    """Equal-width edges over the observed range; a constant column gets one unit-wide bin."""
    if maximum > minimum:
        return np.linspace(minimum, maximum, bins + 1)
    return np.asarray([minimum - 0.5, minimum + 0.5], dtype=np.float64)


def declared_edges(minimum: float | None, maximum: float | None, bins: int = HISTOGRAM_BINS) -> FloatArray | None:
    if minimum is None or maximum is None or not np.isfinite(minimum) or not np.isfinite(maximum):
        return None
    if maximum <= minimum:
        return None
    return np.linspace(minimum, maximum, bins + 1)


@dataclass
class DatetimeAccumulator:
    count: int = 0
    null_count: int = 0
    invalid_count: int = 0
    minimum: int | None = None
    maximum: int | None = None

    def update(self, nanos: npt.NDArray[np.int64], *, nulls: int, invalid: int) -> None:
        """`nanos`: valid values as nanoseconds since the epoch, UTC."""
        self.null_count += nulls
        self.invalid_count += invalid
        self.count += int(nanos.size)
        if nanos.size:
            low, high = int(nanos.min()), int(nanos.max())
            self.minimum = low if self.minimum is None else min(self.minimum, low)
            self.maximum = high if self.maximum is None else max(self.maximum, high)

    def merge(self, other: DatetimeAccumulator) -> None:
        self.count += other.count
        self.null_count += other.null_count
        self.invalid_count += other.invalid_count
        if other.minimum is not None and other.maximum is not None:
            self.minimum = other.minimum if self.minimum is None else min(self.minimum, other.minimum)
            self.maximum = other.maximum if self.maximum is None else max(self.maximum, other.maximum)

    def to_model(self) -> DatetimeProfile:
        return DatetimeProfile(
            count=self.count,
            null_count=self.null_count,
            invalid_count=self.invalid_count,
            min=_iso(self.minimum),
            max=_iso(self.maximum),
        )

    @classmethod
    def from_model(cls, model: DatetimeProfile) -> DatetimeAccumulator:
        return cls(
            count=model.count,
            null_count=model.null_count,
            invalid_count=model.invalid_count,
            minimum=_nanos(model.min),
            maximum=_nanos(model.max),
        )


def _iso(nanos: int | None) -> str | None:
    if nanos is None:
        return None
    seconds, rest = divmod(nanos, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{rest:09d}Z" if rest else f"{stamp}Z"


def _nanos(text: str | None) -> int | None:
    if text is None:
        return None
    scalar = pc.cast(pa.array([text.removesuffix("Z")]), pa.timestamp("ns"))
    return int(scalar.cast(pa.int64())[0].as_py())


Accumulator = NumericAccumulator | CategoricalAccumulator | DatetimeAccumulator


def accumulator_from_model(model: NumericProfile | CategoricalProfile | DatetimeProfile) -> Accumulator:
    if isinstance(model, NumericProfile):
        return NumericAccumulator.from_model(model)
    if isinstance(model, CategoricalProfile):
        return CategoricalAccumulator.from_model(model)
    return DatetimeAccumulator.from_model(model)


def merge_column(
    left: NumericProfile | CategoricalProfile | DatetimeProfile,
    right: NumericProfile | CategoricalProfile | DatetimeProfile,
) -> NumericProfile | CategoricalProfile | DatetimeProfile:
    merged = accumulator_from_model(left)
    other = accumulator_from_model(right)
    if type(merged) is not type(other):
        raise ProfileMismatchError(f"cannot merge a {left.kind} profile with a {right.kind} profile")
    merged.merge(other)  # type: ignore[arg-type]
    return merged.to_model()


def merge_profiles(first: DatasetProfile, second: DatasetProfile) -> DatasetProfile:
    """The profile of both files' rows together; columns keep the first profile's order."""
    if second.schema_hash != first.schema_hash:
        raise ProfileMismatchError(f"schema hashes differ: {first.schema_hash} != {second.schema_hash}")
    if set(second.columns) != set(first.columns):
        raise ProfileMismatchError("the profiles have different columns")
    columns = {name: merge_column(profile, second.columns[name]) for name, profile in first.columns.items()}
    return DatasetProfile(
        schema_hash=first.schema_hash, files=first.files + second.files, rows=first.rows + second.rows, columns=columns
    )
