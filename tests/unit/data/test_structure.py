"""Every structural error code: a rejected report with one `structure.<code>` error, no profile."""

import gzip
import io
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.data import StructureCode, ValidationReport

from .helpers import OneShotStream, dataset, run

SCHEMA = dataset({"name": "a", "dtype": "integer"}, {"name": "b", "dtype": "string", "nullable": True})


def structural(report: ValidationReport, code: StructureCode) -> tuple[int, list[int], str]:
    assert report.verdict == "rejected"
    assert report.profile is None
    assert len(report.errors) == 1, report.errors
    error = report.errors[0]
    assert error.check == f"structure.{code}"
    assert error.column is None
    assert "\n" not in error.message
    return error.rows, [e.row for e in error.examples], error.message


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@pytest.mark.parametrize("data", [b"", gzip.compress(b"")])
def test_empty_file(data: bytes) -> None:
    structural(run(data, SCHEMA), StructureCode.EMPTY_FILE)


def test_only_blank_lines_is_an_empty_file() -> None:
    structural(run(b"\n \r\n\n", SCHEMA), StructureCode.EMPTY_FILE)


def test_blank_first_line() -> None:
    structural(run(b"\na,b\n1,x\n", SCHEMA), StructureCode.BLANK_HEADER)


@pytest.mark.parametrize("data", [b"a,b\n", b"a,b", b"a,b\n\n\n"])
def test_header_only(data: bytes) -> None:
    structural(run(data, SCHEMA), StructureCode.HEADER_ONLY)


def test_header_only_is_fine_where_zero_rows_are_allowed() -> None:
    schema = dataset({"name": "a", "dtype": "integer"}, row_count={"min": 0})
    report = run(b"a\n", schema)
    assert report.verdict == "accepted" and report.rows == 0


def test_undecodable_data_rows_are_listed() -> None:
    rows, examples, message = structural(
        run(b"a,b\n1,ok\n2,caf\xe9\n3,fine\n4,\xff\xfe\n", SCHEMA), StructureCode.UNDECODABLE
    )
    assert rows == 2 and examples == [2, 4]
    assert "UTF-8" in message


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_ragged_row_that_is_not_utf8_is_undecodable() -> None:
    _, examples, _ = structural(run(b"a,b\n1,x\n2,caf\xe9,extra\n", SCHEMA), StructureCode.UNDECODABLE)
    assert examples == [2]


def test_undecodable_header() -> None:
    structural(run(b"a,b\xe9\n1,2\n", SCHEMA), StructureCode.UNDECODABLE)


def test_utf16_is_undecodable() -> None:
    structural(run("a,b\n1,x\n".encode("utf-16"), SCHEMA), StructureCode.UNDECODABLE)


@pytest.mark.parametrize(("data", "named"), [(b"a;b\n1;x\n", "semicolon"), (b"a\tb\n1\tx\n", "tab")])
def test_wrong_delimiter(data: bytes, named: str) -> None:
    _, _, message = structural(run(data, SCHEMA), StructureCode.WRONG_DELIMITER)
    assert named in message


def test_ragged_rows_are_counted_with_row_numbers() -> None:
    data = b"a,b\n1,x\n2\n3,y\n4,z,extra\n5,w\n"
    rows, examples, message = structural(run(data, SCHEMA), StructureCode.RAGGED_ROWS)
    assert rows == 2 and examples == [2, 4]
    assert "row 2" in message
    assert run(data, SCHEMA).errors[0].examples[1].value == "4,z,extra"


def test_ragged_rows_in_a_stream_that_cannot_be_reread_are_counted() -> None:
    rows, examples, _ = structural(run(OneShotStream(b"a,b\n1,x\n2\n"), SCHEMA), StructureCode.RAGGED_ROWS)
    assert rows == 1 and examples == []


@pytest.mark.parametrize(
    ("data", "row"),
    [
        (b'a,b\n1,"x\n2,y\n', 1),  # the quote swallows the rest with the right field count
        (b'a,b\n1,x\n2,"y,z\n3,w\n', 2),  # ...or with the wrong one
        (b'a,b\n1,x\n2,"y', 2),  # ...or right at the end
    ],
)
def test_unterminated_quote(data: bytes, row: int) -> None:
    _, examples, _ = structural(run(data, SCHEMA), StructureCode.UNTERMINATED_QUOTE)
    assert examples == [row]


def test_unterminated_quote_in_the_header() -> None:
    structural(run(b'a,"b\n', SCHEMA), StructureCode.UNTERMINATED_QUOTE)


def test_a_record_larger_than_a_block_is_a_parse_error() -> None:
    data = b"a,b\n1," + b"x" * 5000 + b"\n2,y\n"
    structural(run(data, SCHEMA, block_bytes=1024), StructureCode.PARSE_ERROR)


@pytest.mark.parametrize(
    "data",
    [
        gzip.compress(b"a,b\n1,x\n" * 1000)[:40],  # truncated
        gzip.compress(b"a,b\n1,x\n")[:-4],  # trailer cut off
        gzip.compress(b"a,b\n1,x\n") + b"trailing garbage",
        gzip.compress(b"a,b\n1,x\n")[:10] + b"\x00not deflate at all" * 3,
    ],
)
def test_corrupt_gzip(data: bytes) -> None:
    structural(run(data, SCHEMA), StructureCode.CORRUPT_GZIP)


def test_corrupt_parquet() -> None:
    good = parquet_bytes(pa.table({"a": [1, 2], "b": ["x", "y"]}))
    structural(run(good[:-20], SCHEMA), StructureCode.CORRUPT_PARQUET)
    structural(run(good[:30] + b"\x00" * 20 + good[50:], SCHEMA), StructureCode.CORRUPT_PARQUET)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"PK\x03\x04" + bytes(40),
        b"a,b\n1,\x00x\n",
        bytes(range(256)) * 4,
        gzip.compress(gzip.compress(b"a,b\n1,x\n")),
    ],
)
def test_not_tabular(data: bytes) -> None:
    structural(run(data, SCHEMA), StructureCode.NOT_TABULAR)


def test_gzip_bomb_is_cut_off_at_the_limit() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = compressor.compress(b"a,b\n") + compressor.compress(b"1,x\n" * 2_500_000) + compressor.flush()
    assert len(bomb) < 64 * 1024  # ~10 MB of content in a few KiB
    report = run(bomb, SCHEMA, max_uncompressed_bytes=1_000_000)
    _, _, message = structural(report, StructureCode.DECOMPRESSION_LIMIT)
    assert "1000000" in message


def test_the_gzip_reader_never_inflates_past_the_limit() -> None:
    from mlops.data.errors import DataStructureError
    from mlops.data.sources import GzipReader

    reader = GzipReader(io.BytesIO(gzip.compress(bytes(10_000_000))), limit=100_000)
    with pytest.raises(DataStructureError):
        while reader.read(1 << 16):
            pass
    assert reader.produced <= 100_001


def test_parquet_over_the_limit() -> None:
    data = parquet_bytes(pa.table({"a": list(range(10_000)), "b": ["x"] * 10_000}))
    structural(run(data, SCHEMA, max_uncompressed_bytes=2048), StructureCode.DECOMPRESSION_LIMIT)
