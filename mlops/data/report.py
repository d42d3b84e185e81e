"""The outcome of validating one file."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from mlops.data.errors import DataStructureError
from mlops.data.profile import DatasetProfile

MAX_EXAMPLES = 5
MAX_EXAMPLE_CHARS = 120
#: rows listed per duplicated value (its count is exact)
MAX_DUPLICATE_ROWS = 20


class Check(StrEnum):
    """Names of the checks a report can list (structural ones are `structure.<code>`)."""

    MISSING_COLUMN = "missing_column"
    UNEXPECTED_COLUMN = "unexpected_column"
    DUPLICATE_COLUMN = "duplicate_column"
    COLUMN_ORDER = "column_order"
    DTYPE = "dtype"
    NOT_NULL = "not_null"
    MIN = "min"
    MAX = "max"
    FINITE = "finite"
    ALLOWED_VALUES = "allowed_values"
    UNIQUE = "unique"
    REGEX = "regex"
    ROW_COUNT = "row_count"
    NAN_LITERAL = "nan_literal"
    FORMAT_MISMATCH = "format_mismatch"
    PARQUET_TYPE = "parquet_type"
    UNUSABLE_ALLOWED_VALUE = "unusable_allowed_value"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Example(_Model):
    #: 1-based data row (the header is row 0; blank lines are not rows)
    row: int
    value: str
    #: 1-based physical line where the row starts, where it differs from what the row number
    #: says or cannot be told from it (structural errors); None for value checks
    line: int | None = None


class DuplicateValue(_Model):
    """One value of a unique column that more than one row holds."""

    value: str
    #: the data rows holding it, in file order: the first occurrence first (at most 20)
    rows: list[int]
    #: how many rows hold it, the first occurrence included
    count: int


class CheckFailure(_Model):
    check: str
    #: None for checks about the file as a whole
    column: str | None
    #: how many data rows fail; 0 for checks about the header or the file as a whole
    rows: int
    examples: list[Example]
    message: str
    #: `unique` only: the first duplicated values, each with every row that holds it
    duplicates: list[DuplicateValue] | None = None


class ValidationReport(_Model):
    file_name: str
    schema_hash: str
    verdict: Literal["accepted", "rejected"]
    rows: int
    errors: list[CheckFailure]
    warnings: list[CheckFailure]
    #: None when the file could not be read as a table
    profile: DatasetProfile | None

    def to_summary_json(self) -> dict[str, Any]:
        def brief(failure: CheckFailure) -> dict[str, Any]:
            return {
                "check": failure.check,
                "column": failure.column,
                "rows": failure.rows,
                "examples": [{"row": e.row, "line": e.line, "value": e.value} for e in failure.examples],
                "message": failure.message,
                "duplicates": None
                if failure.duplicates is None
                else [d.model_dump(mode="json") for d in failure.duplicates],
            }

        return {
            "verdict": self.verdict,
            "rows": self.rows,
            "errors": [brief(e) for e in self.errors],
            "warnings": [brief(w) for w in self.warnings],
        }


def clip(value: str) -> str:
    """Example values are shown, not stored: long ones are cut."""
    return value if len(value) <= MAX_EXAMPLE_CHARS else value[: MAX_EXAMPLE_CHARS - 1] + "…"


def structural_failure(exc: DataStructureError) -> CheckFailure:
    rows = exc.rows or []
    samples = exc.samples + [""] * (len(rows) - len(exc.samples))
    lines = (exc.lines or []) + [None] * (len(rows) - len(exc.lines or []))
    examples = [Example(row=r, line=line, value=clip(s)) for r, line, s in zip(rows, lines, samples, strict=False)][
        :MAX_EXAMPLES
    ]
    return CheckFailure(
        check=f"structure.{exc.code}", column=None, rows=exc.count, examples=examples, message=exc.message
    )
