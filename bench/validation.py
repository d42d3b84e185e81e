"""Benchmark: mlops.data.validate_file against a bare pyarrow pipeline and pandera, on CSV and
Parquet, in one run.

    .venv/bin/python bench/validation.py [--rows 1000000] [--repeat 3] [--formats csv,parquet]

Generates ROWS x 25 columns (integer, float, string, category, boolean; min/max, allowed
values, unique, regex, nullable), injects 0.1% errors of six kinds at known rows, and writes
the same data as a CSV (every value as text) and as a typed Parquet file. Each engine runs in
its own fresh subprocess (imports excluded from its timing; peak memory is ru_maxrss from
wait4, so it is that engine's own):

* ours: `validate_file(path)`, file to report and statistics profile;
* pyarrow: the floor: `pyarrow.csv.read_csv` (the same RFC 4180 dialect: line breaks inside
  quotes) / `pyarrow.parquet.read_table` with the schema's types, whole file in memory, then the
  same checks as Arrow compute kernels (no profile, no examples, no rows);
* pandera 0.35 `lazy=True` after `pandas.read_csv` / `read_parquet` (read included).

The engines run interleaved (ours, pyarrow, our read alone, pandera; `--repeat` times) so that a
load spike on a shared machine hits all of them; medians are reported. Prints each engine's
failing-row counts per column/check beside the injected ones, a table of timings (ratios to bare
pyarrow and to pandera) and memory, the targets of issue 12.5 with their status, and where our
time goes (read, typing, checks, uniqueness, profile). Needs the `bench` extra for pandera. Not a
test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
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
FLOAT_TEXT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
INTEGER_TEXT = r"^[+-]?[0-9]+$"

# name -> (dtype, constraints). The same schema is given to every engine.
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
# it failed to coerce (it reports one TypeError instead of rows). A typed Parquet column
# cannot hold a value of the wrong type: the dtype injections exist in the CSV only.
INJECTIONS: list[tuple[str, str, int, Any]] = [
    *[("out_of_range", f"f{i}", 25, -1.5 if i % 2 else 100.5) for i in range(4)],
    *[("out_of_range", f"i{i}", 25, -3 if i % 2 else 1000) for i in range(4)],
    ("bad_dtype", "f7", 100, "abc"),
    ("bad_dtype", "i5", 100, "x12"),
    ("null", "f4", 75, None),
    ("null", "c1", 75, None),
    ("not_allowed", "c0", 150, "purple"),
    ("duplicate", "id", 150, "<copy>"),
    ("regex", "s1", 150, "XYZ-12"),
]
CHECK_OF = {"bad_dtype": "dtype", "null": "not_null", "not_allowed": "allowed_values", "duplicate": "unique"}


def generate(rows: int, folder: Path) -> dict[str, dict[str, int]]:
    """Write data.csv and data.parquet; return the injected failing-row counts per format."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(20240501)
    typed: dict[str, Any] = {"id": np.char.add("ID", np.char.zfill(np.arange(rows).astype(str), 8)).astype(object)}
    for i in range(8):
        typed[f"f{i}"] = np.round(np.clip(rng.normal(50, 12, rows), 0.01, 99.99), 4).astype(object)
    for i in range(6):
        typed[f"i{i}"] = rng.integers(0, 1000, rows).astype(object)
    for i in range(4):
        typed[f"c{i}"] = np.asarray(COLORS, dtype=object)[rng.integers(0, 4, rows)]
    for i in range(3):
        typed[f"b{i}"] = (rng.random(rows) < 0.5).astype(object)
    for i in range(3):
        letters = rng.integers(ord("a"), ord("z") + 1, (rows, 3)).astype(np.uint8).view("S3").ravel().astype(str)
        digits = np.char.zfill(rng.integers(0, 10000, rows).astype(str), 4)
        typed[f"s{i}"] = np.char.add(np.char.add(letters, "-"), digits).astype(object)
    nulls = rng.random(rows) < 0.01  # legitimate nulls in nullable columns
    for name in ("f6", "s0"):
        typed[name][nulls] = None

    chosen = rng.choice(np.arange(1, rows), size=sum(n for _, _, n, _ in INJECTIONS), replace=False)
    taken = 0
    expected: dict[str, dict[str, int]] = {"csv": {}, "parquet": {}}
    text_only: dict[str, tuple[np.ndarray, str]] = {}
    for kind, name, count, replacement in INJECTIONS:
        where = np.sort(chosen[taken : taken + count])
        taken += count
        check = CHECK_OF.get(kind) or ("min" if kind == "out_of_range" and replacement < 0 else "max")
        if kind == "regex":
            check = "regex"
        expected["csv"][f"{name}/{check}"] = count
        if kind == "bad_dtype":
            text_only[name] = (where, replacement)
            continue
        expected["parquet"][f"{name}/{check}"] = count
        typed[name][where] = typed[name][where - 1] if replacement == "<copy>" else replacement

    arrow_type = {"float": pa.float64(), "integer": pa.int64(), "boolean": pa.bool_()}
    table = pa.table({n: pa.array(typed[n], arrow_type.get(SCHEMA[n]["dtype"], pa.string())) for n in SCHEMA})
    pq.write_table(table, folder / "data.parquet")
    as_text = {n: table.column(n).cast(pa.string()).to_numpy(zero_copy_only=False).astype(object) for n in SCHEMA}
    for name in ("b0", "b1", "b2"):
        as_text[name] = np.where(typed[name].astype(bool), "true", "false").astype(object)
    for name, (where, replacement) in text_only.items():
        as_text[name][where] = replacement
    text_table = pa.table({n: pa.array(as_text[n], pa.string()) for n in SCHEMA})
    pacsv.write_csv(text_table, folder / "data.csv", write_options=pacsv.WriteOptions(quoting_style="needed"))
    return expected


