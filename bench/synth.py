"""Cold synth time of the whole app, and the time of a full local deploy.

    .venv/bin/python bench/synth.py [--runs 3] [--skip-deploy]

Cold synth: `npx cdk synth` (the real pinned CLI, all stacks, cdk-nag on) into a fresh output
directory, with empty Lambda staging, measured end to end. Local deploy: `mlops local up`
(moto server start, bootstrap, deploy of every stack) then `mlops local down`.
Targets on the 2-core reference machine: synth <= 15 s, local deploy <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = os.environ | {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": os.environ.get(
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"
    ),
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return elapsed


def cold_synth(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        shutil.rmtree(ROOT / ".build" / "lambda", ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix="bench-synth-") as out:
            times.append(timed(["npx", "cdk", "synth", "-q", "--output", out]))
    return times


def local_deploy() -> float:
    mlops = str(Path(sys.executable).parent / "mlops")
    subprocess.run([mlops, "local", "down"], cwd=ROOT, env=ENV, capture_output=True, check=False)
    try:
        return timed([mlops, "local", "up", "--json"])
    finally:
        subprocess.run([mlops, "local", "down"], cwd=ROOT, env=ENV, capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-deploy", action="store_true")
    args = parser.parse_args()
    synth = cold_synth(args.runs)
    result = {
        "cold_synth_s": {"median": round(statistics.median(synth), 2), "runs": [round(t, 2) for t in synth]},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }
    if not args.skip_deploy:
        result["local_deploy_s"] = round(local_deploy(), 2)
    print(json.dumps(result, indent=2))
    print(
        f"\n| measure | seconds | target |\n|---|---|---|\n| cold synth (median of {args.runs}) | "
        f"{result['cold_synth_s']['median']} | <= 15 |"
    )
    if "local_deploy_s" in result:
        print(f"| local deploy of all stacks | {result['local_deploy_s']} | <= 60 |")


if __name__ == "__main__":
    main()
