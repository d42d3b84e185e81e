"""Every structural error says where: the data row (header = row 0, blank lines are not rows)
and the physical line where that row starts. The fixtures put a multi-line quoted field and a
blank line before the problem, so row and line differ."""

import gzip

import pytest

from mlops.data import StructureCode, ValidationReport

from .helpers import dataset, run

SCHEMA = dataset({"name": "a", "dtype": "integer"}, {"name": "b", "dtype": "string", "nullable": True})
# line 1 header; lines 2-3 row 1 (a quoted line break); line 4 blank; line 5 row 2; line 6 row 3
BEFORE = b'a,b\n1,"two\nlines"\n\n'


def where(report: ValidationReport, code: StructureCode) -> list[tuple[int, int | None]]:
    assert report.verdict == "rejected"
    [error] = report.errors
    assert error.check == f"structure.{code}"
    return [(e.row, e.line) for e in error.examples]


@pytest.mark.parametrize("wrap", [lambda d: d, gzip.compress])
def test_a_ragged_row_names_its_row_and_line(wrap: object) -> None:
    data = BEFORE + b"2,x,extra\n3,y\n4,z,more\n"
    report = run(wrap(data), SCHEMA)  # type: ignore[operator]
    assert where(report, StructureCode.RAGGED_ROWS) == [(2, 5), (4, 7)]
    assert "row 2, line 5" in report.errors[0].message


def test_an_undecodable_row_names_its_row_and_line() -> None:
    report = run(BEFORE + b"2,ok\n3,caf\xe9\n", SCHEMA)
    assert where(report, StructureCode.UNDECODABLE) == [(3, 6)]
    assert "row 3 starts on line 6" in report.errors[0].message


def test_a_ragged_row_that_is_also_undecodable_names_its_row_and_line() -> None:
    report = run(BEFORE + b"2,ok\n3,\xff,\xfe\n", SCHEMA)
    assert where(report, StructureCode.UNDECODABLE) == [(3, 6)]


@pytest.mark.parametrize("wrap", [lambda d: d, gzip.compress])
def test_an_unterminated_quote_names_the_row_and_line_where_it_opens(wrap: object) -> None:
    data = BEFORE + b'2,"never closed\n3,y\n4,z\n'
    report = run(wrap(data), SCHEMA)  # type: ignore[operator]
    assert where(report, StructureCode.UNTERMINATED_QUOTE) == [(2, 5)]
    assert "line 5" in report.errors[0].message


def test_a_nul_byte_names_its_row_and_line() -> None:
    report = run(BEFORE + b"2,ok\n3,x\x00y\n", SCHEMA)
    [(row, line)] = where(report, StructureCode.NOT_TABULAR)
    assert (row, line) == (3, 6)
    assert "row 3 (line 6)" in report.errors[0].message


def test_crlf_blank_lines_are_not_rows() -> None:
    report = run(b'a,b\r\n1,"q\r\nq"\r\n\r\n2,x\x00\r\n', SCHEMA)
    assert where(report, StructureCode.NOT_TABULAR) == [(2, 5)]


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"a,\xffb\n1,x\n", StructureCode.UNDECODABLE), (b'a,"b\n', StructureCode.UNTERMINATED_QUOTE)],
)
def test_header_errors_point_at_line_one_row_zero(data: bytes, code: StructureCode) -> None:
    assert where(run(data, SCHEMA), code) == [(0, 1)]


def test_the_summary_carries_the_line() -> None:
    summary = run(BEFORE + b"2,x,extra\n", SCHEMA).to_summary_json()
    assert summary["errors"][0]["examples"][0] | {"value": ""} == {"row": 2, "line": 5, "value": ""}
