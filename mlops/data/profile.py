"""Statistics profiles: built chunk by chunk during validation, merged across files.

The JSON form (`DatasetProfile`) is documented in docs/profile-format.md. Everything in it is
either exact and additive (counts, min, max, sketch buckets, frequency tables) or derived from
additive state, so a profile is the same whatever the chunk size, and profiles of the objects
of one data version merge into the profile of the whole version.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

PROFILE_FORMAT: Literal["mlops.profile/v1"] = "mlops.profile/v1"
HISTOGRAM_BINS = 20
QUANTILES: dict[str, float] = {"p1": 0.01, "p5": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95, "p99": 0.99}
MAX_CATEGORIES = 100
HistogramSource = Literal["declared", "reference", "observed"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Buckets(_Model):
    keys: list[int]
    counts: list[int]


class Sketch(_Model):
    relative_accuracy: float
    min_indexable: float
    zero_count: int
    positive: Buckets
    negative: Buckets


class Histogram(_Model):
    edges: list[float]
    counts: list[int]
    underflow: int
    overflow: int
    source: HistogramSource
    exact: bool


class NumericProfile(_Model):
    kind: Literal["numeric"] = "numeric"
    dtype: Literal["integer", "float"]
    count: int
    null_count: int
    invalid_count: int
    infinite_count: int
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    quantiles: dict[str, float] | None
    histogram: Histogram | None
    sketch: Sketch


class Frequency(_Model):
    value: str
    count: int


class CategoricalProfile(_Model):
    kind: Literal["categorical"] = "categorical"
    dtype: Literal["string", "category", "boolean"]
    count: int
    null_count: int
    invalid_count: int
    frequencies: list[Frequency]
    other_count: int
    max_values: int


class DatetimeProfile(_Model):
    kind: Literal["datetime"] = "datetime"
    dtype: Literal["datetime"] = "datetime"
    count: int
    null_count: int
    invalid_count: int
    min: str | None
    max: str | None


ColumnProfile = Annotated[NumericProfile | CategoricalProfile | DatetimeProfile, Field(discriminator="kind")]


class DatasetProfile(_Model):
    format: Literal["mlops.profile/v1"] = PROFILE_FORMAT
    schema_hash: str
    files: int
    rows: int
    columns: dict[str, ColumnProfile]
