"""Wall time of the README's first command after installation: `mlops demo` (the whole
lifecycle on a local cloud of its own), per step.

    .venv/bin/python bench/demo.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "mlops.cli.main", "demo", "--out", out, "--json"],
            cwd=ROOT,
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
    if done.returncode != 0 and not done.stdout.strip():
        print(done.stderr[-3000:], file=sys.stderr)
        return done.returncode
    summary = json.loads(done.stdout)
    print(f"mlops demo: {'passed' if summary['passed'] else 'FAILED'}, {wall:.1f} s wall (target <= 180 s)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for step in summary["steps"]:
        seconds = "-" if step["seconds"] is None else f"{step['seconds']:6.1f}"
        print(f"  {seconds} s  {step['status']:7} {step['title']}")
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
