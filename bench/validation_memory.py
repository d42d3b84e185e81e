"""Benchmark: `validate_file` on a file larger than the memory its process is allowed (issue 12).

    .venv/bin/python bench/validation_memory.py                       # short: 4M rows, 512 MiB cap
    .venv/bin/python bench/validation_memory.py --rows 15000000 --cap-mib 768 --smallest

Writes one piece of 1,000,000 rows with bench/validation.py's generator (the same 25-column
schema and 0.1% injected errors), then a big CSV and a big Parquet file of `--rows` rows (a whole
number of pieces) streamed to disk piece by piece: the piece's bytes again with its ids rewritten
(`ID` + 8 digits, offset by the piece's first row), so the `unique` column stays unique across
the file, the tracker really grows, and every piece's duplicates stay duplicates. The Parquet file
is written one 1M-row row group at a time. Neither file is ever whole in memory, here or in the
validating process.

Each validation runs `validate_file(path)` in a fresh subprocess; peak RSS is `ru_maxrss` from
`wait4`. A capped run puts the child in a memory cgroup of its own (v1: `memory.limit_in_bytes`
and `memory.memsw.limit_in_bytes`; v2: `memory.max` and `memory.swap.max`), created under this
process's cgroup and removed afterwards; where none can be made the cap is not enforced, and the
table says so. `--smallest` bisects the smallest cap (in `--step-mib` steps) under which the big
file still validates. Rows counted, the verdict, the profile's row count and every failure count
are compared with what was written and injected. Generated files live in a temporary directory
under `--dir` (default /tmp) and are deleted at the end. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # bench/validation.py, and this checkout's mlops

import validation  # noqa: E402  (bench/validation.py: the schema, the generator, the dataset config)

PIECE_ROWS = 1_000_000
ID_DIGITS = 8
MIB = 1 << 20
_CGROUP_ROOT = Path("/sys/fs/cgroup")


# --------------------------------------------------------------------------------------------
# The files: one generated piece, repeated with rewritten ids.


def _id_matrix(numbers: Any) -> Any:
    """`ID` + 8 zero-padded digits per number, as an (n, 10) uint8 matrix."""
    import numpy as np

    powers = 10 ** np.arange(ID_DIGITS - 1, -1, -1, dtype=np.int64)
    matrix = np.empty((numbers.size, 2 + ID_DIGITS), dtype=np.uint8)
    matrix[:, 0], matrix[:, 1] = ord("I"), ord("D")
    matrix[:, 2:] = (numbers[:, None] // powers) % 10 + ord("0")
    return matrix


def build_csv(piece: Path, target: Path, pieces: int) -> None:
    """`pieces` copies of the piece's data lines (no line break inside a field: the generator
    writes none), each with its ids moved up by the rows before it."""
    import numpy as np

    raw = np.fromfile(piece, dtype=np.uint8)
    body_at = int(np.argmax(raw == ord("\n"))) + 1
    body = raw[body_at:]
    starts = np.concatenate([[0], np.flatnonzero(body == ord("\n"))[:-1] + 1])
    if starts.size != PIECE_ROWS or not (body[starts + 1] == ord("I")).all():
        raise SystemExit(f"{piece}: expected {PIECE_ROWS} lines starting with a quoted id")
    digits = starts[:, None] + 3 + np.arange(ID_DIGITS)  # after `"ID`
    powers = 10 ** np.arange(ID_DIGITS - 1, -1, -1, dtype=np.int64)
    numbers = ((body[digits].astype(np.int64) - ord("0")) * powers).sum(axis=1)
    with target.open("wb") as out:
        out.write(raw[:body_at].tobytes())
        for k in range(pieces):
            body[digits] = _id_matrix(numbers + k * PIECE_ROWS)[:, 2:]
            body.tofile(out)


def build_parquet(piece: Path, target: Path, pieces: int) -> None:
    """The typed piece, one row group per copy, ids rewritten as in `build_csv`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(piece)
    numbers = pc.cast(pc.utf8_slice_codeunits(table.column("id"), 2), pa.int64()).to_numpy()
    width = 2 + ID_DIGITS
    offsets = pa.py_buffer(np.arange(0, (numbers.size + 1) * width, width, dtype=np.int32))
    at = table.schema.get_field_index("id")
    with pq.ParquetWriter(target, table.schema) as writer:
        for k in range(pieces):
            text = pa.py_buffer(_id_matrix(numbers + k * PIECE_ROWS).tobytes())
            ids = pa.Array.from_buffers(pa.string(), numbers.size, [None, offsets, text])
            writer.write_table(table.set_column(at, "id", ids), row_group_size=PIECE_ROWS)


