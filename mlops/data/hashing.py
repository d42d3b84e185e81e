"""Content hashes: of a dataset's schema (for data-version ids) and of a byte stream."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, BinaryIO

from mlops.config import DatasetConfig

#: bumped whenever the meaning of a schema field changes, so old hashes stop matching
SCHEMA_HASH_VERSION = "mlops.schema/v1"


def _canonical(value: Any) -> Any:
    """JSON-safe and stable: floats keep their repr, non-finite floats become strings."""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def schema_document(dataset: DatasetConfig) -> dict[str, Any]:
    """What the validation outcome depends on; descriptions are left out on purpose."""
    return {
        "version": SCHEMA_HASH_VERSION,
        "format": str(dataset.format),
        "target": dataset.target,
        "allow_extra_columns": dataset.allow_extra_columns,
        "row_count": {"min": dataset.row_count.min, "max": dataset.row_count.max},
        "columns": [
            {
                "name": column.name,
                "dtype": str(column.dtype),
                "nullable": column.nullable,
                "min": column.min,
                "max": column.max,
                "allowed_values": column.allowed_values,
                "unique": column.unique,
                "regex": column.regex,
            }
            for column in dataset.columns
        ],
    }


def schema_hash(dataset: DatasetConfig) -> str:
    """sha256 hex of the canonical JSON of the dataset's schema (sorted keys, no whitespace)."""
    text = json.dumps(_canonical(schema_document(dataset)), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_stream(fileobj: BinaryIO, chunk: int = 1 << 20) -> tuple[str, int]:
    """sha256 hex digest and byte count of everything left in `fileobj`."""
    digest = hashlib.sha256()
    size = 0
    while True:
        block = fileobj.read(chunk)
        if not block:
            break
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size
