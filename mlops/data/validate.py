"""`validate_file`: one streaming pass that checks a file against its dataset's schema and
profiles it. Bad data never raises; it becomes a rejected report."""

from __future__ import annotations

import pathlib
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlops.config import NUMERIC_DTYPES, DatasetConfig, DatasetFormat, Dtype
from mlops.data.accumulators import declared_edges
from mlops.data.checks import ColumnRules, ColumnValidator, compile_allowed
from mlops.data.csv_reader import DEFAULT_BLOCK_BYTES, CsvTable
from mlops.data.errors import DataStructureError, StructureCode
from mlops.data.formats import check_format, parquet_type_failures
from mlops.data.hashing import schema_hash
from mlops.data.parquet_reader import ParquetTable
from mlops.data.patterns import full_match
from mlops.data.profile import DatasetProfile, HistogramSource, NumericProfile
from mlops.data.report import Check, CheckFailure, ValidationReport, structural_failure
from mlops.data.sources import open_file
from mlops.data.streaming import Progress, check_chunks
from mlops.errors import ConfigError, ConfigProblem

DEFAULT_CHUNK_ROWS = 131_072
_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def compile_schema(dataset: DatasetConfig, reference: DatasetProfile | None = None) -> list[ColumnRules]:
    """Rules per declared column. A regex that RE2 (Arrow's engine) cannot run is a config
    error: it would reject every file."""
    problems: list[ConfigProblem] = []
    rules: list[ColumnRules] = []
    for index, spec in enumerate(dataset.columns):
        regex = None
        if spec.regex is not None:
            try:
                pc.match_substring_regex(pa.array([""], pa.string()), f"^(?:{spec.regex})$")
            except pa.ArrowInvalid as exc:
                problems.append(ConfigProblem(f"columns.{index}.regex", f"the pattern is not supported by RE2 ({exc})"))
            regex = full_match(spec.regex)
        # histogram bins: the reference profile's (drift: bin live data like its baseline),
        # else the declared bounds; without either, observed ones are chosen at the end
        edges, source = None, "declared"
        if spec.dtype in NUMERIC_DTYPES:
            reference_column = reference.columns.get(spec.name) if reference is not None else None
            if isinstance(reference_column, NumericProfile) and reference_column.histogram is not None:
                edges, source = np.asarray(reference_column.histogram.edges, dtype=np.float64), "reference"
            else:
                edges = declared_edges(spec.min, spec.max)
        allowed, unusable = compile_allowed(spec)
        rules.append(ColumnRules(spec, allowed, unusable, regex, edges, cast(HistogramSource, source)))
    if problems:
        raise ConfigError(problems)
    return rules


@dataclass
class _Layout:
    positions: dict[str, int] = field(default_factory=dict)
    errors: list[CheckFailure] = field(default_factory=list)
    warnings: list[CheckFailure] = field(default_factory=list)


def _file_level(check: Check, column: str | None, message: str) -> CheckFailure:
    return CheckFailure(check=check, column=column, rows=0, examples=[], message=message)


def resolve_columns(names: list[str], dataset: DatasetConfig, *, is_csv: bool) -> _Layout:
    declared = [c.name for c in dataset.columns]
    if is_csv and len(names) == 1 and len(declared) > 1:
        for delimiter, label in _DELIMITERS.items():
            if delimiter in names[0]:
                raise DataStructureError(
                    StructureCode.WRONG_DELIMITER,
                    f"the header is a single field containing '{label}' characters: the file looks "
                    f"{label}-separated, but columns must be separated by commas",
                )
    layout = _Layout()
    counts = Counter(names)
    for name, count in counts.items():
        if count > 1:
            layout.errors.append(
                _file_level(Check.DUPLICATE_COLUMN, name, f"the header names column {name!r} {count} times")
            )
    for index, name in enumerate(names):
        layout.positions.setdefault(name, index)
    for name in declared:
        if name not in layout.positions:
            layout.errors.append(_file_level(Check.MISSING_COLUMN, name, f"required column {name!r} is missing"))
    extra = [n for n in counts if n not in set(declared)]
    for name in extra:
        if dataset.allow_extra_columns:
            layout.warnings.append(
                _file_level(Check.UNEXPECTED_COLUMN, name, f"column {name!r} is not declared; it is ignored")
            )
        else:
            layout.errors.append(
                _file_level(Check.UNEXPECTED_COLUMN, name, f"column {name!r} is not declared in the schema")
            )
    present = [n for n in declared if n in layout.positions]
    in_file_order = sorted(present, key=lambda n: layout.positions[n])
    if in_file_order != present:
        # the warning names the first declared column found out of its place
        moved = next(d for d, f in zip(present, in_file_order, strict=True) if d != f)
        layout.warnings.append(
            _file_level(
                Check.COLUMN_ORDER,
                moved,
                f"the columns are in a different order than declared (first out of place: {moved!r}, "
                f"column {layout.positions[moved] + 1} of the file); they are checked by name",
            )
        )
    return layout


