"""What a drift check compares: per feature a summary built the same way for the baseline
(from its stored profile) and for the current data (a frame, or another profile).

A numeric summary is the quantile sketch (data-independent buckets, so two sketches share their
bucket grid) plus counts on the baseline's histogram edges; a categorical one is exact counts
per value. Building one from a frame is a few vectorized passes per column, threaded across
columns (NumPy and pandas release the GIL in them)."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools

from mlops.data.profile import CategoricalProfile, DatasetProfile, NumericProfile
from mlops.data.sketch import QuantileSketch, exact_bins
from mlops.drift.models import DriftInputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class NumericSummary:
    count: int
    #: rows without a finite value (null, not a number, infinite)
    missing: int
    mean: float | None
    std: float | None
    sketch: QuantileSketch
    edges: FloatArray | None
    #: [underflow, *counts, overflow] on `edges`
    bins: IntArray | None
    bins_exact: bool

    def bins_on(self, edges: FloatArray, *, exact: bool = True) -> tuple[IntArray, bool]:
        """Counts on `edges` ([underflow, *bins, overflow]) and whether they are exact.

        Exact when counted on these edges; otherwise, or when `exact` is false, re-derived from
        the sketch (a value within 1% of an edge may land next door). Comparing with a baseline
        whose own bins came from its sketch, the current bins must come from the sketch too:
        exact counts against rounded ones would show a difference where the data has none."""
        counted = self.edges is not None and self.bins is not None and np.array_equal(self.edges, edges)
        if exact and counted and self.bins is not None:
            return self.bins, self.bins_exact
        counts, below, above = self.sketch.histogram(edges)
        return np.concatenate([[below], counts, [above]]).astype(np.int64), False


@dataclass(frozen=True)
class CategoricalSummary:
    count: int
    missing: int
    counts: dict[str, int]
    #: values the profile counted without listing them (more distinct values than its cap)
    unlisted: int


Summary = NumericSummary | CategoricalSummary


@dataclass(frozen=True)
class Summaries:
    rows: int
    columns: dict[str, Summary]


def _sketch(profile: NumericProfile) -> QuantileSketch:
    s = profile.sketch
    return QuantileSketch.from_parts(
        s.relative_accuracy, s.zero_count, (s.positive.keys, s.positive.counts), (s.negative.keys, s.negative.counts)
    )


def from_profile(profile: DatasetProfile) -> Summaries:
    columns: dict[str, Summary] = {}
    for name, column in profile.columns.items():
        if isinstance(column, NumericProfile):
            hist = column.histogram
            columns[name] = NumericSummary(
                count=column.count,
                missing=column.null_count + column.invalid_count + column.infinite_count,
                mean=column.mean,
                std=column.std,
                sketch=_sketch(column),
                edges=None if hist is None else np.asarray(hist.edges, dtype=np.float64),
                bins=None if hist is None else np.asarray([hist.underflow, *hist.counts, hist.overflow], np.int64),
                bins_exact=hist is not None and hist.exact,
            )
        elif isinstance(column, CategoricalProfile):
            columns[name] = CategoricalSummary(
                count=column.count,
                missing=column.null_count + column.invalid_count,
                counts={f.value: f.count for f in column.frequencies},
                unlisted=column.other_count,
            )
    return Summaries(rows=profile.rows, columns=columns)


def from_frame(frame: pd.DataFrame, reference: DatasetProfile, *, workers: int = 2) -> Summaries:
    """Summarize the columns of `frame` that the baseline profiled, typed as the baseline's
    kinds say (a numeric column holding text counts the text as missing, not as a crash)."""
    if not isinstance(frame, pd.DataFrame):
        raise DriftInputError(f"current data must be a pandas DataFrame, got {type(frame).__name__}")
    tasks = {
        name: column
        for name, column in reference.columns.items()
        if name in frame.columns and isinstance(column, NumericProfile | CategoricalProfile)
    }

    def summarize(name: str) -> Summary:
        column = tasks[name]
        if isinstance(column, NumericProfile):
            edges = None if column.histogram is None else np.asarray(column.histogram.edges, dtype=np.float64)
            return numeric_summary(frame[name], edges)
        return categorical_summary(frame[name])

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = dict(zip(tasks, pool.map(summarize, tasks), strict=True))
    return Summaries(rows=len(frame), columns=results)


def numeric_summary(series: pd.Series[Any], edges: FloatArray | None) -> NumericSummary:
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        series = pd.to_numeric(series, errors="coerce")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    finite_mask = np.isfinite(values)
    finite = values if finite_mask.all() else values[finite_mask]
    sketch = QuantileSketch()
    sketch.update(finite)
    bins = None if edges is None else exact_bins(finite, edges)
    return NumericSummary(
        count=int(finite.size),
        missing=int(values.size - finite.size),
        mean=float(finite.mean()) if finite.size else None,
        std=float(finite.std()) if finite.size else None,
        sketch=sketch,
        edges=edges,
        bins=bins,
        bins_exact=True,
    )


def categorical_summary(series: pd.Series[Any]) -> CategoricalSummary:
    counts = series.value_counts(dropna=True, sort=False)
    if pd.api.types.is_bool_dtype(series.dtype):
        labels = ["true" if bool(v) else "false" for v in counts.index]
    else:
        labels = [str(v) for v in counts.index]
    table: dict[str, int] = {}
    for label, count in zip(labels, counts.to_numpy(dtype=np.int64).tolist(), strict=True):
        table[label] = table.get(label, 0) + int(count)  # 1 and "1" are one category once spelled
    total = sum(table.values())
    return CategoricalSummary(count=total, missing=len(series) - total, counts=table, unlisted=0)


def aligned_counts(reference: Mapping[str, int], current: Mapping[str, int]) -> tuple[list[str], IntArray, IntArray]:
    """Both count tables over the union of their values: the baseline's first, in its order."""
    labels = list(reference) + [v for v in current if v not in reference]
    ref = np.asarray([reference.get(v, 0) for v in labels], dtype=np.int64)
    cur = np.asarray([current.get(v, 0) for v in labels], dtype=np.int64)
    return labels, ref, cur
