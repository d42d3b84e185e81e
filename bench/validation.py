"""Benchmark: mlops.data.validate_file against pandera (lazy=True) on the same file and schema.

    .venv/bin/python bench/validation.py [--rows 1000000] [--repeat 3]

Generates ROWS x 25 columns (integer, float, string, category, boolean; min/max, allowed
values, unique, regex, nullable), injects 0.1% errors of six kinds at known rows, writes a
CSV to a temporary directory and runs each engine in its own subprocess, so that its peak
memory (ru_maxrss from wait4) is its own. Prints both engines' failing-row counts per column
and check side by side, and a markdown table of the timings. Needs the `bench` extra
(`pip install -e '.[bench]'`). Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COLORS = ["red", "green", "blue", "yellow"]
ID_REGEX = r"^ID[0-9]{8}$"
CODE_REGEX = r"^[a-z]{3}-[0-9]{4}$"

# name -> (dtype, constraints). The same schema is given to both engines.
SCHEMA: dict[str, dict[str, Any]] = {
    "id": {"dtype": "string", "unique": True, "regex": ID_REGEX},
    **{f"f{i}": {"dtype": "float", "min": 0, "max": 100} for i in range(6)},
    "f6": {"dtype": "float", "nullable": True, "min": 0, "max": 100},
    "f7": {"dtype": "float", "nullable": True},
    **{f"i{i}": {"dtype": "integer", "min": 0, "max": 999} for i in range(5)},
    "i5": {"dtype": "integer"},
    **{f"c{i}": {"dtype": "category", "allowed_values": COLORS} for i in range(4)},
    **{f"b{i}": {"dtype": "boolean"} for i in range(3)},
    "s0": {"dtype": "string", "nullable": True, "regex": CODE_REGEX},
    "s1": {"dtype": "string", "regex": CODE_REGEX},
    "s2": {"dtype": "string", "regex": CODE_REGEX},
}

# (kind, column, rows, replacement): 0.1% of the rows, each at a distinct row. Columns with
# a dtype error carry no other check, because pandera cannot run range checks on a column
# it failed to coerce (it reports one TypeError instead of rows).
INJECTIONS: list[tuple[str, str, int, str | None]] = [
    *[("out_of_range", f"f{i}", 25, "-1.5" if i % 2 else "100.5") for i in range(4)],
    *[("out_of_range", f"i{i}", 25, "-3" if i % 2 else "1000") for i in range(4)],
    ("bad_dtype", "f7", 100, "abc"),
    ("bad_dtype", "i5", 100, "x12"),
    ("null", "f4", 75, None),
    ("null", "c1", 75, None),
    ("not_allowed", "c0", 150, "purple"),
    ("duplicate", "id", 150, "<copy>"),
    ("regex", "s1", 150, "XYZ-12"),
]


def generate(rows: int, path: Path) -> dict[str, int]:
    """Write the CSV; return the injected failing-row count per 'column/check'."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(20240501)
    columns: dict[str, Any] = {}
    columns["id"] = pa.array(np.char.add("ID", np.char.zfill(np.arange(rows).astype(str), 8)))
    for i in range(8):
        values = np.round(np.clip(rng.normal(50, 12, rows), 0.01, 99.99), 4)
        columns[f"f{i}"] = pa.array(values).cast(pa.string())
    for i in range(6):
        columns[f"i{i}"] = pa.array(rng.integers(0, 1000, rows)).cast(pa.string())
    for i in range(4):
        columns[f"c{i}"] = pa.array(np.asarray(COLORS)[rng.integers(0, 4, rows)])
    for i in range(3):
        columns[f"b{i}"] = pa.array(np.where(rng.random(rows) < 0.5, "true", "false"))
    for i in range(3):
        letters = rng.integers(ord("a"), ord("z") + 1, (rows, 3)).astype(np.uint8).view("S3").ravel().astype(str)
        digits = np.char.zfill(rng.integers(0, 10000, rows).astype(str), 4)
        columns[f"s{i}"] = pa.array(np.char.add(np.char.add(letters, "-"), digits))
    nulls = rng.random(rows) < 0.01  # legitimate nulls in nullable columns
    for name in ("f6", "s0"):
        columns[name] = pa.array(np.asarray(columns[name].to_pylist(), dtype=object), mask=nulls)

    expected: dict[str, int] = {}
    chosen = rng.choice(np.arange(1, rows), size=sum(n for _, _, n, _ in INJECTIONS), replace=False)
    taken = 0
    check_of = {
        "out_of_range": None,
        "bad_dtype": "dtype",
        "null": "not_null",
        "not_allowed": "allowed_values",
        "duplicate": "unique",
        "regex": "regex",
    }
    for kind, name, count, replacement in INJECTIONS:
        where = np.sort(chosen[taken : taken + count])
        taken += count
        values = np.asarray(columns[name].to_pylist(), dtype=object)
        if replacement == "<copy>":
            values[where] = values[where - 1]  # the row before keeps its value: it stays first
        else:
            values[where] = replacement
        columns[name] = pa.array(values, type=pa.string())
        check = check_of[kind] or ("min" if replacement is not None and replacement.startswith("-") else "max")
        expected[f"{name}/{check}"] = count
    table = pa.table({name: columns[name] for name in SCHEMA})
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return expected


