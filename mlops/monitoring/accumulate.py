"""Summaries of a capture window built incrementally, in bounded memory.

Captured rows arrive file by file; they are buffered up to `chunk_rows`, summarized by the drift
engine exactly as a frame would be (`summaries.from_frame`, typed by the baseline profile) and
merged into running totals, so a window of any size holds one chunk of rows at a time. Every
part of a summary merges exactly: counts and histogram bins add, the quantile sketches merge
bucket by bucket (same data-independent buckets), and mean and standard deviation combine from
the parts' counts, means and variances (Chan et al.), so the result equals the summary of all
rows at once up to floating-point rounding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools

from mlops.data.profile import DatasetProfile
from mlops.data.sketch import QuantileSketch
from mlops.drift import summaries
from mlops.drift.summaries import CategoricalSummary, NumericSummary, Summaries, Summary

CHUNK_ROWS = 20_000


def _copy_sketch(sketch: QuantileSketch) -> QuantileSketch:
    merged = QuantileSketch(sketch.relative_accuracy)
    merged.merge(sketch)
    return merged


def merge_numeric(a: NumericSummary, b: NumericSummary) -> NumericSummary:
    count = a.count + b.count
    mean: float | None = None
    std: float | None = None
    if count:
        mean_a, mean_b = a.mean or 0.0, b.mean or 0.0
        mean = (a.count * mean_a + b.count * mean_b) / count
        var_a, var_b = (a.std or 0.0) ** 2, (b.std or 0.0) ** 2
        delta = mean_b - mean_a
        variance = (a.count * var_a + b.count * var_b) / count + delta * delta * a.count * b.count / (count * count)
        std = max(variance, 0.0) ** 0.5
    sketch = _copy_sketch(a.sketch)
    sketch.merge(b.sketch)
    bins = None
    if a.bins is not None and b.bins is not None:
        bins = a.bins + b.bins
    return NumericSummary(
        count=count,
        missing=a.missing + b.missing,
        mean=mean,
        std=std,
        sketch=sketch,
        edges=a.edges,
        bins=bins,
        bins_exact=a.bins_exact and b.bins_exact,
    )


def merge_categorical(a: CategoricalSummary, b: CategoricalSummary) -> CategoricalSummary:
    counts = dict(a.counts)
    for value, count in b.counts.items():
        counts[value] = counts.get(value, 0) + count
    return CategoricalSummary(
        count=a.count + b.count, missing=a.missing + b.missing, counts=counts, unlisted=a.unlisted + b.unlisted
    )


def merge(a: Summaries, b: Summaries) -> Summaries:
    columns: dict[str, Summary] = dict(a.columns)
    for name, summary in b.columns.items():
        mine = columns.get(name)
        if mine is None:
            columns[name] = summary
        elif isinstance(mine, NumericSummary) and isinstance(summary, NumericSummary):
            columns[name] = merge_numeric(mine, summary)
        elif isinstance(mine, CategoricalSummary) and isinstance(summary, CategoricalSummary):
            columns[name] = merge_categorical(mine, summary)
    return Summaries(rows=a.rows + b.rows, columns=columns)


class SummaryAccumulator:
    """Rows in, the window's `Summaries` out; at most `chunk_rows` rows are held at a time."""

    def __init__(self, reference: DatasetProfile, features: Sequence[str], *, chunk_rows: int = CHUNK_ROWS) -> None:
        self._reference = reference
        self._features = list(features)
        self._chunk_rows = chunk_rows
        self._buffer: list[Mapping[str, object]] = []
        self._total: Summaries | None = None
        self.chunks = 0

    def add(self, rows: Sequence[Mapping[str, object]]) -> None:
        self._buffer.extend(rows)
        if len(self._buffer) >= self._chunk_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        frame = pd.DataFrame.from_records(self._buffer, columns=self._features)
        self._buffer = []
        part = summaries.from_frame(frame, self._reference, workers=1)
        self._total = part if self._total is None else merge(self._total, part)
        self.chunks += 1

    def result(self) -> Summaries:
        """The summaries of every row added (an empty window summarizes zero rows)."""
        self._flush()
        if self._total is None:
            empty = pd.DataFrame({name: pd.Series([], dtype=object) for name in self._features})
            self._total = summaries.from_frame(empty, self._reference, workers=1)
        return self._total
