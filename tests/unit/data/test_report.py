from mlops.data import Check

from .helpers import dataset, run


def test_summary_json_has_exactly_the_documented_shape() -> None:
    schema = dataset({"name": "x", "dtype": "integer", "min": 0}, {"name": "y", "dtype": "float", "nullable": True})
    summary = run(b"x,y\n1,nan\n-1,2\n", schema).to_summary_json()
    assert set(summary) == {"verdict", "rows", "errors", "warnings"}
    assert summary["verdict"] == "rejected" and summary["rows"] == 2
    assert summary["errors"] == [
        {
            "check": Check.MIN,
            "column": "x",
            "rows": 1,
            "examples": [{"row": 2, "line": None, "value": "-1"}],
            "message": "1 value(s) below the minimum 0",
            "duplicates": None,
        }
    ]
    assert [set(w) for w in summary["warnings"]] == [{"check", "column", "rows", "examples", "message", "duplicates"}]


def test_long_example_values_are_clipped() -> None:
    schema = dataset({"name": "x", "dtype": "integer"})
    report = run(b"x\n" + b"9" * 500 + b"z\n", schema)
    value = report.errors[0].examples[0].value
    assert len(value) <= 120 and value.endswith("…")


def test_a_report_round_trips_through_json() -> None:
    schema = dataset({"name": "x", "dtype": "integer"})
    report = run(b"x\n1\n2\n", schema)
    assert type(report).model_validate_json(report.model_dump_json()) == report
    assert report.schema_hash and report.file_name == "test.csv"