# --------------------------------------------------------------------------------------------
# The engines, each run as `python bench/validation.py --engine NAME CSV` in a subprocess.


def run_ours(csv_path: str) -> dict[str, Any]:
    from mlops.config import DatasetConfig
    from mlops.data import validate_file

    dataset = DatasetConfig.model_validate(
        {"target": "id", "columns": [{"name": n, **spec} for n, spec in SCHEMA.items()], "row_count": {"min": 1}}
    )
    start, cpu = time.perf_counter(), time.process_time()
    report = validate_file(csv_path, dataset, file_name=Path(csv_path).name, max_uncompressed_bytes=1 << 40)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    counts = {f"{e.column}/{e.check}": e.rows for e in report.errors}
    return {"validate_s": elapsed, "cpu_s": cpu, "read_s": None, "rows": report.rows, "counts": counts}


def run_ours_read_only(csv_path: str) -> dict[str, Any]:
    """Only the streaming CSV parse of our engine (no checks): what the floor is."""
    from mlops.data.csv_reader import CsvTable
    from mlops.data.sources import open_file

    start, cpu = time.perf_counter(), time.process_time()
    with open_file(csv_path, limit=1 << 40) as opened:
        table = CsvTable(opened)
        rows = sum(batch.num_rows for batch in table.batches(list(range(len(table.column_names)))))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"validate_s": elapsed, "cpu_s": cpu, "read_s": elapsed, "rows": rows, "counts": {}}


def run_pandera(csv_path: str) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore")
    import pandas as pd
    import pandera.pandas as pdr

    def column(spec: dict[str, Any]) -> Any:
        checks = []
        if "min" in spec:
            checks.append(pdr.Check.ge(spec["min"]))
        if "max" in spec:
            checks.append(pdr.Check.le(spec["max"]))
        if "allowed_values" in spec:
            checks.append(pdr.Check.isin(spec["allowed_values"]))
        if "regex" in spec:
            checks.append(pdr.Check.str_matches(spec["regex"]))
        dtype = {"float": "float64", "integer": "int64", "boolean": "bool"}.get(spec["dtype"], str)
        return pdr.Column(
            dtype,
            checks,
            nullable=spec.get("nullable", False),
            unique=spec.get("unique", False),
            report_duplicates="exclude_first",
            coerce=spec["dtype"] in ("float", "integer", "boolean"),
        )

    schema = pdr.DataFrameSchema({name: column(spec) for name, spec in SCHEMA.items()}, strict=True)
    start, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_csv(csv_path)
    read_s = time.perf_counter() - start
    frame_bytes = int(frame.memory_usage(deep=True).sum())
    start = time.perf_counter()
    try:
        schema.validate(frame, lazy=True)
        cases = None
    except pdr.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    validate_s, cpu = time.perf_counter() - start, time.process_time() - cpu
    counts: dict[str, int] = {}
    if cases is not None:
        names = {
            "coerce_dtype": "dtype",
            "dtype": "dtype",
            "not_nullable": "not_null",
            "greater_than_or_equal_to": "min",
            "less_than_or_equal_to": "max",
            "isin": "allowed_values",
            "field_uniqueness": "unique",
            "str_matches": "regex",
        }
        cases = cases.assign(ours=cases["check"].astype(str).str.split("(").str[0].map(names))
        distinct = cases.dropna(subset=["index"]).drop_duplicates(["column", "ours", "index"])
        for (name, check), group in distinct.groupby(["column", "ours"]):
            counts[f"{name}/{check}"] = len(group)
    return {
        "validate_s": validate_s,
        "cpu_s": cpu,
        "read_s": read_s,
        "rows": len(frame),
        "counts": counts,
        "frame_bytes": frame_bytes,
    }


def run_baseline(_: str) -> dict[str, Any]:
    """Only the imports: the floor every engine's peak memory stands on."""
    import pandas  # noqa: F401

    import mlops.data  # noqa: F401

    return {"validate_s": 0.0, "read_s": None, "rows": 0, "counts": {}}


def run_generate(csv_path: str) -> dict[str, Any]:
    rows = int(os.environ["BENCH_ROWS"])
    start = time.perf_counter()
    expected = generate(rows, Path(csv_path))
    return {"expected": expected, "seconds": time.perf_counter() - start}


