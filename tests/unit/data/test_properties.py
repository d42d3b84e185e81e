"""validate_file never raises on bad data: any bytes, any mangling of a valid CSV."""

import gzip

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops.data import ValidationReport

from .helpers import dataset, run

# pyarrow cannot hand a ragged row that is not UTF-8 to its invalid-row handler; it reports
# that on sys.unraisablehook (and the file is still rejected, see test_structure.py)
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

FAST = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
SCHEMA = dataset(
    {"name": "id", "dtype": "string", "unique": True, "regex": "[a-z][0-9]+"},
    {"name": "n", "dtype": "integer", "min": 0, "nullable": True},
    {"name": "x", "dtype": "float", "allowed_values": [0.5, 1.5, 2.5]},
    {"name": "flag", "dtype": "boolean"},
    {"name": "when", "dtype": "datetime", "nullable": True},
    {"name": "color", "dtype": "category", "allowed_values": ["red", "blue"]},
)
VALID = (
    b"id,n,x,flag,when,color\n"
    b"a1,1,0.5,true,2024-01-01,red\n"
    b'b2,,1.5,no,"2024-01-02T10:00:00Z",blue\n'
    b'c3,3,2.5,1,,"red"\n'
    b"d4,4,0.5,false,2024-01-04 12:00,blue\n"
)


def check(report: ValidationReport) -> None:
    assert report.verdict in ("accepted", "rejected")
    assert (report.verdict == "accepted") == (not report.errors)
    for failure in report.errors + report.warnings:
        assert len(failure.examples) <= 5
        # row 0 is the header, which only structural errors point at
        assert all(e.row >= (0 if failure.check.startswith("structure.") else 1) for e in failure.examples)
        assert all(e.line is None or e.line >= max(e.row, 1) for e in failure.examples)
        assert "\n" not in failure.message
    report.to_summary_json()


def test_the_valid_fixture_is_accepted() -> None:
    assert run(VALID, SCHEMA).verdict == "accepted"


@FAST
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    check(run(data, SCHEMA))


@FAST
@given(st.binary(max_size=300))
def test_arbitrary_bytes_behind_a_valid_gzip_header(data: bytes) -> None:
    check(run(b"\x1f\x8b\x08\x00" + data, SCHEMA))


NOISE = st.sampled_from(
    [b'"', b",", b"\n", b"\r\n", b";", b"\t", b'""', b"\x00", b"\xff", b"\xef\xbb\xbf", b"nan", b""]
)


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if action == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif action == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 40))]
        elif action == "insert":
            data[at:at] = draw(st.one_of(NOISE, st.binary(min_size=1, max_size=4)))
        else:
            del data[at:]
    return bytes(data)


@FAST
@given(mangled(), st.sampled_from([1, 2, 1000]))
def test_mangled_csv(data: bytes, chunk_rows: int) -> None:
    check(run(data, SCHEMA, chunk_rows=chunk_rows, block_bytes=64))


@FAST
@given(mangled())
def test_mangled_gzip_csv(data: bytes) -> None:
    compressed = gzip.compress(data)
    check(run(compressed, SCHEMA))
    check(run(compressed[: len(compressed) // 2], SCHEMA))
