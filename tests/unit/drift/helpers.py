"""Profiles of generated frames, made the way ingestion makes them (validate_file on Parquet)."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.parquet as pq

from mlops.config import DatasetConfig, DriftConfig
from mlops.data import validate_file
from mlops.data.profile import DatasetProfile
from mlops.drift import DriftPolicy, DriftReport, check_frame


def dataset(**specs: str | dict[str, Any]) -> DatasetConfig:
    """A nullable column per keyword: a dtype, or a column spec without the name."""
    columns: list[dict[str, Any]] = [
        {"name": name, "nullable": True} | ({"dtype": spec} if isinstance(spec, str) else spec)
        for name, spec in specs.items()
    ]
    return DatasetConfig.model_validate(
        {"format": "parquet", "target": columns[0]["name"], "columns": columns, "row_count": {"min": 0}}
    )


def profile_of(frame: pd.DataFrame, schema: DatasetConfig, reference: DatasetProfile | None = None) -> DatasetProfile:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    buffer.seek(0)
    report = validate_file(buffer, schema, file_name="t.parquet", max_uncompressed_bytes=2**34, reference=reference)
    assert report.verdict == "accepted" and report.profile is not None, report.errors
    return report.profile


def run_check(reference: DatasetProfile, current: pd.DataFrame, schema: DatasetConfig, **drift: Any) -> DriftReport:
    policy = DriftPolicy.for_dataset(DriftConfig.model_validate(drift), schema)
    return check_frame(reference, current, policy, dataset="test", baseline="v1", current="frame")
