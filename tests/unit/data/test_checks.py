"""One test (at least) per check: failing rows counted, first examples with 1-based rows."""

import math
from typing import Any

import pytest

from mlops.data import Check
from mlops.errors import ConfigError

from .helpers import dataset, errors, rows_of, run, warnings


def csv(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_a_valid_file_is_accepted_with_a_profile() -> None:
    schema = dataset({"name": "x", "dtype": "integer"}, {"name": "y", "dtype": "string"})
    report = run(csv("x,y", "1,a", "2,b"), schema)
    assert report.verdict == "accepted"
    assert report.rows == 2
    assert report.errors == [] and report.warnings == []
    assert report.profile is not None and set(report.profile.columns) == {"x", "y"}


def test_dtype_failures_are_counted_with_examples_and_a_message() -> None:
    schema = dataset({"name": "x", "dtype": "integer"})
    report = run(csv("x", "1", "one", "2", "3.5", "4"), schema)
    failure = errors(report)[("x", Check.DTYPE)]
    assert failure.rows == 2
    assert [(e.row, e.value) for e in failure.examples] == [(2, "one"), (4, "3.5")]
    assert "integer" in failure.message and "\n" not in failure.message
    assert report.verdict == "rejected"


def test_examples_stop_at_five_but_the_count_does_not() -> None:
    schema = dataset({"name": "x", "dtype": "float"})
    report = run(csv("x", *(["bad"] * 12)), schema)
    failure = errors(report)[("x", Check.DTYPE)]
    assert failure.rows == 12
    assert rows_of(failure) == [1, 2, 3, 4, 5]


def test_not_null_fails_only_non_nullable_columns() -> None:
    schema = dataset(
        {"name": "a", "dtype": "string"},
        {"name": "b", "dtype": "string", "nullable": True},
    )
    report = run(csv("a,b", "x,", ",y", '"",z'), schema)
    found = errors(report)
    assert found[("a", Check.NOT_NULL)].rows == 2
    assert rows_of(found[("a", Check.NOT_NULL)]) == [2, 3]
    assert ("b", Check.NOT_NULL) not in found


def test_min_and_max_are_inclusive_bounds() -> None:
    schema = dataset({"name": "x", "dtype": "float", "min": 0, "max": 10})
    report = run(csv("x", "0", "10", "-0.001", "10.5", "5"), schema)
    found = errors(report)
    assert rows_of(found[("x", Check.MIN)]) == [3]
    assert rows_of(found[("x", Check.MAX)]) == [4]
    assert "0" in found[("x", Check.MIN)].message


def test_integer_bounds_apply_to_integer_columns() -> None:
    schema = dataset({"name": "n", "dtype": "integer", "min": 1, "max": 3})
    report = run(csv("n", "0", "1", "3", "4"), schema)
    assert errors(report)[("n", Check.MIN)].rows == 1
    assert errors(report)[("n", Check.MAX)].rows == 1


def test_infinity_fails_the_finite_check_unless_the_bounds_admit_it() -> None:
    strict = dataset({"name": "x", "dtype": "float"})
    report = run(csv("x", "inf", "-Infinity", "1"), strict)
    assert errors(report)[("x", Check.FINITE)].rows == 2
    open_above = dataset({"name": "x", "dtype": "float", "min": 0, "max": math.inf})
    report = run(csv("x", "inf", "-inf", "1"), open_above)
    found = errors(report)
    assert rows_of(found[("x", Check.FINITE)]) == [2]  # -inf is still not admitted
    assert ("x", Check.MIN) not in found  # infinities are judged by `finite` only


def test_nan_literal_is_null_and_a_warning() -> None:
    schema = dataset({"name": "x", "dtype": "float", "nullable": True}, {"name": "n", "dtype": "integer"})
    report = run(csv("x,n", "NaN,1", "1.5,nan"), schema)
    found = errors(report)
    assert ("x", Check.NOT_NULL) not in found
    assert rows_of(found[("n", Check.NOT_NULL)]) == [2]
    assert warnings(report)[("x", Check.NAN_LITERAL)].rows == 1
    assert report.profile is not None
    assert report.profile.columns["x"].null_count == 1


@pytest.mark.parametrize(
    ("column", "values", "failing_rows"),
    [
        ({"dtype": "category", "allowed_values": ["red", "blue"]}, ["red", "Red", "blue", "green"], [2, 4]),
        ({"dtype": "integer", "allowed_values": [0, 1]}, ["0", "1", "1.0", "2"], [4]),
        ({"dtype": "float", "allowed_values": [0.5, 1]}, ["0.5", "1", "1.00", "0.25"], [4]),
        ({"dtype": "boolean", "allowed_values": [True]}, ["true", "YES", "1", "false"], [4]),
        ({"dtype": "string", "allowed_values": [1, True]}, ["1", "true", "True"], [3]),
    ],
)
def test_allowed_values_compare_typed_values(
    column: dict[str, Any], values: list[str], failing_rows: list[int]
) -> None:
    schema = dataset({"name": "v", **column})
    failure = errors(run(csv("v", *values), schema))[("v", Check.ALLOWED_VALUES)]
    assert rows_of(failure) == failing_rows


def test_allowed_values_that_can_never_match_are_a_warning() -> None:
    schema = dataset({"name": "v", "dtype": "integer", "allowed_values": [1, "one"]})
    report = run(csv("v", "1"), schema)
    assert report.verdict == "accepted"
    assert warnings(report)[("v", Check.UNUSABLE_ALLOWED_VALUE)].message.startswith("allowed value 'one'")


def test_regex_must_match_the_whole_value() -> None:
    schema = dataset({"name": "id", "dtype": "string", "regex": "S[0-9]{3}"})
    report = run(csv("id", "S001", "xS001", "S0012", "S12"), schema)
    assert rows_of(errors(report)[("id", Check.REGEX)]) == [2, 3, 4]


def test_a_regex_re2_cannot_run_is_a_config_error() -> None:
    schema = dataset({"name": "id", "dtype": "string", "regex": "(?=S)S[0-9]+"})  # lookahead
    with pytest.raises(ConfigError) as info:
        run(csv("id", "S1"), schema)
    assert info.value.problems[0].path == "columns.0.regex"


def test_unique_names_every_row_of_a_duplicated_value_the_first_occurrence_included() -> None:
    schema = dataset({"name": "id", "dtype": "string", "unique": True, "nullable": True})
    report = run(csv("id", "a", "b", "a", '""', '""', "b", "a"), schema)  # blank lines are skipped
    failure = errors(report)[("id", Check.UNIQUE)]
    assert failure.rows == 3  # rows repeating an earlier one; nulls are never duplicates
    assert [(d.value, d.rows, d.count) for d in failure.duplicates or []] == [("a", [1, 3, 7], 3), ("b", [2, 6], 2)]
    assert [(e.row, e.value) for e in failure.examples] == [(1, "a"), (3, "a"), (7, "a"), (2, "b"), (6, "b")]


def test_duplicates_far_apart_and_many_of_one_value_are_counted_exactly_with_bounded_rows() -> None:
    schema = dataset({"name": "id", "dtype": "integer", "unique": True})
    values = [str(i) for i in range(5000)] + ["7"] * 300 + ["4999", "12"]
    report = run(csv("id", *values), schema, chunk_rows=64)
    failure = errors(report)[("id", Check.UNIQUE)]
    assert failure.rows == 302
    groups = {d.value: d for d in failure.duplicates or []}
    assert list(groups) == ["7", "4999", "12"]
    assert groups["7"].count == 301 and groups["7"].rows[:2] == [8, 5001] and len(groups["7"].rows) == 20
    assert groups["4999"].rows == [5000, 5301] and groups["12"].rows == [13, 5302]


def test_only_the_first_five_duplicated_values_are_listed() -> None:
    schema = dataset({"name": "id", "dtype": "string", "unique": True})
    values = [f"v{i}" for i in range(10)] * 2
    failure = errors(run(csv("id", *values), schema))[("id", Check.UNIQUE)]
    assert failure.rows == 10
    assert [(d.value, d.rows) for d in failure.duplicates or []] == [(f"v{i}", [i + 1, i + 11]) for i in range(5)]


@pytest.mark.parametrize(
    ("dtype", "values", "duplicates"),
    [
        ("integer", ["1", "2", "1.0", "+2"], 2),
        ("float", ["0.5", "-0", "0", "5e-1"], 2),
        ("boolean", ["true", "no", "YES"], 1),
        ("datetime", ["2024-01-01T00:00:00Z", "2024-01-01", "2024-01-01T01:00:00+01:00"], 2),
    ],
)
def test_unique_compares_typed_values(dtype: str, values: list[str], duplicates: int) -> None:
    schema = dataset({"name": "v", "dtype": dtype, "unique": True})
    assert errors(run(csv("v", *values), schema))[("v", Check.UNIQUE)].rows == duplicates


def test_missing_and_unexpected_columns_are_reported_and_present_columns_still_checked() -> None:
    schema = dataset({"name": "a", "dtype": "integer"}, {"name": "b", "dtype": "integer"})
    report = run(csv("a,extra", "1,x", "oops,y"), schema)
    found = errors(report)
    assert found[("b", Check.MISSING_COLUMN)].rows == 0
    assert found[("extra", Check.UNEXPECTED_COLUMN)].message == "column 'extra' is not declared in the schema"
    assert found[("a", Check.DTYPE)].rows == 1


def test_extra_columns_are_a_warning_when_allowed() -> None:
    schema = dataset({"name": "a", "dtype": "integer"}, allow_extra_columns=True)
    report = run(csv("extra,a", "x,1"), schema)
    assert report.verdict == "accepted"
    assert ("extra", Check.UNEXPECTED_COLUMN) in warnings(report)


def test_duplicate_column_names_are_an_error() -> None:
    schema = dataset({"name": "a", "dtype": "integer"}, {"name": "b", "dtype": "integer"})
    report = run(csv("a,b,a", "1,2,3"), schema)
    assert errors(report)[("a", Check.DUPLICATE_COLUMN)].message == "the header names column 'a' 2 times"


def test_columns_out_of_order_are_checked_by_name_with_a_warning() -> None:
    schema = dataset({"name": "a", "dtype": "integer"}, {"name": "b", "dtype": "string"})
    report = run(csv("b,a", "x,1"), schema)
    assert report.verdict == "accepted"
    assert ("a", Check.COLUMN_ORDER) in warnings(report)  # a is declared first, found second


def test_every_column_level_warning_names_its_column() -> None:
    schema = dataset(
        {"name": "a", "dtype": "integer"},
        {"name": "b", "dtype": "float", "nullable": True},
        {"name": "c", "dtype": "integer", "allowed_values": [1, "x"]},
        allow_extra_columns=True,
    )
    report = run(csv("a,c,b,extra", "1,1,nan,z"), schema)
    assert report.verdict == "accepted", report.errors
    named = {(w.check, w.column) for w in report.warnings}
    assert named == {
        (Check.COLUMN_ORDER, "b"),
        (Check.UNEXPECTED_COLUMN, "extra"),
        (Check.NAN_LITERAL, "b"),
        (Check.UNUSABLE_ALLOWED_VALUE, "c"),
    }


@pytest.mark.parametrize(("rows", "problem"), [(1, "at least 2"), (4, "at most 3")])
def test_row_count_bounds(rows: int, problem: str) -> None:
    schema = dataset({"name": "a", "dtype": "integer"}, row_count={"min": 2, "max": 3})
    failure = errors(run(csv("a", *["1"] * rows), schema))[(None, Check.ROW_COUNT)]
    assert problem in failure.message


def test_every_failing_check_is_reported_in_one_pass() -> None:
    schema = dataset(
        {"name": "id", "dtype": "string", "unique": True, "regex": "[a-z]+"},
        {"name": "x", "dtype": "float", "min": 0},
        {"name": "c", "dtype": "category", "allowed_values": ["u", "v"]},
    )
    report = run(csv("id,x,c", "a,1,u", "a,-1,w", "B,abc,"), schema)
    assert set(errors(report)) == {
        ("id", Check.UNIQUE),
        ("id", Check.REGEX),
        ("x", Check.MIN),
        ("x", Check.DTYPE),
        ("c", Check.ALLOWED_VALUES),
        ("c", Check.NOT_NULL),
    }
