"""Benchmark: the drift check against Evidently's DataDriftPreset and plain SciPy two-sample
tests, on the same data with known injected drift.

    .venv/bin/python bench/drift.py [--rows 1000000] [--repeat 3] [--trials 10]
        [--evidently-python /tmp/evidently-venv/bin/python]

Generates a reference and a current sample of ROWS x 25 features (20 numeric of varied shapes,
5 categorical of 10-50 categories), with drift injected into 6 features of the current one
(`DRIFTED`), writes both as Parquet, and profiles the reference once as ingestion does (the
stored baseline). Then each engine runs in its own fresh subprocess, so its peak memory
(ru_maxrss from wait4) is its own:

* **ours**: `mlops.drift.check_frame` of the current frame against the stored profile JSON
  (loading the JSON is timed; the reference rows are never read), then the HTML report.
* **ours-file**: the same from the Parquet file (streamed validation + profile, binned on the
  baseline's edges, then `check_profile`): the path of `mlops drift check --current FILE`.
* **scipy**: `ks_2samp` (asymptotic) per numeric and `chi2_contingency` per categorical feature
  on the full reference and current samples.
* **evidently**: `Report([DataDriftPreset()])` with its defaults, in its own venv (Evidently
  0.7 does not import with pandas 3): `--evidently-python`.

`--trials` re-draws the current sample (same injected drift) that many times for ours and
SciPy, and counts detections and false alarms: the rate on unchanged features should be near
the tests' nominal alpha. Not a test: nothing here asserts.
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

ALPHA = 0.05
NUMERIC = [f"n{i}" for i in range(20)]
CATEGORICAL = {f"c{i}": 10 * (i + 1) for i in range(5)}
DRIFTED = {
    "n0": "mean + 0.1 std",
    "n2": "scale x 1.05",
    "n5": "mixture weight 0.70 -> 0.67",
    "n9": "std x 1.05",
    "c0": "1 point of share from the top category to the second",
    "c3": "a new category at 0.5%",
}


def _zipf(k: int) -> Any:
    import numpy as np

    shares = 1.0 / np.arange(1, k + 1)
    return shares / shares.sum()


def sample(rows: int, seed: int, *, drift: bool) -> Any:
    """One sample; `drift` injects DRIFTED. Shapes: symmetric, skewed, heavy-tailed, bounded,
    integer-valued, bimodal, signed, far from zero, with nulls."""
    import numpy as np
    import pandas as pd  # type: ignore[import-untyped]

    rng = np.random.default_rng(seed)
    n = rows
    weight = 0.67 if drift else 0.70
    data: dict[str, Any] = {
        "n0": rng.normal(100.0 + (1.5 if drift else 0.0), 15.0, n),
        "n1": rng.lognormal(3.0, 0.5, n),
        "n2": rng.gamma(2.0, 3.0 * (1.05 if drift else 1.0), n),
        "n3": rng.uniform(0.0, 1.0, n),
        "n4": rng.exponential(2.0, n),
        "n5": np.where(rng.uniform(size=n) < weight, rng.normal(0.0, 1.0, n), rng.normal(5.0, 1.0, n)),
        "n6": rng.poisson(4.0, n).astype(np.float64),
        "n7": rng.beta(2.0, 5.0, n),
        "n8": rng.standard_t(3.0, n),
        "n9": rng.normal(0.0, 1.05 if drift else 1.0, n),
        "n10": rng.normal(-50.0, 5.0, n),
        "n11": rng.lognormal(0.0, 1.0, n),
        "n12": rng.weibull(1.5, n),
        "n13": rng.normal(1e4, 100.0, n),
        "n14": rng.uniform(-10.0, 10.0, n),
        "n15": rng.chisquare(3.0, n),
        "n16": rng.binomial(20, 0.3, n).astype(np.float64),
        "n17": rng.pareto(3.0, n),
        "n18": np.where(rng.uniform(size=n) < 0.05, np.nan, rng.normal(5.0, 2.0, n)),
        "n19": rng.gamma(0.5, 1.0, n),
    }
    for name, k in CATEGORICAL.items():
        labels = np.array([f"{name}_{j:02d}" for j in range(k)] + [f"{name}_new"])
        shares = np.append(_zipf(k), 0.0)
        if drift and name == "c0":
            shares[0] -= 0.01
            shares[1] += 0.01
        if drift and name == "c3":
            shares[-1] = 0.005
            shares[:-1] *= 0.995
        data[name] = pd.Categorical(labels[rng.choice(k + 1, size=n, p=shares / shares.sum())])
    return pd.DataFrame(data)


def schema() -> Any:
    from mlops.config import DatasetConfig

    columns = [{"name": c, "dtype": "float", "nullable": True} for c in NUMERIC]
    columns += [{"name": c, "dtype": "category"} for c in CATEGORICAL]
    return DatasetConfig.model_validate({"format": "parquet", "target": "n0", "columns": columns})


def policy() -> Any:
    from mlops.config import DriftConfig
    from mlops.drift import DriftPolicy

    # tests at a nominal 5%, so that detections and false alarms are comparable with SciPy's
    drift = DriftConfig(numeric_method="ks", categorical_method="chi2", default_threshold=ALPHA)
    return DriftPolicy.for_dataset(drift, schema())


def _peak_rss_mib() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _read(path: Path) -> tuple[Any, float]:
    import pyarrow.parquet as pq

    start = time.perf_counter()
    frame = pq.read_table(path).to_pandas()
    return frame, time.perf_counter() - start


def run_generate(work: Path, rows: int) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlops.data import validate_file

    for name, drift in (("reference", False), ("current", True)):
        pq.write_table(
            pa.Table.from_pandas(sample(rows, {"reference": 1, "current": 2}[name], drift=drift)),
            work / f"{name}.parquet",
        )
    start = time.perf_counter()
    report = validate_file(
        work / "reference.parquet", schema(), file_name="reference.parquet", max_uncompressed_bytes=2**36
    )
    seconds = time.perf_counter() - start
    assert report.profile is not None, report.errors
    (work / "profile.json").write_text(report.profile.model_dump_json())
    return {"profile_seconds": seconds, "profile_bytes": (work / "profile.json").stat().st_size}


def run_ours(work: Path, rows: int, repeat: int, trials: int) -> dict[str, Any]:
    from mlops.data.profile import DatasetProfile
    from mlops.drift import check_frame
    from mlops.drift.report_html import render

    frame, read_seconds = _read(work / "current.parquet")
    rss_with_frame = _rss_mib()
    the_policy = policy()
    times, cpu, report = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        baseline = DatasetProfile.model_validate_json((work / "profile.json").read_text())
        report = check_frame(baseline, frame, the_policy, dataset="bench", baseline="reference", current="current")
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert report is not None
    start = time.perf_counter()
    page = render(report)
    html_seconds = time.perf_counter() - start
    verdicts = {f.feature: f.status == "drifted" for f in report.features}
    detections = _trials(trials, rows, lambda f: _ours_verdicts(baseline, f, the_policy))
    return {
        "read_seconds": read_seconds,
        "check_seconds": times,
        "cpu_seconds": cpu,
        "html_seconds": html_seconds,
        "html_bytes": len(page.encode()),
        "json_bytes": len(report.model_dump_json().encode()),
        "rss_with_frame_mb": rss_with_frame,
        "vmhwm_mb": _peak_rss_mib(),
        "verdicts": verdicts,
        "trials": detections,
    }


def _ours_verdicts(baseline: Any, frame: Any, the_policy: Any) -> dict[str, bool]:
    from mlops.drift import check_frame

    report = check_frame(baseline, frame, the_policy, dataset="bench", baseline="reference", current="trial")
    return {f.feature: f.status == "drifted" for f in report.features}


def _trials(trials: int, rows: int, verdicts_of: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in range(trials):
        for feature, drifted in verdicts_of(sample(rows, 100 + t, drift=True)).items():
            counts[feature] = counts.get(feature, 0) + int(drifted)
    return counts


def run_ours_file(work: Path, rows: int, repeat: int, trials: int) -> dict[str, Any]:
    from mlops.data.profile import DatasetProfile
    from mlops.drift import check_profile, sources

    times, cpu, report = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        baseline = DatasetProfile.model_validate_json((work / "profile.json").read_text())
        current = sources.data_file(work / "current.parquet", schema(), baseline, max_uncompressed_bytes=2**36)
        report = check_profile(baseline, current.profile, policy(), dataset="bench", baseline="ref", current="file")
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert report is not None
    return {
        "check_seconds": times,
        "cpu_seconds": cpu,
        "vmhwm_mb": _peak_rss_mib(),
        "verdicts": {f.feature: f.status == "drifted" for f in report.features},
    }


def _scipy_verdicts(reference: Any, current: Any) -> dict[str, bool]:
    import numpy as np
    import pandas as pd
    from scipy import stats  # type: ignore[import-untyped]

    verdicts = {}
    for name in NUMERIC:
        a, b = reference[name].to_numpy(), current[name].to_numpy()
        verdicts[name] = bool(stats.ks_2samp(a[~np.isnan(a)], b[~np.isnan(b)], method="asymp").pvalue < ALPHA)
    for name in CATEGORICAL:
        table = pd.concat(
            [reference[name].value_counts(), current[name].value_counts()], axis=1, keys=["r", "c"]
        ).fillna(0)
        table = table[table.sum(axis=1) > 0].to_numpy().T
        verdicts[name] = bool(stats.chi2_contingency(table, correction=False).pvalue < ALPHA)
    return verdicts


def run_scipy(work: Path, rows: int, repeat: int, trials: int) -> dict[str, Any]:
    reference, read_ref = _read(work / "reference.parquet")
    current, read_cur = _read(work / "current.parquet")
    rss_with_frames = _rss_mib()
    times, cpu, verdicts = [], [], {}
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        verdicts = _scipy_verdicts(reference, current)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {
        "read_seconds": read_ref + read_cur,
        "check_seconds": times,
        "cpu_seconds": cpu,
        "rss_with_frame_mb": rss_with_frames,
        "vmhwm_mb": _peak_rss_mib(),
        "verdicts": verdicts,
        "trials": _trials(trials, rows, lambda f: _scipy_verdicts(reference, f)),
    }


def run_evidently(work: Path, rows: int, repeat: int, trials: int) -> dict[str, Any]:
    from evidently import Report  # type: ignore[import-not-found]  # its own venv
    from evidently.presets import DataDriftPreset  # type: ignore[import-not-found]

    reference, read_ref = _read(work / "reference.parquet")
    current, read_cur = _read(work / "current.parquet")
    rss_with_frames = _rss_mib()
    times, cpu, result = [], [], None
    for _ in range(max(1, min(repeat, 2))):  # a run takes minutes at 1M rows
        start, start_cpu = time.perf_counter(), time.process_time()
        result = Report([DataDriftPreset()]).run(reference_data=reference, current_data=current)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert result is not None
    start = time.perf_counter()
    html_path = work / "evidently.html"
    result.save_html(str(html_path))
    html_seconds = time.perf_counter() - start
    verdicts, methods = {}, {}
    for metric in result.dict()["metrics"]:
        config = metric["config"]
        if config.get("type") != "evidently:metric_v2:ValueDrift":
            continue
        method, threshold, value = config["method"], config["threshold"], metric["value"]
        p_value = "p_value" in method or method.lower().startswith(("k-s", "chi-square", "z-test"))
        verdicts[config["column"]] = bool(value < threshold if p_value else value >= threshold)
        methods[config["column"]] = f"{method} @ {threshold}"
    import evidently

    return {
        "version": evidently.__version__,
        "read_seconds": read_ref + read_cur,
        "check_seconds": times,
        "cpu_seconds": cpu,
        "html_seconds": html_seconds,
        "html_bytes": html_path.stat().st_size,
        "rss_with_frame_mb": rss_with_frames,
        "vmhwm_mb": _peak_rss_mib(),
        "verdicts": verdicts,
        "methods": methods,
    }


ENGINES = {
    "generate": run_generate,
    "ours": run_ours,
    "ours-file": run_ours_file,
    "scipy": run_scipy,
    "evidently": run_evidently,
}


def in_subprocess(python: str, engine: str, work: Path, *args: int) -> dict[str, Any]:
    with tempfile.TemporaryFile() as out:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        command = [python, __file__, "--engine", engine, "--work", str(work), *[str(a) for a in args]]
        child = subprocess.Popen(command, stdout=out, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{engine} failed with exit code {os.waitstatus_to_exitcode(status)}")
        out.seek(0)
        result: dict[str, Any] = json.loads(out.read())
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--evidently-python", default="/tmp/evidently-venv/bin/python")
    parser.add_argument("--engine", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.engine:
        function: Any = ENGINES[options.engine]
        print(json.dumps(function(Path(options.work), *options.args)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generated = in_subprocess(sys.executable, "generate", work, options.rows)
        print(
            f"baseline profile of {options.rows:,} rows: {generated['profile_seconds']:.2f} s at ingestion, "
            f"{generated['profile_bytes'] / 1024:.0f} KiB JSON",
            flush=True,
        )
        results = {}
        for engine in ("ours", "ours-file", "scipy"):
            results[engine] = in_subprocess(sys.executable, engine, work, options.rows, options.repeat, options.trials)
            print(f"{engine}: done", flush=True)
        if Path(options.evidently_python).exists():
            results["evidently"] = in_subprocess(
                options.evidently_python, "evidently", work, options.rows, options.repeat, 0
            )
        else:
            print(f"(no Evidently: {options.evidently_python} does not exist)")
    report(results, options)


def report(results: dict[str, Any], options: argparse.Namespace) -> None:
    features = NUMERIC + list(CATEGORICAL)
    print("\n| feature | injected | " + " | ".join(results) + " |")
    print("|---|---|" + ":-:|" * len(results))
    for feature in features:
        marks = ["drift" if r["verdicts"].get(feature) else "-" for r in results.values()]
        print(f"| {feature} | {DRIFTED.get(feature, '-')} | " + " | ".join(marks) + " |")
    print()
    for name, r in results.items():
        missed = [f for f in DRIFTED if not r["verdicts"].get(f)]
        false = [f for f in features if f not in DRIFTED and r["verdicts"].get(f)]
        print(f"{name}: missed {missed or 'none'}; false alarms {false or 'none'}")
    if options.trials:
        print(f"\nover {options.trials} re-drawn current samples:")
        for name in ("ours", "scipy"):
            counts = results[name]["trials"]
            caught = {f: counts.get(f, 0) for f in DRIFTED}
            false = sum(counts.get(f, 0) for f in features if f not in DRIFTED)
            unchanged = (len(features) - len(DRIFTED)) * options.trials
            print(
                f"  {name}: injected caught {caught}; "
                f"false alarms {false}/{unchanged} ({false / unchanged:.1%}, nominal {ALPHA:.0%})"
            )
    print("\n| engine | check s (median) | runs | CPU s | read s | peak RSS MiB | RSS, data loaded | HTML |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        runs = ", ".join(f"{t:.2f}" for t in r["check_seconds"])
        html = f"{r['html_bytes'] / 1024:.0f} KiB in {r['html_seconds']:.2f} s" if "html_bytes" in r else "-"
        read = f"{r['read_seconds']:.2f}" if "read_seconds" in r else "(inside)"
        rss = f"{r['rss_with_frame_mb']:.0f}" if "rss_with_frame_mb" in r else "-"
        print(
            f"| {name} | {statistics.median(r['check_seconds']):.3f} | {runs} | "
            f"{statistics.median(r['cpu_seconds']):.2f} | {read} | "
            f"{r['peak_rss_mb']:.0f} / {r['vmhwm_mb']:.0f} | {rss} | {html} |"
        )
    if "evidently" in results:
        ours, evidently = (
            statistics.median(results["ours"]["check_seconds"]),
            statistics.median(results["evidently"]["check_seconds"]),
        )
        print(f"\nEvidently {results['evidently']['version']} / ours: {evidently / ours:.0f}x wall")
        ours_cpu = statistics.median(results["ours"]["cpu_seconds"])
        evidently_cpu = statistics.median(results["evidently"]["cpu_seconds"])
        print(f"Evidently / ours: {evidently_cpu / ours_cpu:.0f}x CPU")
        print("Evidently's methods:", sorted(set(results["evidently"]["methods"].values())))


if __name__ == "__main__":
    main()
