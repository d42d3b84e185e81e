"""Helpers shared by the data tests."""

import io
from pathlib import Path
from typing import Any

from mlops.config import DatasetConfig
from mlops.data import CheckFailure, ValidationReport, validate_file

LIMIT = 50 * 1024 * 1024


def dataset(*columns: dict[str, Any], **options: Any) -> DatasetConfig:
    """A dataset from column dicts; the first column is the target unless given."""
    options.setdefault("target", columns[0]["name"])
    options.setdefault("row_count", {"min": 1})
    return DatasetConfig.model_validate({"columns": list(columns), **options})


def name_for(data: bytes | Any) -> str:
    """A file name that agrees with the bytes, for tests that are about content, not names."""
    if isinstance(data, str | Path):
        return Path(data).name
    head = data[:4] if isinstance(data, bytes) else b""
    if head.startswith(b"\x1f\x8b"):
        return "test.csv.gz"
    return "test.parquet" if head.startswith(b"PAR1") else "test.csv"


def run(data: bytes | Any, schema: DatasetConfig, **kwargs: Any) -> ValidationReport:
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    kwargs.setdefault("max_uncompressed_bytes", LIMIT)
    return validate_file(source, schema, file_name=kwargs.pop("file_name", name_for(data)), **kwargs)


def errors(report: ValidationReport) -> dict[tuple[str | None, str], CheckFailure]:
    return {(e.column, e.check): e for e in report.errors}


def warnings(report: ValidationReport) -> dict[tuple[str | None, str], CheckFailure]:
    return {(w.column, w.check): w for w in report.warnings}


def rows_of(failure: CheckFailure) -> list[int]:
    return [e.row for e in failure.examples]


class OneShotStream(io.RawIOBase):
    """A stream that cannot seek, like an S3 body or a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
