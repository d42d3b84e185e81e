"""The example project's data: the Wisconsin diagnostic breast-cancer set that ships inside
scikit-learn, shaped like the `breast-cancer` dataset of mlops.yaml. Nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools

ID_COLUMN = "sample_id"
TARGET_COLUMN = "diagnosis"


def _snake_case(name: str) -> str:
    return name.strip().replace(" ", "_")


def breast_cancer_frame() -> pd.DataFrame:
    """All 569 rows: `sample_id` ("S00000", ...), the 30 features in scikit-learn's order with
    snake_case names, and `diagnosis` (1 = benign, 0 = malignant) as int."""
    from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped]

    bunch = load_breast_cancer()
    features = pd.DataFrame(
        np.asarray(bunch.data, dtype=np.float64),
        columns=[_snake_case(str(n)) for n in bunch.feature_names],
    )
    ids = pd.Series([f"S{i:05d}" for i in range(len(features))], name=ID_COLUMN)
    target = pd.Series(np.asarray(bunch.target, dtype=np.int64), name=TARGET_COLUMN)
    return pd.concat([ids, features, target], axis=1)


def write_csv(path: str | Path, *, rows: int | None = None, seed: int = 0) -> Path:
    """Write the example data as CSV. With `rows`, a deterministic random subset of that many
    rows (shuffled by `seed`); without, every row in the original order."""
    frame = breast_cancer_frame()
    if rows is not None:
        if not 1 <= rows <= len(frame):
            raise ValueError(f"rows must be between 1 and {len(frame)}, got {rows}")
        order = np.random.default_rng(seed).permutation(len(frame))[:rows]
        frame = frame.iloc[order].reset_index(drop=True)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False)
    return target