# --------------------------------------------------------------------------------------------
# The child: `python bench/validation_memory.py --engine validate FILE`.


def run_validate(path: str) -> dict[str, Any]:
    from mlops.data import validate_file

    dataset = validation._dataset(path)
    start, cpu = time.perf_counter(), time.process_time()
    report = validate_file(path, dataset, file_name=Path(path).name, max_uncompressed_bytes=1 << 40)
    return {
        "seconds": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu,
        "rows": report.rows,
        "verdict": report.verdict,
        "counts": {f"{e.column}/{e.check}": e.rows for e in report.errors},
        "profile_rows": report.profile.rows if report.profile is not None else None,
        "profile_columns": len(report.profile.columns) if report.profile is not None else 0,
    }


def run_imports(_: str) -> dict[str, Any]:
    """Only the imports and the schema: the floor every peak stands on."""
    import numpy
    import pyarrow

    import mlops.data  # noqa: F401

    validation._dataset("x.csv")
    return {"seconds": 0.0, "cpu_s": 0.0, "versions": f"pyarrow {pyarrow.__version__}, numpy {numpy.__version__}"}


def run_build(target: str) -> dict[str, Any]:
    """Write big.csv or big.parquet (the target's name says which) from the piece beside it."""
    path = Path(target)
    start = time.perf_counter()
    builder = build_csv if path.suffix == ".csv" else build_parquet
    builder(path.with_name(f"data{path.suffix}"), path, int(os.environ["BENCH_PIECES"]))
    return {"seconds": time.perf_counter() - start}


ENGINES = {"validate": run_validate, "imports": run_imports, "build": run_build}


# --------------------------------------------------------------------------------------------
# Memory cgroups.


