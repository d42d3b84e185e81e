"""train.py and evaluate.py each carry `row_fingerprints`, on purpose: they run in separate
SageMaker jobs, and the evaluation job receives evaluate.py alone (one code input), so it cannot
import a sibling module. Rows held out by fingerprint are only found again if both compute the
same hash for the same row, whatever the column order and dtypes: pinned here."""

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools

from tests.unit.training.conftest import load_entry_point


def test_both_scripts_fingerprint_rows_identically() -> None:
    train, evaluate = load_entry_point("train"), load_entry_point("evaluate")
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "b": rng.normal(size=50),
            "a": rng.integers(0, 5, size=50),
            "label": rng.integers(0, 2, size=50),
            "name": [f"s{i}" for i in range(50)],
        }
    )
    reordered = frame[["name", "label", "a", "b"]]
    assert train.row_fingerprints(frame) == evaluate.row_fingerprints(reordered)
    assert len(set(train.row_fingerprints(frame))) == len(frame)  # distinct rows, distinct prints