def validate_file(
    source: str | pathlib.Path | BinaryIO,
    dataset: DatasetConfig,
    *,
    file_name: str,
    max_uncompressed_bytes: int,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    reference: DatasetProfile | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> ValidationReport:
    """Validate and profile one CSV (optionally gzip) or Parquet file against `dataset`.

    `reference`: a profile whose numeric histogram edges are reused (drift baselines).
    Raises only for programming errors (bad arguments), a schema RE2 cannot run (ConfigError)
    and I/O errors of the source itself; everything wrong with the data is in the report."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    rules = compile_schema(dataset, reference)
    digest = schema_hash(dataset)
    progress = Progress()
    try:
        with open_file(source, limit=max_uncompressed_bytes) as opened:
            check_format(opened, file_name, dataset)
            if opened.kind == "csv":
                csv_table = CsvTable(opened, block_bytes=block_bytes)
                names = csv_table.column_names
                layout = resolve_columns(names, dataset, is_csv=True)
                present = [r for r in rules if r.spec.name in layout.positions]
                batches = csv_table.batches([layout.positions[r.spec.name] for r in present])
            else:
                parquet_table = ParquetTable(opened, limit=max_uncompressed_bytes)
                layout = resolve_columns(parquet_table.column_names, dataset, is_csv=False)
                present = [r for r in rules if r.spec.name in layout.positions]
                stored = {r.spec.name: parquet_table.column_types[layout.positions[r.spec.name]] for r in present}
                layout.errors += parquet_type_failures([r.spec for r in present], stored)
                categories = [layout.positions[r.spec.name] for r in present if r.spec.dtype == Dtype.CATEGORY]
                batches = parquet_table.batches(
                    [layout.positions[r.spec.name] for r in present], rows_per_batch=chunk_rows, encoded=categories
                )
            validators = [ColumnValidator(r) for r in present]
            try:
                check_chunks(batches, validators, chunk_rows, progress)
            except DataStructureError as exc:
                if opened.kind == "csv":
                    csv_table.locate(exc)
                raise
            if progress.rows == 0 and dataset.row_count.min > 0:
                raise DataStructureError(StructureCode.HEADER_ONLY, "the file has a header but no data rows")
            expected = DatasetFormat.PARQUET if opened.kind == "parquet" else DatasetFormat.CSV
            if expected != dataset.format:
                layout.warnings.insert(
                    0,
                    _file_level(
                        Check.FORMAT_MISMATCH, None, f"the dataset is declared {dataset.format}, the file is {expected}"
                    ),
                )
    except DataStructureError as exc:
        return ValidationReport(
            file_name=file_name,
            schema_hash=digest,
            verdict="rejected",
            rows=progress.rows,
            errors=[structural_failure(exc)],
            warnings=[],
            profile=None,
        )
    errors = list(layout.errors)
    warnings = list(layout.warnings)
    for rule in present:
        for value in rule.unusable_allowed:
            warnings.append(
                _file_level(
                    Check.UNUSABLE_ALLOWED_VALUE,
                    rule.spec.name,
                    f"allowed value {value!r} is not a {rule.spec.dtype} value and can never match",
                )
            )
    for validator in validators:
        errors += validator.failures()
        warnings += validator.warnings()
    errors += _row_count_failures(progress.rows, dataset)
    profile = DatasetProfile(
        schema_hash=digest,
        files=1,
        rows=progress.rows,
        columns={v.name: v.profile() for v in validators},
    )
    return ValidationReport(
        file_name=file_name,
        schema_hash=digest,
        verdict="rejected" if errors else "accepted",
        rows=progress.rows,
        errors=errors,
        warnings=warnings,
        profile=profile,
    )


def _row_count_failures(rows: int, dataset: DatasetConfig) -> list[CheckFailure]:
    bounds = dataset.row_count
    if rows < bounds.min:
        return [_file_level(Check.ROW_COUNT, None, f"{rows} data row(s); at least {bounds.min} required")]
    if bounds.max is not None and rows > bounds.max:
        return [_file_level(Check.ROW_COUNT, None, f"{rows} data row(s); at most {bounds.max} allowed")]
    return []