def _own_cgroup() -> tuple[Path, str] | None:
    """(this process's memory cgroup directory, "v1" | "v2"), if one is writable-looking."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, where = line.split(":", 2)
            if "memory" in controllers.split(","):
                return _CGROUP_ROOT / "memory" / where.lstrip("/"), "v1"
            if controllers == "" and (_CGROUP_ROOT / "cgroup.controllers").exists():
                return _CGROUP_ROOT / where.lstrip("/"), "v2"
    return None


@contextlib.contextmanager
def memory_cgroup(limit: int) -> Iterator[tuple[Path, str] | None]:
    """A fresh memory cgroup limited to `limit` bytes (swap included), beside nothing else of
    ours: under this process's own cgroup, else at the hierarchy's root. None where neither
    can be made (not root, read-only /sys, no memory controller)."""
    found = _own_cgroup()
    if found is None:
        yield None
        return
    own, version = found
    bases = [own, _CGROUP_ROOT / "memory"] if version == "v1" else [own]
    name = f"bench-validation-memory-{os.getpid()}"
    made: Path | None = None
    for base in bases:
        group = base / name
        try:
            group.mkdir()
        except OSError:
            continue
        try:
            if version == "v1":
                (group / "memory.limit_in_bytes").write_text(str(limit))
                if (group / "memory.memsw.limit_in_bytes").exists():
                    (group / "memory.memsw.limit_in_bytes").write_text(str(limit))
            else:
                (group / "memory.max").write_text(str(limit))
                if (group / "memory.swap.max").exists():
                    (group / "memory.swap.max").write_text("0")
        except OSError:
            group.rmdir()
            continue
        made = group
        break
    try:
        yield (made, version) if made is not None else None
    finally:
        if made is not None:
            for _ in range(50):  # the child's exit can take a moment to leave the group
                try:
                    made.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _cgroup_peak(group: Path, version: str) -> tuple[float | None, bool]:
    """(the group's peak charge in MiB, page cache included; whether its OOM killer fired)."""
    if version == "v1":
        peak, events = _read(group / "memory.max_usage_in_bytes").strip(), _read(group / "memory.oom_control")
    else:
        peak, events = _read(group / "memory.peak").strip(), _read(group / "memory.events")
    counts = dict(line.split() for line in events.splitlines() if len(line.split()) == 2)
    return (int(peak) / MIB if peak else None), counts.get("oom_kill", "0") != "0"


# --------------------------------------------------------------------------------------------
# Running one child.


def in_subprocess(
    engine: str, path: Path, *, cap_mib: int | None = None, timeout: float = 3600, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run `engine` on `path` in a fresh interpreter, optionally in a memory cgroup of `cap_mib`.
    Never raises for the child's failure: `ok` says whether it finished with a result. This
    process stays small (it only orchestrates): a forked child's peak RSS starts at its parent's."""
    with memory_cgroup(cap_mib * MIB) if cap_mib else contextlib.nullcontext() as cgroup:
        enter = None
        if cgroup is not None:
            tasks = cgroup[0] / ("tasks" if cgroup[1] == "v1" else "cgroup.procs")

            def enter() -> None:
                tasks.write_text(str(os.getpid()))

        started = time.perf_counter()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            child = subprocess.Popen(
                [sys.executable, __file__, "--engine", engine, str(path)],
                stdout=out,
                stderr=err,
                preexec_fn=enter,
                env={**os.environ, **(env or {})},
            )
            timed_out = False
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - started > timeout:
                    timed_out = True
                    child.kill()
                    _, status, usage = os.wait4(child.pid, 0)
                    break
                time.sleep(0.05)
            child.returncode = os.waitstatus_to_exitcode(status)
            wall = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            text, stderr = out.read().decode(), err.read().decode(errors="replace")
        result: dict[str, Any] = json.loads(text) if child.returncode == 0 and text.strip() else {}
        result.update(
            ok=child.returncode == 0 and bool(result),
            exit=child.returncode,
            timed_out=timed_out,
            wall_s=wall,
            peak_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
            cap_mib=cap_mib,
            enforced=cgroup is not None,
            stderr_tail=stderr[-400:],
        )
        if cgroup is not None:
            result["cgroup_peak_mib"], result["oom_killed"] = _cgroup_peak(*cgroup)
    return result


def _outcome(run: dict[str, Any]) -> str:
    if run["ok"]:
        return run["verdict"]
    if run["timed_out"]:
        return "timed out"
    if run["exit"] == -signal.SIGKILL:
        return "killed (OOM)" if run.get("oom_killed", True) else "killed"
    return f"failed (exit {run['exit']})"


def smallest_cap(path: Path, low: int, high: int, step: int, timeout: float) -> tuple[int, list[dict[str, Any]]]:
    """Bisect the smallest cap (a multiple of `step` MiB in (low, high]) under which `path`
    validates, `high` known to pass. Returns it and every probe."""
    probes: list[dict[str, Any]] = []

    def passes(cap: int) -> bool:
        run = in_subprocess("validate", path, cap_mib=cap, timeout=timeout)
        probes.append(run)
        print(
            f"  cap {cap} MiB: {_outcome(run)}, peak RSS {run['peak_rss_mib']:.0f} MiB, {run['wall_s']:.1f} s",
            flush=True,
        )
        return bool(run["ok"])

    low = low // step * step
    while high - low > step:
        middle = (low + high) // 2 // step * step
        if passes(middle):
            high = middle
        else:
            low = middle
    return high, probes


# --------------------------------------------------------------------------------------------
# The report.


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _matches(run: dict[str, Any], expected: dict[str, int], rows: int) -> str:
    if not run["ok"]:
        return "-"
    same_counts = run["counts"] == expected
    same_rows = run["rows"] == rows and run["profile_rows"] == rows
    return "yes" if same_counts and same_rows and run["profile_columns"] == len(validation.SCHEMA) else "NO"


def row_of(label: str, path: Path, rows: int, run: dict[str, Any], expected: dict[str, int]) -> str:
    cap = "none" if not run["cap_mib"] else f"{run['cap_mib']} MiB" + ("" if run["enforced"] else " (NOT enforced)")
    cgroup = f"{run['cgroup_peak_mib']:.0f}" if run.get("cgroup_peak_mib") is not None else "-"
    rows_seen = f"{run['rows']:,}" if run["ok"] else "-"
    cpu = f"{run['cpu_s']:.1f}" if run["ok"] else "-"
    size = path.stat().st_size / 1e9
    return (
        f"| {label} | {size:.2f} GB | {rows:,} | {cap} | {run['peak_rss_mib']:.0f} | {cgroup} | "
        f"{run['wall_s']:.1f} | {cpu} | {_outcome(run)} | {rows_seen} | {_matches(run, expected, rows)} |"
    )


HEADER = (
    "| run | file | rows written | cap | peak RSS MiB | cgroup peak MiB | wall s | CPU s | verdict | "
    "rows counted | rows, profile, counts = written, injected |\n|---|---:|---:|---|---:|---:|---:|---:|---|---:|:-:|"
)


def measure(fmt: str, piece: Path, big: Path, rows: int, injected: dict[str, int], args: Any) -> None:
    pieces = rows // PIECE_ROWS
    expected_big = {key: n * pieces for key, n in injected.items()}
    small = in_subprocess("validate", piece)
    uncapped = in_subprocess("validate", big)
    capped = in_subprocess("validate", big, cap_mib=args.cap_mib, timeout=max(300, 6 * uncapped["wall_s"]))
    print(
        f"\n## {fmt}: {big.name} {big.stat().st_size / 1e9:.2f} GB, {piece.name} {piece.stat().st_size / 1e6:.0f} MB\n"
    )
    print(HEADER)
    print(row_of("1M rows, no cap", piece, PIECE_ROWS, small, injected))
    print(row_of("big, no cap", big, rows, uncapped, expected_big))
    print(row_of("big, capped", big, rows, capped, expected_big))
    if small["ok"] and uncapped["ok"]:
        distinct = (rows - expected_big.get("id/unique", 0)) - (PIECE_ROWS - injected.get("id/unique", 0))
        grown = uncapped["peak_rss_mib"] - small["peak_rss_mib"]
        print(
            f"\npeak RSS grew {grown:+.0f} MiB from 1M to {rows:,} rows ({distinct:,} more distinct ids); the "
            f"uniqueness tracker keeps 16 B per distinct id ({16 * distinct / MIB:.0f} MiB more) and needs up to "
            f"~30 B while its largest runs merge ({30 * distinct / MIB:.0f} MiB more)"
        )
    for label, run in (("1M", small), ("big uncapped", uncapped), ("big capped", capped)):
        if run["ok"] and run["counts"] != (injected if label == "1M" else expected_big):
            print(f"{label}: counts {run['counts']} differ from the injected ones")
        if not run["ok"] and run["stderr_tail"]:
            print(f"{label}: {run['stderr_tail']}")
    if args.smallest:
        print(f"\nsmallest cap for {big.name} (bisection in {args.step_mib} MiB steps):", flush=True)
        floor = int(small["peak_rss_mib"] // 2)
        timeout = max(300, 6 * uncapped["wall_s"])
        file_mib = big.stat().st_size / MIB
        if not capped["ok"]:
            print(f"- none at or below {args.cap_mib} MiB: {_outcome(capped)} there")
        else:
            found, _ = smallest_cap(big, floor, args.cap_mib, args.step_mib, timeout)
            below = found - args.step_mib
            print(f"- **{found} MiB** passes, {below} MiB does not: the file is {file_mib / found:.1f}x the cap")
    print(f"\nload average after: {_load()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=4_000_000, help="rows of the big files (whole millions)")
    parser.add_argument("--cap-mib", type=int, default=512, help="the memory cap of the capped run")
    parser.add_argument("--smallest", action="store_true", help="also bisect the smallest cap that passes")
    parser.add_argument("--step-mib", type=int, default=32)
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the temporary files go")
    parser.add_argument("--engine", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(ENGINES[args.engine](args.path)))
        return

    pieces = max(1, -(-args.rows // PIECE_ROWS))
    rows = pieces * PIECE_ROWS
    if rows > 10**ID_DIGITS:
        raise SystemExit(f"at most {10**ID_DIGITS:,} rows: the ids have {ID_DIGITS} digits")
    formats = args.formats.split(",")
    needed = (1 + pieces) * (215 * ("csv" in formats) + 92 * ("parquet" in formats)) * PIECE_ROWS * 1.1
    free = shutil.disk_usage(args.dir).free
    if needed > free:
        raise SystemExit(f"{args.dir} has {free / 1e9:.1f} GB free; the files need about {needed / 1e9:.1f} GB")

    with tempfile.TemporaryDirectory(prefix="bench-validation-memory-", dir=args.dir) as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        generated = validation.in_subprocess("generate", folder, PIECE_ROWS)
        piece_s = time.perf_counter() - start
        built: dict[str, float] = {}
        for fmt in formats:
            run = in_subprocess("build", folder / f"big.{fmt}", env={"BENCH_PIECES": str(pieces)})
            if not run["ok"]:
                raise SystemExit(f"writing big.{fmt} failed: {run['stderr_tail']}")
            built[fmt] = run["seconds"]
        imports = in_subprocess("imports", folder)

        where = _own_cgroup()
        print(
            f"{rows:,} rows x {len(validation.SCHEMA)} columns: "
            f"a {PIECE_ROWS:,}-row piece generated in {piece_s:.1f} s, "
            + ", ".join(f"big {fmt} written in {s:.1f} s" for fmt, s in built.items())
            + f"; {os.cpu_count()} CPUs, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB; "
            f"Python {sys.version.split()[0]}, {imports['versions']}; "
            f"memory cgroups: {where[1] if where else 'none'}; imports alone {imports['peak_rss_mib']:.0f} MiB; "
            f"load average before: {_load()}",
            flush=True,
        )
        for fmt in formats:
            measure(fmt, folder / f"data.{fmt}", folder / f"big.{fmt}", rows, generated["expected"][fmt], args)


if __name__ == "__main__":
    main()
