"""Summaries merged chunk by chunk equal the summary of all rows at once, so a capture window
of any size is checked in bounded memory with the same verdict."""

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pytest

from mlops.config import DriftConfig
from mlops.drift import DriftPolicy, check
from mlops.drift import summaries as engine
from mlops.drift.summaries import CategoricalSummary, NumericSummary
from mlops.monitoring.accumulate import SummaryAccumulator
from tests.unit.drift.helpers import dataset, profile_of


def _frames(rows: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "label": rng.integers(0, 2, rows),
            "x": rng.normal(shift, 1.0, rows),
            "colour": rng.choice(["red", "green", "blue"], rows),
        }
    )


SCHEMA = dataset(label="integer", x="float", colour="category")


def test_chunked_summaries_equal_the_whole() -> None:
    reference = profile_of(_frames(2000), SCHEMA)
    current = _frames(1234, shift=0.3)
    current.loc[5, "x"] = np.nan
    accumulator = SummaryAccumulator(reference, ["x", "colour"], chunk_rows=100)
    records = current[["x", "colour"]].to_dict("records")
    for start in range(0, len(records), 37):
        accumulator.add(records[start : start + 37])
    merged = accumulator.result()
    whole = engine.from_frame(current[["x", "colour"]], reference)
    assert accumulator.chunks > 10 and merged.rows == whole.rows == 1234
    x, x_whole = merged.columns["x"], whole.columns["x"]
    assert isinstance(x, NumericSummary) and isinstance(x_whole, NumericSummary)
    assert (x.count, x.missing) == (x_whole.count, x_whole.missing) == (1233, 1)
    assert x.mean == pytest.approx(x_whole.mean) and x.std == pytest.approx(x_whole.std)
    assert x.bins is not None and x_whole.bins is not None and (x.bins == x_whole.bins).all()
    assert x.sketch.to_dict() == x_whole.sketch.to_dict()
    colour, colour_whole = merged.columns["colour"], whole.columns["colour"]
    assert isinstance(colour, CategoricalSummary) and isinstance(colour_whole, CategoricalSummary)
    assert colour.counts == colour_whole.counts
    policy = DriftPolicy.for_dataset(DriftConfig(), SCHEMA)
    a = check(reference, merged, policy, dataset="d", baseline="v1", current="c")
    b = check(reference, whole, policy, dataset="d", baseline="v1", current="c")
    assert [(f.feature, f.status) for f in a.features] == [(f.feature, f.status) for f in b.features]
    for left, right in zip(a.features, b.features, strict=True):
        assert left.score == (None if right.score is None else pytest.approx(right.score, rel=1e-9)), left.feature


def test_an_empty_window_is_insufficient_data() -> None:
    reference = profile_of(_frames(200), SCHEMA)
    summary = SummaryAccumulator(reference, ["x", "colour"]).result()
    report = check(
        reference, summary, DriftPolicy.for_dataset(DriftConfig(), SCHEMA), dataset="d", baseline="v1", current="c"
    )
    assert summary.rows == 0 and report.verdict == "insufficient_data"
