"""Synthetic rows for the example `breast-cancer` dataset (shape and constraints of mlops.yaml)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools

from mlops.config import DatasetConfig, Dtype


def frame(dataset: DatasetConfig, rows: int, seed: int = 0, id_offset: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for column in dataset.columns:
        if column.name == "sample_id":
            data[column.name] = [f"S{i + id_offset:05d}" for i in range(rows)]
        elif column.allowed_values is not None:
            data[column.name] = rng.choice(np.array(column.allowed_values), size=rows)
        elif column.dtype is Dtype.FLOAT:
            data[column.name] = np.round(rng.gamma(2.0, 5.0, size=rows), 4)
        else:
            raise AssertionError(f"no generator for {column.name}")
    return pd.DataFrame(data)


def csv_bytes(df: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    df.to_csv(buffer, index=False)
    return buffer.getvalue().encode()