# --------------------------------------------------------------------------------------------
# The engines, each run as `python bench/validation.py --engine NAME FILE` in a subprocess.


def _dataset(path: str) -> Any:
    from mlops.config import DatasetConfig

    fmt = "parquet" if path.endswith(".parquet") else "csv"
    columns = [{"name": n, **spec} for n, spec in SCHEMA.items()]
    return DatasetConfig.model_validate({"target": "id", "format": fmt, "columns": columns, "row_count": {"min": 1}})


def run_ours(path: str) -> dict[str, Any]:
    from mlops.data import validate_file

    dataset = _dataset(path)
    start, cpu = time.perf_counter(), time.process_time()
    report = validate_file(path, dataset, file_name=Path(path).name, max_uncompressed_bytes=1 << 40)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    counts = {f"{e.column}/{e.check}": e.rows for e in report.errors}
    return {"seconds": elapsed, "cpu_s": cpu, "rows": report.rows, "counts": counts}


def run_ours_read_only(path: str) -> dict[str, Any]:
    """Only our engine's streaming read of every column (no typing, no checks)."""
    from mlops.data.csv_reader import CsvTable
    from mlops.data.parquet_reader import ParquetTable
    from mlops.data.sources import open_file

    start, cpu = time.perf_counter(), time.process_time()
    with open_file(path, limit=1 << 40) as opened:
        if opened.kind == "csv":
            table = CsvTable(opened)
            batches = table.batches(list(range(len(table.column_names))))
        else:
            parquet = ParquetTable(opened, limit=1 << 40)
            batches = parquet.batches(list(range(len(parquet.column_names))), rows_per_batch=131_072)
        rows = sum(batch.num_rows for batch in batches)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": elapsed, "cpu_s": cpu, "rows": rows, "counts": {}}


def run_ours_breakdown(path: str) -> dict[str, Any]:
    """Where the checking time goes: our engine with one checking thread under cProfile (the
    read runs in its prefetch thread, outside the profile: see ours-read-only)."""
    import mlops.data.streaming as streaming
    from mlops.data import validate_file

    streaming.os.cpu_count = lambda: 1  # type: ignore[attr-defined]
    dataset = _dataset(path)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    validate_file(path, dataset, file_name=Path(path).name, max_uncompressed_bytes=1 << 40)
    profiler.disable()
    elapsed = time.perf_counter() - start
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    cumulative: dict[str, float] = {}
    for (file_name, _, function), (_, _, _, cum, _) in stats.items():
        key = f"{Path(file_name).stem}.{function}"
        cumulative[key] = cumulative.get(key, 0.0) + cum
    update = cumulative.get("checks.update", 0.0)
    typing = cumulative.get("coerce.coerce", 0.0) + cumulative.get("textchunk.from_file", 0.0)
    unique = cumulative.get("checks._check_unique", 0.0)
    profile = cumulative.get("checks._profile", 0.0)
    return {
        "seconds": elapsed,
        "rows": 0,
        "counts": {},
        "breakdown": {
            "typing (coerce)": typing,
            "checks (dtype, null, range, allowed, regex)": update - typing - unique - profile,
            "uniqueness": unique,
            "profile": profile,
            "waiting for the reader + report": elapsed - update,
        },
    }


