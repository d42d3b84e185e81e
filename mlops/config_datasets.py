"""The `datasets:` section of the project config: each dataset's format, target and column
schema (what ingestion validates every file against), and the checks across its fields.

Re-exported by mlops.config (import from there); a module of its own because it is the
largest section and the only one with a per-dataset schema."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlops.errors import ConfigProblem

ColumnName = Annotated[str, Field(min_length=1, max_length=128)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dtype(StrEnum):
    INTEGER = "integer"
    FLOAT = "float"
    STRING = "string"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    CATEGORY = "category"


NUMERIC_DTYPES = frozenset({Dtype.INTEGER, Dtype.FLOAT})


class ColumnSpec(_Model):
    name: ColumnName
    dtype: Dtype
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed_values: list[str | int | float | bool] | None = None
    unique: bool = False
    regex: str | None = None
    description: str = ""

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from exc
        return value


class RowCount(_Model):
    min: int = Field(default=1, ge=0)
    max: int | None = Field(default=None, ge=1)


class DatasetFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


class DatasetConfig(_Model):
    description: str = ""
    format: DatasetFormat = DatasetFormat.CSV
    target: ColumnName
    columns: list[ColumnSpec] = Field(min_length=1)
    row_count: RowCount = RowCount()
    allow_extra_columns: bool = False


def dataset_problems(ds_name: str, ds: DatasetConfig) -> Iterable[ConfigProblem]:
    base = f"datasets.{ds_name}"
    seen: set[str] = set()
    for i, column in enumerate(ds.columns):
        if column.name in seen:
            yield ConfigProblem(f"{base}.columns.{i}.name", f"duplicate column name {column.name!r}")
        seen.add(column.name)
    if ds.target not in seen:
        yield ConfigProblem(f"{base}.target", f"target column {ds.target!r} is not among the columns")
    for i, col in enumerate(ds.columns):
        where = f"{base}.columns.{i}"
        if (col.min is not None or col.max is not None) and col.dtype not in NUMERIC_DTYPES:
            yield ConfigProblem(where, f"min/max only apply to numeric columns, {col.name!r} is {col.dtype}")
        if col.min is not None and col.max is not None and col.min > col.max:
            yield ConfigProblem(where, f"min {col.min} is greater than max {col.max}")
        if col.regex is not None and col.dtype not in {Dtype.STRING, Dtype.CATEGORY}:
            yield ConfigProblem(f"{where}.regex", f"regex only applies to string columns, {col.name!r} is {col.dtype}")
        if col.allowed_values is not None and len(col.allowed_values) == 0:
            yield ConfigProblem(f"{where}.allowed_values", "allowed_values must not be empty")
    if ds.row_count.max is not None and ds.row_count.max < ds.row_count.min:
        yield ConfigProblem(f"{base}.row_count", "max is smaller than min")
