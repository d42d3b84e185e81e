"""Data validation, profiling and content hashing for datasets declared in mlops.yaml."""

from mlops.data.errors import DataStructureError, ProfileMismatchError, StructureCode, UnknownDatasetError
from mlops.data.hashing import schema_hash, sha256_stream
from mlops.data.profile import (
    CategoricalProfile,
    DatasetProfile,
    DatetimeProfile,
    Histogram,
    NumericProfile,
)
from mlops.data.report import Check, CheckFailure, Example, ValidationReport
from mlops.data.validate import DEFAULT_CHUNK_ROWS, validate_file

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "CategoricalProfile",
    "Check",
    "CheckFailure",
    "DataStructureError",
    "DatasetProfile",
    "DatetimeProfile",
    "Example",
    "Histogram",
    "NumericProfile",
    "ProfileMismatchError",
    "StructureCode",
    "UnknownDatasetError",
    "ValidationReport",
    "schema_hash",
    "sha256_stream",
    "validate_file",
]
