"""The coercion rules, value by value, and the fast/slow path agreement they rely on."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops.config import Dtype
from mlops.data import coerce as coerce_module
from mlops.data.coerce import coerce

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)


def outcome(dtype: Dtype, values: list[str | None]) -> list[str]:
    """'null', 'invalid' or the typed value, per input."""
    typed = coerce(pa.array(values, pa.string()), dtype)
    result = []
    for i in range(len(values)):
        if typed.null[i]:
            result.append("null")
        elif typed.invalid[i]:
            result.append("invalid")
        elif typed.integers is not None:
            result.append(str(int(typed.integers[i])))
        elif typed.numbers is not None:
            result.append(repr(float(typed.numbers[i])))
        elif typed.booleans is not None:
            result.append(str(bool(typed.booleans[i])))
        elif typed.nanos is not None:
            result.append(str(int(typed.nanos[i])))
        else:
            assert typed.text is not None
            result.append(typed.text[i].as_py())
    return result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", "42"),
        ("-7", "-7"),
        ("+3", "3"),
        ("007", "7"),
        ("3.0", "3"),
        ("3.", "3"),
        ("-2.000", "-2"),
        ("3.5", "invalid"),
        ("1e3", "invalid"),
        (" 3", "invalid"),
        ("3 ", "invalid"),
        ("0x1A", "invalid"),
        ("9223372036854775807", "9223372036854775807"),
        ("9223372036854775808", "invalid"),
        ("inf", "invalid"),
        ("nan", "null"),
        ("NaN", "null"),
        (None, "null"),
    ],
)
def test_integer_rules(text: str | None, expected: str) -> None:
    # one bad value sends the whole chunk down the slow path: test both paths
    assert outcome(Dtype.INTEGER, [text])[0] == expected
    assert outcome(Dtype.INTEGER, [text, "x"])[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", "1.5"),
        ("-.5", "-0.5"),
        ("+2", "2.0"),
        ("5.", "5.0"),
        ("1e3", "1000.0"),
        ("1.5E-3", "0.0015"),
        ("inf", "inf"),
        ("-Infinity", "-inf"),
        ("1e999", "inf"),
        ("nan", "null"),
        ("-NaN", "null"),
        ("1,5", "invalid"),
        ("1.2.3", "invalid"),
        ("abc", "invalid"),
        (" 1", "invalid"),
        ("", "null"),
    ],
)
def test_float_rules(text: str, expected: str) -> None:
    assert outcome(Dtype.FLOAT, [text or None])[0] == expected
    assert outcome(Dtype.FLOAT, [text or None, "x"])[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", "True"),
        ("TRUE", "True"),
        ("Yes", "True"),
        ("1", "True"),
        ("false", "False"),
        ("No", "False"),
        ("0", "False"),
        ("t", "invalid"),
        ("y", "invalid"),
        ("2", "invalid"),
        (" true", "invalid"),
    ],
)
def test_boolean_rules(text: str, expected: str) -> None:
    assert outcome(Dtype.BOOLEAN, [text])[0] == expected


def _nanos(iso: str) -> str:
    return str(np.datetime64(iso, "ns").astype(np.int64))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", _nanos("2024-05-01T00:00:00")),
        ("2024-05-01T12:30", _nanos("2024-05-01T12:30:00")),
        ("2024-05-01 12:30:15", _nanos("2024-05-01T12:30:15")),
        ("2024-05-01T12:30:15.123456789", _nanos("2024-05-01T12:30:15.123456789")),
        ("2024-05-01T12:30:15Z", _nanos("2024-05-01T12:30:15")),
        ("2024-05-01T12:30:15+02:00", _nanos("2024-05-01T10:30:15")),
        ("2024-05-01T12:30:15-0130", _nanos("2024-05-01T14:00:15")),
        ("2024-02-30", "invalid"),
        ("2024-05-01T25:00", "invalid"),
        ("01/05/2024", "invalid"),
        ("2024-5-1", "invalid"),
        ("1600-01-01", "invalid"),  # outside the nanosecond range
        ("yesterday", "invalid"),
    ],
)
def test_datetime_rules(text: str, expected: str) -> None:
    assert outcome(Dtype.DATETIME, [text])[0] == expected
    assert outcome(Dtype.DATETIME, [text, "x"])[0] == expected


@pytest.mark.parametrize("dtype", [Dtype.STRING, Dtype.CATEGORY])
def test_text_is_any_text_and_never_trimmed(dtype: Dtype) -> None:
    assert outcome(dtype, [" a ", "nan", "é", None]) == [" a ", "nan", "é", "null"]


NUMBERISH = st.text(alphabet="0123456789+-.eEinfatyINFATY()_ ", max_size=12)
DATEISH = st.text(alphabet="0123456789-:T .Z+", max_size=32)


@PROPERTY
@given(NUMBERISH)
def test_the_float_prefilter_admits_everything_arrow_parses(text: str) -> None:
    """The slow path pre-filters with a regex; it must never drop a value the fast path takes."""
    try:
        pc.cast(pa.array([text]), pa.float64())
    except pa.ArrowInvalid:
        return
    assert pc.match_substring_regex(pa.array([text]), coerce_module.FLOAT_PREFILTER)[0].as_py()


@PROPERTY
@given(st.one_of(DATEISH, st.datetimes().map(lambda d: d.isoformat())))
def test_the_datetime_prefilter_admits_everything_arrow_parses(text: str) -> None:
    for target in (coerce_module.TIMESTAMP, coerce_module.TIMESTAMP_UTC):
        try:
            pc.cast(pa.array([text]), target)
        except pa.ArrowInvalid:
            continue
        assert pc.match_substring_regex(pa.array([text]), coerce_module.DATETIME_PREFILTER)[0].as_py()


@PROPERTY
@given(st.lists(st.one_of(NUMBERISH, st.none()), min_size=1, max_size=8))
def test_fast_and_slow_paths_agree(values: list[str | None]) -> None:
    """A value's fate must not depend on its neighbours (which decide the path)."""
    for dtype in (Dtype.FLOAT, Dtype.INTEGER, Dtype.DATETIME):
        together = outcome(dtype, values)
        alone = [outcome(dtype, [v])[0] for v in values]
        assert together == alone
