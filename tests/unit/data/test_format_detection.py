"""Bytes over names: the content decides what a file is, and the name must say the same."""

import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.data import Check, StructureCode, ValidationReport

from .helpers import dataset, errors, run

SCHEMA = dataset({"name": "n", "dtype": "integer"}, {"name": "s", "dtype": "string"})
PARQUET_SCHEMA = SCHEMA.model_copy(update={"format": "parquet"})
CSV = b"n,s\n1,a\n2,b\n"


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


PARQUET = parquet(pa.table({"n": pa.array([1, 2]), "s": pa.array(["a", "b"])}))
JSON_LINES = b'{"n": 1, "s": "a"}\n{"n": 2, "s": "b"}\n'


def only_structural(report: ValidationReport) -> tuple[str, str]:
    assert report.verdict == "rejected"
    [error] = report.errors
    assert error.column is None and error.rows == 0
    return error.check, error.message


@pytest.mark.parametrize(
    ("data", "name", "says", "wants"),
    [
        (CSV, "data.parquet", "text (read as CSV)", ".csv"),
        (PARQUET, "data.csv", "Parquet", ".parquet"),
        (gzip.compress(CSV), "data.csv", "gzip-compressed CSV", ".csv.gz"),
        (CSV, "data.csv.gz", "text (read as CSV)", ".csv"),
        (CSV, "data.txt", "text (read as CSV)", ".csv"),
        (CSV, "data", "text (read as CSV)", ".csv"),
    ],
)
def test_a_name_contradicting_the_bytes_is_rejected_naming_both(data: bytes, name: str, says: str, wants: str) -> None:
    check, message = only_structural(run(data, SCHEMA, file_name=name))
    assert check == f"structure.{StructureCode.NAME_MISMATCH}"
    assert f"the bytes are {says}," in message and f"name it {wants} " in message
    assert ".csv.gz" in message  # what the (csv) dataset accepts


@pytest.mark.parametrize("name", ["data.json", "data.jsonl", "data.csv"])
def test_json_lines_is_an_unsupported_format_whatever_its_name(name: str) -> None:
    check, message = only_structural(run(JSON_LINES, SCHEMA, file_name=name))
    assert check == f"structure.{StructureCode.UNSUPPORTED_FORMAT}"
    assert "JSON Lines" in message
    assert all(suffix in message for suffix in (".csv", ".csv.gz", ".parquet"))


@pytest.mark.parametrize(
    "data",
    [
        json.dumps([{"n": 1, "s": "a"}]).encode(),
        json.dumps([{"n": 1, "s": "a"}, {"n": 2, "s": "b"}], indent=2).encode(),
        b'\xef\xbb\xbf  {"rows": [\n  {"n": 1}\n]}\n',
    ],
)
def test_a_json_document_is_an_unsupported_format(data: bytes) -> None:
    check, message = only_structural(run(data, SCHEMA, file_name="data.json"))
    assert check == f"structure.{StructureCode.UNSUPPORTED_FORMAT}" and "JSON document" in message


def test_gzip_wrapped_parquet_is_unsupported_under_any_name() -> None:
    for name in ("data.parquet", "data.parquet.gz", "data.csv.gz"):
        check, message = only_structural(run(gzip.compress(PARQUET), PARQUET_SCHEMA, file_name=name))
        assert check == f"structure.{StructureCode.UNSUPPORTED_FORMAT}", name
        assert "gzip-compressed Parquet" in message and "declared parquet" in message


def test_a_csv_whose_header_starts_with_a_bracket_is_still_csv() -> None:
    schema = dataset({"name": "[n]", "dtype": "integer"}, {"name": "{s}", "dtype": "string"})
    report = run(b"[n],{s}\n1,a\n", schema, file_name="d.csv")
    assert report.verdict == "accepted", report.errors


def test_matching_names_are_accepted_in_any_case() -> None:
    assert run(CSV, SCHEMA, file_name="DATA.CSV").verdict == "accepted"
    assert run(gzip.compress(CSV), SCHEMA, file_name="incoming/ds/Data.Csv.Gz").verdict == "accepted"
    assert run(PARQUET, PARQUET_SCHEMA, file_name="incoming/ds/d.parquet").verdict == "accepted"


def test_a_parquet_column_stored_as_text_is_reported_on_that_column() -> None:
    schema = dataset(
        {"name": "n", "dtype": "integer"},
        {"name": "x", "dtype": "float"},
        {"name": "flag", "dtype": "boolean"},
        {"name": "s", "dtype": "string"},
        format="parquet",
    )
    table = pa.table(
        {
            "n": pa.array(["1", "2"]),  # integers written as strings
            "x": pa.array([1, 2], pa.int16()),  # integers in a float column: fine
            "flag": pa.array([0, 1], pa.int8()),  # 0/1 as booleans: fine, checked per value
            "s": pa.array([7, 8]),  # numbers in a string column: readable as text
        }
    )
    report = run(parquet(table), schema, file_name="d.parquet")
    found = errors(report)
    assert list(found) == [("n", Check.PARQUET_TYPE)]
    failure = found[("n", Check.PARQUET_TYPE)]
    assert failure.rows == 0 and "stored as string" in failure.message and "declared integer" in failure.message


def test_a_float_column_of_whole_numbers_is_a_valid_integer_column() -> None:
    table = pa.table({"n": pa.array([1.0, 2.0, None]), "s": pa.array(["a", "b", "c"])})
    schema = dataset({"name": "n", "dtype": "integer", "nullable": True}, {"name": "s", "dtype": "string"})
    report = run(parquet(table), schema.model_copy(update={"format": "parquet"}), file_name="d.parquet")
    assert report.verdict == "accepted", report.errors


def test_content_kinds_map_to_the_one_list_of_supported_suffixes() -> None:
    from mlops.data.formats import SUFFIX_OF_CONTENT

    assert SUFFIX_OF_CONTENT == {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet"}