def run_pyarrow(path: str) -> dict[str, Any]:
    """The floor: read with the schema's types, then one compute kernel per check: the same checks
    as ours (not_null, dtype, finite, min, max, allowed_values, regex, unique), failure counts only."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    types = {"float": pa.float64(), "integer": pa.int64(), "boolean": pa.bool_()}
    # columns whose values may not be numbers are read as text and checked with a pattern
    as_text = {"f7", "i5"} if path.endswith(".csv") else set()
    start, cpu = time.perf_counter(), time.process_time()
    if path.endswith(".csv"):
        column_types = {
            n: pa.string() if n in as_text else types.get(s["dtype"], pa.string()) for n, s in SCHEMA.items()
        }
        options = pacsv.ConvertOptions(column_types=column_types, strings_can_be_null=True)
        # the same dialect as ours: RFC 4180, line breaks inside quoted fields (slower to parse)
        dialect = pacsv.ParseOptions(newlines_in_values=True)
        table = pacsv.read_csv(path, parse_options=dialect, convert_options=options)
    else:
        table = pq.read_table(path)
    read_s = time.perf_counter() - start
    counts: dict[str, int] = {}

    def tally(name: str, check: str, mask: Any, column: Any = None) -> None:
        if column is not None:  # value checks: nulls pass them (null checks are their own)
            mask = pc.and_kleene(mask, pc.is_valid(column))
        failing = int(pc.sum(pc.fill_null(mask, False)).as_py() or 0)
        if failing:
            counts[f"{name}/{check}"] = failing

    for name, spec in SCHEMA.items():
        column = table.column(name)
        if not spec.get("nullable"):
            tally(name, "not_null", pc.is_null(column))
        if name in as_text:
            pattern = FLOAT_TEXT if spec["dtype"] == "float" else INTEGER_TEXT
            tally(name, "dtype", pc.invert(pc.match_substring_regex(column, pattern)), column)
            continue
        if spec["dtype"] == "float":  # ours fails +-inf unless a bound admits it; none does here
            tally(name, "finite", pc.is_inf(column), column)
        if "min" in spec:
            tally(name, "min", pc.less(column, spec["min"]))
        if "max" in spec:
            tally(name, "max", pc.greater(column, spec["max"]))
        if "allowed_values" in spec:
            allowed = pa.array(spec["allowed_values"])
            tally(name, "allowed_values", pc.invert(pc.is_in(column, value_set=allowed)), column)
        if "regex" in spec:
            tally(name, "regex", pc.invert(pc.match_substring_regex(column, spec["regex"])), column)
        if spec.get("unique"):
            valid = len(column) - column.null_count
            repeated = valid - pc.count_distinct(column).as_py()
            if repeated:
                counts[f"{name}/unique"] = repeated
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": elapsed, "cpu_s": cpu, "read_s": read_s, "rows": table.num_rows, "counts": counts}


def run_pandera(path: str) -> dict[str, Any]:
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
    frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
    read_s = time.perf_counter() - start
    try:
        schema.validate(frame, lazy=True)
        cases = None
    except pdr.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    frame_bytes = int(frame.memory_usage(deep=True).sum())
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
        "seconds": elapsed,
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

    return {"seconds": 0.0, "rows": 0, "counts": {}}


def run_generate(folder: str) -> dict[str, Any]:
    rows = int(os.environ["BENCH_ROWS"])
    start = time.perf_counter()
    expected = generate(rows, Path(folder))
    return {"expected": expected, "seconds": time.perf_counter() - start}


ENGINES = {
    "ours": run_ours,
    "ours-read-only": run_ours_read_only,
    "ours-breakdown": run_ours_breakdown,
    "pyarrow": run_pyarrow,
    "pandera": run_pandera,
    "baseline": run_baseline,
    "generate": run_generate,
}


def in_subprocess(engine: str, path: Path, rows: int = 0) -> dict[str, Any]:
    """Run one engine in a fresh interpreter; peak memory is ru_maxrss from wait4."""
    with tempfile.TemporaryFile() as out:
        env = {**os.environ, "BENCH_ROWS": str(rows)}
        child = subprocess.Popen([sys.executable, __file__, "--engine", engine, str(path)], stdout=out, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{engine} failed on {path.name}")
        out.seek(0)
        result: dict[str, Any] = json.loads(out.read())
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return result


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report_format(fmt: str, path: Path, expected: dict[str, int], repeat: int, baseline_mb: float) -> dict[str, Any]:
    """Every engine on one file, interleaved run by run (so a load spike hits all of them)."""
    engines = ["ours", "pyarrow", "ours-read-only"]
    runs: dict[str, list[dict[str, Any]]] = {engine: [] for engine in engines}
    pandera_runs: list[dict[str, Any]] = []
    for _ in range(repeat):
        for engine in engines:
            runs[engine].append(in_subprocess(engine, path))
        pandera_runs.append(in_subprocess("pandera", path))
    ours, bare, read_only = (median_of(runs[engine]) for engine in engines)
    pandera = median_of(pandera_runs)
    breakdown = in_subprocess("ours-breakdown", path)["breakdown"]
    frame_mb = pandera["frame_bytes"] / 2**20
    size_mb = path.stat().st_size / 1e6

    print(f"\n## {fmt}: {path.name}, {size_mb:.0f} MB, pandas frame {frame_mb:.0f} MiB\n")
    print("| column/check | injected | ours | pyarrow | pandera | same |")
    print("|---|---:|---:|---:|---:|:-:|")
    keys = sorted(set(expected) | set(ours["counts"]) | set(bare["counts"]) | set(pandera["counts"]))
    same = True
    for key in keys:
        values = [expected.get(key, 0), ours["counts"].get(key, 0), bare["counts"].get(key, 0)]
        values.append(pandera["counts"].get(key, 0))
        same = same and len(set(values)) == 1
        print(f"| {key} | {' | '.join(map(str, values))} | {'yes' if len(set(values)) == 1 else 'NO'} |")
    print()
    print("| engine | wall s, median (range) | CPU s | / bare pyarrow | pandera / this | peak RSS MiB | peak / frame |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = [
        (f"serverless-mlops (report + profile), {len(runs['ours'])} runs", ours),
        (f"bare pyarrow read + the same checks, {len(runs['pyarrow'])} runs", bare),
        (f"pandera 0.35.0 lazy, read included, {len(pandera_runs)} run(s)", pandera),
        (f"our streaming read alone, {len(runs['ours-read-only'])} runs", read_only),
    ]
    for label, run in rows:
        low, high = run["range"]
        print(
            f"| {label} | {run['seconds']:.2f} ({low:.2f}-{high:.2f}) | {run['cpu_s']:.2f} | "
            f"{run['seconds'] / bare['seconds']:.2f}x | {pandera['seconds'] / run['seconds']:.1f}x | "
            f"{run['peak_rss_mb']:.0f} | {run['peak_rss_mb'] / frame_mb:.2f}x |"
        )
    to_bare = ours["seconds"] / bare["seconds"]
    to_pandera = pandera["seconds"] / ours["seconds"]
    memory = ours["peak_rss_mb"] / frame_mb
    print(
        f"\nimports alone {baseline_mb:.0f} MiB; pyarrow's read alone {bare['read_s']:.2f} s, "
        f"pandas' read {pandera['read_s']:.2f} s; load average after: {_load()}"
    )
    print("\n| target | measured | |\n|---|---|---|")
    print(f"| whole job <= 1.3x bare pyarrow | {to_bare:.2f}x | {'met' if to_bare <= 1.3 else 'NOT met'} |")
    print(f"| >= 5x faster than pandera | {to_pandera:.1f}x | {'met' if to_pandera >= 5 else 'NOT met'} |")
    print(f"| same failure counts | {'yes' if same else 'no'} | {'met' if same else 'NOT met'} |")
    print(f"| peak memory <= 2x the frame | {memory:.2f}x | {'met' if memory <= 2 else 'NOT met'} |")
    print("\nwhere our time goes: the read is the row above (it runs in its own thread); the checking,")
    print("one checking thread under cProfile (inflated by the profiler, so compare the parts):")
    for part, seconds in breakdown.items():
        print(f"- {part}: {seconds:.2f} s")
    return {"to_bare": to_bare, "to_pandera": to_pandera, "memory": memory, "same": same}


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    best = dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])
    best["range"] = (min(r["seconds"] for r in runs), max(r["seconds"] for r in runs))
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    best["cpu_s"] = statistics.median(r.get("cpu_s", 0.0) for r in runs)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each fast engine (median reported)")
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--keep", metavar="DIR", help="write the generated files here and keep them")
    parser.add_argument("--engine", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(ENGINES[args.engine](args.path)))
        return

    with tempfile.TemporaryDirectory(prefix="bench-validation-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        generated = in_subprocess("generate", folder, args.rows)
        import numpy
        import pyarrow

        print(
            f"{args.rows:,} rows x {len(SCHEMA)} columns generated in {generated['seconds']:.1f} s; "
            f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}, pyarrow {pyarrow.__version__}, "
            f"numpy {numpy.__version__}; load average before: {_load()}"
        )
        baseline = in_subprocess("baseline", folder)
        for fmt in args.formats.split(","):
            path = folder / f"data.{fmt}"
            report_format(fmt, path, generated["expected"][fmt], args.repeat, baseline["peak_rss_mb"])


if __name__ == "__main__":
    main()
