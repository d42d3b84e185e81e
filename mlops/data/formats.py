"""What a file is, by its bytes, and whether its name says the same.

The bytes decide: gzip and Parquet by their magic numbers (sources.py), JSON by its first
line, anything else that is text is CSV. The name must then agree with the bytes, because
everything downstream (the training and evaluation containers, pandas) picks its reader by
the file name: CSV bytes under `.parquet`, or gzip under `.csv`, would be accepted here and
fail in a training job.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import pyarrow as pa

from mlops.config import ColumnSpec, DatasetConfig, DatasetFormat, Dtype
from mlops.data.errors import DataStructureError, StructureCode
from mlops.data.report import Check, CheckFailure
from mlops.data.sources import OpenedFile
from mlops.layout import SUPPORTED_SUFFIXES, suffix_of

#: the file names each content is read under, in the order they are recommended
SUFFIX_OF_CONTENT = dict(zip(("csv", "csv.gz", "parquet"), SUPPORTED_SUFFIXES, strict=True))
_CONTENT_LABEL = {"csv": "text (read as CSV)", "csv.gz": "gzip-compressed CSV", "parquet": "Parquet"}


def accepted_files(dataset: DatasetConfig) -> str:
    """What the dataset takes, for messages."""
    if dataset.format == DatasetFormat.PARQUET:
        return "the dataset is declared parquet: upload .parquet files"
    return "the dataset is declared csv: upload .csv files, or .csv.gz for gzip-compressed CSV"


def _json_kind(head: bytes) -> str | None:
    """'JSON Lines' or 'a JSON document' when the text starts like one, else None. A CSV header
    never parses as a JSON object or array, so this cannot turn away a real CSV."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if not text.startswith((b"{", b"[")):
        return None
    first, _, rest = text.partition(b"\n")
    first = first.strip()
    try:
        value = json.loads(first)
    except ValueError:
        value = None
    if isinstance(value, dict) and (not rest.strip() or rest.lstrip().startswith(b"{")):
        return "JSON Lines (one JSON object per line)"
    if isinstance(value, list) or first in (b"{", b"[") or first.startswith((b'{"', b"[{", b'["', b"[[")):
        return "a JSON document"
    return None


def check_format(opened: OpenedFile, file_name: str, dataset: DatasetConfig) -> None:
    """Raise DataStructureError when the bytes are not a format we read, or when the name says
    a different format than the bytes."""
    accepts = accepted_files(dataset)
    if opened.kind == "parquet" and opened.compressed:
        raise DataStructureError(
            StructureCode.UNSUPPORTED_FORMAT,
            "the bytes are gzip-compressed Parquet: Parquet compresses its own columns, and no reader "
            f"takes it wrapped in gzip; upload the .parquet file itself ({accepts})",
        )
    if opened.kind == "csv":
        what = _json_kind(opened.stream.peek(4096))
        if what is not None:
            raise DataStructureError(
                StructureCode.UNSUPPORTED_FORMAT,
                f"the bytes are {what}, not a CSV or Parquet table; tables are read from .csv, .csv.gz "
                f"or .parquet files ({accepts})",
            )
    content = "parquet" if opened.kind == "parquet" else ("csv.gz" if opened.compressed else "csv")
    expected = SUFFIX_OF_CONTENT[content]
    suffix = suffix_of(file_name)
    if suffix != expected:
        named = f"ends in {suffix}" if suffix else "has no suffix"
        raise DataStructureError(
            StructureCode.NAME_MISMATCH,
            f"the bytes are {_CONTENT_LABEL[content]}, but the name {PurePosixPath(file_name).name!r} {named}: "
            f"name it {expected} (training reads each file by its name; {accepts})",
        )


def _parquet_type_fits(dtype: Dtype, kind: pa.DataType) -> bool:
    """Whether a Parquet column of Arrow type `kind` can hold values of `dtype` as such. Floats
    may hold integers (pandas writes integer columns with gaps as floats) and integers 0/1
    booleans: their values are checked one by one. Text never holds numbers, booleans or
    datetimes: a reader downstream would get strings."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_null(kind):
        return True
    numeric = bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))
    match dtype:
        case Dtype.INTEGER | Dtype.FLOAT:
            return numeric
        case Dtype.BOOLEAN:
            return bool(pa.types.is_boolean(kind) or pa.types.is_integer(kind))
        case Dtype.DATETIME:
            return bool(pa.types.is_timestamp(kind) or pa.types.is_date(kind))
    return not (pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind))


def parquet_type_failures(specs: list[ColumnSpec], types: dict[str, pa.DataType]) -> list[CheckFailure]:
    """One `parquet_type` error per declared column whose stored type contradicts its dtype."""
    failures = []
    for spec in specs:
        kind = types.get(spec.name)
        if kind is None or _parquet_type_fits(spec.dtype, kind):
            continue
        failures.append(
            CheckFailure(
                check=Check.PARQUET_TYPE,
                column=spec.name,
                rows=0,
                examples=[],
                message=f"column {spec.name!r} is stored as {kind} in the Parquet file, but it is declared "
                f"{spec.dtype}: write it as a {spec.dtype} column (readers of the file get {kind} values)",
            )
        )
    return failures