def _peak_rss_mib() -> float | None:
    """VmHWM: this process's own peak RSS (unlike ru_maxrss it starts afresh at exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def in_subprocess(engine: str, csv_path: Path, rows: int = 0) -> dict[str, Any]:
    """Run one engine in a fresh interpreter. Peak memory: ru_maxrss from wait4 (this parent
    stays small, so what the child inherits at fork is negligible) and the child's VmHWM."""
    with tempfile.TemporaryFile() as out:
        env = {**os.environ, "BENCH_ROWS": str(rows)}
        child = subprocess.Popen([sys.executable, __file__, "--engine", engine, str(csv_path)], stdout=out, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"{engine} failed with exit code {child.returncode}")
        out.seek(0)
        result: dict[str, Any] = json.loads(out.read())
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return result


ENGINES = {
    "ours": run_ours,
    "ours-read-only": run_ours_read_only,
    "pandera": run_pandera,
    "baseline": run_baseline,
    "generate": run_generate,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of our engine (median reported)")
    parser.add_argument("--keep", metavar="CSV", help="write the generated CSV here and keep it")
    parser.add_argument("--engine", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("csv", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        result = ENGINES[args.engine](args.csv)
        result["vm_hwm_mb"] = _peak_rss_mib()
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="bench-validation-") as tmp:
        csv_path = Path(args.keep) if args.keep else Path(tmp) / "data.csv"
        generated = in_subprocess("generate", csv_path, args.rows)
        expected: dict[str, int] = generated["expected"]
        size_mb = csv_path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows x {len(SCHEMA)} columns, {size_mb:.0f} MB, "
            f"{sum(expected.values())} injected errors in {generated['seconds']:.1f} s"
        )
        baseline = in_subprocess("baseline", csv_path)
        read_only = [in_subprocess("ours-read-only", csv_path) for _ in range(args.repeat)]
        ours_runs = [in_subprocess("ours", csv_path) for _ in range(args.repeat)]
        pandera = in_subprocess("pandera", csv_path)

    ours = ours_runs[0]
    totals = [r["validate_s"] for r in ours_runs]
    ours_s = statistics.median(totals)
    ours_cpu = statistics.median(r["cpu_s"] for r in ours_runs)
    read_s = statistics.median(r["validate_s"] for r in read_only)
    ours_rss = max(r["peak_rss_mb"] for r in ours_runs)
    ours_hwm = max(r["vm_hwm_mb"] or 0 for r in ours_runs)
    frame_mb = pandera["frame_bytes"] / 2**20
    keys = sorted(set(expected) | set(ours["counts"]) | set(pandera["counts"]))
    print("\nfailing rows per column/check")
    print("| column/check | injected | ours | pandera | same |")
    print("|---|---:|---:|---:|:-:|")
    for key in keys:
        a, b = ours["counts"].get(key, 0), pandera["counts"].get(key, 0)
        print(f"| {key} | {expected.get(key, 0)} | {a} | {b} | {'yes' if a == b else 'NO'} |")
    pandera_total = pandera["read_s"] + pandera["validate_s"]
    print(
        f"\n{args.rows:,} rows x {len(SCHEMA)} columns, {size_mb:.0f} MB CSV; pandas frame "
        f"{frame_mb:.0f} MiB by memory_usage(deep=True); interpreter + imports alone "
        f"{baseline['peak_rss_mb']:.0f} MiB; {os.cpu_count()} CPUs\n"
    )
    print("| engine | read s | validate s | total s | CPU s | peak RSS MiB (wait4 / VmHWM) | peak / frame |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| serverless-mlops, median of {args.repeat} (runs {min(totals):.2f}-{max(totals):.2f} s) | "
        f"{read_s:.2f} (streamed, inside total) | - | "
        f"{ours_s:.2f} | {ours_cpu:.2f} | {ours_rss:.0f} / {ours_hwm:.0f} | {ours_rss / frame_mb:.2f}x |"
    )
    print(
        f"| pandera {_version('pandera')} (lazy=True) + pandas {_version('pandas')} read_csv | "
        f"{pandera['read_s']:.2f} | {pandera['validate_s']:.2f} | {pandera_total:.2f} | {pandera['cpu_s']:.2f} | "
        f"{pandera['peak_rss_mb']:.0f} / {pandera['vm_hwm_mb'] or 0:.0f} | {pandera['peak_rss_mb'] / frame_mb:.2f}x |"
    )
    print(
        f"\nspeed-up of our total: {pandera['validate_s'] / ours_s:.1f}x against pandera's validate call alone, "
        f"{pandera_total / ours_s:.1f}x against pandas read + pandera validate"
    )


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    main()
