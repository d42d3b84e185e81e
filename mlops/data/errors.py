"""Typed errors of the data package.

Bad *data* never raises out of `validate_file`: a `DataStructureError` raised while reading is
turned into a rejected report there. The errors below escape only where the caller asked for
something impossible (an unknown dataset, merging profiles of different schemas).
"""

from __future__ import annotations

from enum import StrEnum

from mlops.errors import MlopsError


class StructureCode(StrEnum):
    """Why a file could not be read as a table at all. Reported as check `structure.<code>`."""

    EMPTY_FILE = "empty_file"
    BLANK_HEADER = "blank_header"
    HEADER_ONLY = "header_only"
    UNDECODABLE = "undecodable"
    WRONG_DELIMITER = "wrong_delimiter"
    RAGGED_ROWS = "ragged_rows"
    UNTERMINATED_QUOTE = "unterminated_quote"
    PARSE_ERROR = "parse_error"
    CORRUPT_GZIP = "corrupt_gzip"
    CORRUPT_PARQUET = "corrupt_parquet"
    NOT_TABULAR = "not_tabular"
    DECOMPRESSION_LIMIT = "decompression_limit"
    #: bytes of a format we do not read as a table (JSON, JSON Lines, gzip-wrapped Parquet)
    UNSUPPORTED_FORMAT = "unsupported_format"
    #: the name says another format than the bytes (CSV under .parquet, gzip under .csv, ...)
    NAME_MISMATCH = "name_mismatch"


class DataStructureError(MlopsError):
    """A file is not a readable table: empty, binary, corrupt, ragged, over the size limit..."""

    error_name = "Mlops.DataStructureError"
    exit_code = 1

    def __init__(
        self,
        code: StructureCode,
        message: str,
        *,
        rows: list[int] | None = None,
        lines: list[int | None] | None = None,
        count: int = 0,
        samples: list[str] | None = None,
    ) -> None:
        self.code = code
        self.message = " ".join(message.split())  # one line, also when it quotes a library error
        #: 1-based data rows (header excluded) where the problem was seen, when known
        self.rows = rows
        #: 1-based physical line where each of `rows` starts (None where not known)
        self.lines: list[int | None] | None = list(lines) if lines is not None else None
        #: how many rows are affected; 0 when the problem is about the file as a whole
        self.count = count
        #: raw text of the affected rows, parallel to `rows` where both are known
        self.samples = samples or []
        super().__init__(f"{code}: {self.message}")


class UnknownDatasetError(MlopsError):
    """The dataset name is not declared in the project config."""

    error_name = "Mlops.UnknownDatasetError"
    exit_code = 2

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        listed = ", ".join(sorted(known)) or "none"
        super().__init__(f"unknown dataset {name!r}; the config declares: {listed}")


class ProfileMismatchError(MlopsError):
    """Two profiles cannot be merged: they describe different schemas or column kinds."""

    error_name = "Mlops.ProfileMismatchError"
    exit_code = 1
