"""Results must not depend on how the file is cut into chunks (or Arrow blocks)."""

import io
import random
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from mlops.data import Check, ValidationReport

from .helpers import dataset, errors, run

SCHEMA = dataset(
    {"name": "id", "dtype": "string", "unique": True, "regex": "r[0-9]+"},
    {"name": "n", "dtype": "integer", "min": 0, "max": 100, "unique": True, "nullable": True},
    {"name": "x", "dtype": "float", "nullable": True},
    {"name": "bounded", "dtype": "float", "min": -1, "max": 1},
    {"name": "flag", "dtype": "boolean"},
    {"name": "when", "dtype": "datetime", "nullable": True},
    {"name": "color", "dtype": "category", "allowed_values": ["red", "green", "blue"]},
    {"name": "word", "dtype": "string"},
)


def make_rows(count: int = 400) -> list[dict[str, Any]]:
    rng = random.Random(7)
    rows = []
    for i in range(count):
        rows.append(
            {
                "id": f"r{i}",
                "n": str(i) if i % 9 else "",
                "x": rng.choice(["", "nan", "inf", "-1e3", f"{rng.gauss(0, 50):.4f}"]),
                "bounded": f"{rng.uniform(-1.2, 1.2):.3f}",
                "flag": rng.choice(["true", "False", "1", "no", "maybe"]),
                "when": rng.choice(["", "2024-02-30", f"2024-03-{rng.randint(1, 28):02d}T10:00:00+01:00"]),
                "color": rng.choice(["red", "green", "blue", "teal"]),
                "word": f"w{rng.randint(0, 250)}",  # more distinct values than a profile keeps
            }
        )
    # duplicates far apart, so that they straddle any chunk boundary
    rows[350]["id"] = rows[3]["id"]
    rows[399]["id"] = rows[0]["id"]
    rows[200]["n"] = rows[10]["n"]
    rows[123]["id"] = "not-an-id"
    return rows


def as_csv(rows: list[dict[str, Any]]) -> bytes:
    columns = {name: pa.array([r[name] for r in rows], pa.string()) for name in rows[0]}
    sink = io.BytesIO()
    pacsv.write_csv(pa.table(columns), sink, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def assert_same(a: Any, b: Any, path: str = "") -> None:
    """Equal, except float statistics derived by summation (mean, std) to 1e-9 relative."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and path.rsplit(".", 1)[-1] in {"mean", "std"}:
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), path
    else:
        assert a == b, path


def dump(report: ValidationReport) -> dict[str, Any]:
    return report.model_dump(mode="json")


@pytest.mark.parametrize("chunk_rows", [1, 7, 64])
def test_tiny_chunks_give_the_same_report_as_one_chunk(chunk_rows: int) -> None:
    data = as_csv(make_rows())
    whole = run(data, SCHEMA, chunk_rows=1_000_000)
    chunked = run(data, SCHEMA, chunk_rows=chunk_rows)
    assert_same(dump(chunked), dump(whole))


def test_small_arrow_blocks_give_the_same_report() -> None:
    data = as_csv(make_rows())
    assert_same(dump(run(data, SCHEMA, block_bytes=512, chunk_rows=5)), dump(run(data, SCHEMA)))


def test_the_fixture_exercises_what_it_claims() -> None:
    report = run(as_csv(make_rows()), SCHEMA, chunk_rows=7)
    found = errors(report)
    # row 351 repeats row 4's id, row 400 row 1's, row 201 row 11's n: both rows are named
    assert found[("id", Check.UNIQUE)].rows == 2
    groups = found[("id", Check.UNIQUE)].duplicates or []
    assert [(d.value, d.rows, d.count) for d in groups] == [("r3", [4, 351], 2), ("r0", [1, 400], 2)]
    assert [e.row for e in found[("id", Check.UNIQUE)].examples] == [4, 351, 1, 400]
    assert [(d.value, d.rows) for d in found[("n", Check.UNIQUE)].duplicates or []] == [("10", [11, 201])]
    assert found[("id", Check.REGEX)].rows == 1
    assert {check for _, check in found} >= {Check.DTYPE, Check.FINITE, Check.MIN, Check.MAX, Check.ALLOWED_VALUES}
    assert report.profile is not None
    word = report.profile.columns["word"]
    assert word.other_count > 0  # type: ignore[union-attr]


def test_parquet_row_groups_and_chunks_do_not_matter() -> None:
    table = pacsv.read_csv(
        io.BytesIO(as_csv(make_rows())),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(make_rows()[0], pa.string())),
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=33)
    data = sink.getvalue()
    assert_same(dump(run(data, SCHEMA, chunk_rows=5)), dump(run(data, SCHEMA, chunk_rows=100_000)))
    csv_report = dump(run(as_csv(make_rows()), SCHEMA))
    parquet_report = dump(run(data, SCHEMA))
    parquet_report["warnings"] = [w for w in parquet_report["warnings"] if w["check"] != Check.FORMAT_MISMATCH]
    # every column is stored as text here: the typed ones are reported for that, once each
    stored_as_text = [e["column"] for e in parquet_report["errors"] if e["check"] == Check.PARQUET_TYPE]
    assert stored_as_text == [c.name for c in SCHEMA.columns if c.dtype not in ("string", "category")]
    parquet_report["errors"] = [e for e in parquet_report["errors"] if e["check"] != Check.PARQUET_TYPE]
    del parquet_report["file_name"], csv_report["file_name"]
    assert_same(parquet_report, csv_report)


@pytest.mark.parametrize("store_schema", [True, False])
def test_a_dictionary_encoded_parquet_column_reads_like_a_plain_one(store_schema: bool) -> None:
    """Category columns are read as Parquet stores them, dictionary-encoded: the file's dictionary
    may be in any order and hold unused values and empty strings (which are nulls)."""
    schema = dataset(
        {"name": "id", "dtype": "integer"},
        {"name": "color", "dtype": "category", "allowed_values": ["red", "green"]},
        {"name": "tag", "dtype": "category", "nullable": True, "regex": "[a-z]{3,4}"},
    )
    values = ["green", "teal", "", None, "red", "green", "blue", "teal"] * 30
    dictionary = pa.array(["unused", "red", "", "teal", "blue", "green"])
    codes = pa.array([None if v is None else dictionary.to_pylist().index(v) for v in values], pa.int32())
    encoded = pa.DictionaryArray.from_arrays(codes, dictionary)
    table = pa.table({"id": list(range(len(values))), "color": encoded, "tag": encoded})
    encoded_file, plain_file = io.BytesIO(), io.BytesIO()
    pq.write_table(table, encoded_file, row_group_size=50, store_schema=store_schema)
    plain = table.cast(pa.schema([("id", pa.int64()), ("color", pa.string()), ("tag", pa.string())]))
    pq.write_table(plain, plain_file, use_dictionary=False)
    from_dictionary = dump(run(encoded_file.getvalue(), schema, chunk_rows=16))
    assert_same(from_dictionary, dump(run(plain_file.getvalue(), schema)))
    tag = from_dictionary["profile"]["columns"]["tag"]
    assert [f["value"] for f in tag["frequencies"]] == ["green", "teal", "red", "blue"]
    assert tag["null_count"] == 60
