"""CSV dialect details, gzip, Parquet (typed columns), paths and streams."""

import datetime as dt
import gzip
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.data import Check

from .helpers import OneShotStream, dataset, errors, run, warnings

SCHEMA = dataset(
    {"name": "id", "dtype": "string", "unique": True},
    {"name": "n", "dtype": "integer", "min": 0},
    {"name": "x", "dtype": "float", "nullable": True},
    {"name": "flag", "dtype": "boolean"},
    {"name": "when", "dtype": "datetime"},
    {"name": "color", "dtype": "category", "allowed_values": ["red", "blue"]},
)
CSV = (
    b"id,n,x,flag,when,color\n"
    b"a,1,0.5,true,2024-01-01,red\n"
    b'"b, quoted",2,,no,2024-01-02T10:00:00Z,blue\n'
    b'"c ""x""\nline 2",3,1e3,1,2024-01-03 00:00,red\n'
)


def test_rfc4180_quoting_with_line_breaks_inside_fields() -> None:
    report = run(CSV, SCHEMA)
    assert report.verdict == "accepted", report.errors
    assert report.rows == 3
    assert report.profile is not None
    frequencies = report.profile.columns["id"].frequencies  # type: ignore[union-attr]
    assert [f.value for f in frequencies] == ["a", "b, quoted", 'c "x"\nline 2']


def test_bom_and_crlf_are_handled() -> None:
    data = b"\xef\xbb\xbf" + CSV.replace(b"\n", b"\r\n").replace(b'x"\r\nline', b'x"\nline')
    report = run(data, SCHEMA)
    assert report.verdict == "accepted", report.errors
    assert report.rows == 3


def test_gzip_gives_the_same_report_as_plain() -> None:
    plain = run(CSV, SCHEMA)
    zipped = run(gzip.compress(CSV), SCHEMA)
    assert zipped.file_name == "test.csv.gz"
    assert zipped.model_dump(exclude={"file_name"}) == plain.model_dump(exclude={"file_name"})


def test_multi_member_gzip_is_read_to_the_end() -> None:
    head, tail = CSV.split(b"a,1", 1)
    report = run(gzip.compress(head) + gzip.compress(b"a,1" + tail), SCHEMA)
    assert report.verdict == "accepted" and report.rows == 3


def test_paths_and_one_shot_streams_give_the_same_report(tmp_path: Path) -> None:
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(CSV))
    from_stream = run(OneShotStream(gzip.compress(CSV)), SCHEMA, file_name="test.csv.gz")
    assert run(path, SCHEMA, file_name="test.csv.gz").model_dump() == from_stream.model_dump()
    assert run(str(path), SCHEMA).verdict == "accepted"


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def typed_table(**overrides: pa.Array) -> pa.Table:
    columns = {
        "id": pa.array(["a", "b", "c"]),
        "n": pa.array([1, 2, 3], pa.int32()),
        "x": pa.array([0.5, None, 1.5]),
        "flag": pa.array([True, False, True]),
        "when": pa.array([dt.datetime(2024, 1, d) for d in (1, 2, 3)], pa.timestamp("us")),
        "color": pa.array(["red", "blue", "red"]).dictionary_encode(),
    }
    columns.update(overrides)
    return pa.table(columns)


@pytest.mark.parametrize("wrap", [bytes, OneShotStream])
def test_parquet_typed_columns_are_accepted(wrap: object) -> None:
    schema = SCHEMA.model_copy(update={"format": "parquet"})
    report = run(wrap(parquet(typed_table())), schema, file_name="t.parquet")  # type: ignore[operator]
    assert report.verdict == "accepted", report.errors
    assert report.rows == 3
    assert report.warnings == []


def test_parquet_values_follow_the_same_rules() -> None:
    table = typed_table(
        n=pa.array([1.0, 2.5, float("nan")]),  # floats in an integer column: integral only; NaN is null
        flag=pa.array([0, 1, 2]),  # 0/1 are booleans, 2 is not
        when=pa.array(["2024-01-01", "not a date", None]),  # text is parsed like in a CSV
        color=pa.array(["red", "green", "blue"]),
    )
    found = errors(run(parquet(table), SCHEMA))
    assert [(e.row, e.value) for e in found[("n", Check.DTYPE)].examples] == [(2, "2.5")]
    assert found[("n", Check.NOT_NULL)].rows == 1
    assert found[("flag", Check.DTYPE)].rows == 1
    assert found[("when", Check.DTYPE)].rows == 1 and found[("when", Check.NOT_NULL)].rows == 1
    assert found[("color", Check.ALLOWED_VALUES)].rows == 1


def test_a_parquet_column_of_an_impossible_type_fails_dtype_on_every_value() -> None:
    table = typed_table(n=pa.array([[1], [2], None], pa.list_(pa.int64())))
    found = errors(run(parquet(table), SCHEMA))
    assert found[("n", Check.DTYPE)].rows == 2


def test_the_declared_format_is_a_hint_the_content_decides() -> None:
    report = run(parquet(typed_table()), SCHEMA)  # SCHEMA says csv
    assert report.verdict == "accepted"
    assert (None, Check.FORMAT_MISMATCH) in warnings(report)
