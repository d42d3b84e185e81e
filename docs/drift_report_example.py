"""Makes docs/drift-report.png: the drift report of the example dataset against a shifted copy.

    .venv/bin/python docs/drift_report_example.py [--html out.html]

Baseline: the 569 real rows of `mlops.example_data` profiled as ingestion profiles them. Current:
the same rows resampled, with three features moved (the kind of change a new scanner brings) and
the diagnosis shares changed. Renders the HTML report and screenshots it with headless Chromium.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from mlops import config as config_module
from mlops.data import validate_file
from mlops.drift import DriftPolicy, check_frame
from mlops.drift.report_html import render
from mlops.example_data import write_csv

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--html", type=Path, default=None)
    parser.add_argument("--png", type=Path, default=ROOT / "docs" / "drift-report.png")
    options = parser.parse_args()
    config = config_module.load(ROOT / "mlops.yaml")
    dataset = config.datasets["breast-cancer"]
    with tempfile.TemporaryDirectory() as tmp:
        baseline_csv = write_csv(Path(tmp) / "bc.csv")
        report = validate_file(baseline_csv, dataset, file_name="bc.csv", max_uncompressed_bytes=2**30)
        assert report.profile is not None
        import pandas as pd  # type: ignore[import-untyped]

        rows = pd.read_csv(baseline_csv)
        rng = np.random.default_rng(7)
        current = rows.sample(n=2_000, replace=True, random_state=7, ignore_index=True)
        current["mean_radius"] = current["mean_radius"] * 1.12
        current["worst_area"] = current["worst_area"] * rng.normal(1.25, 0.05, len(current))
        current["mean_texture"] = current["mean_texture"] + 2.5
        current.loc[current.sample(frac=0.15, random_state=8).index, "diagnosis"] = 0
        policy = DriftPolicy.for_dataset(config.drift, dataset)
        drift = check_frame(
            report.profile, current, policy, dataset="breast-cancer", baseline="breast-cancer@v1", current="capture"
        )
        page = Path(tmp) / "report.html"
        page.write_text(render(drift), encoding="utf-8")
        if options.html is not None:
            shutil.copyfile(page, options.html)
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            raise SystemExit("chromium is needed for the screenshot (apt-get install chromium)")
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--screenshot={options.png}",
                "--window-size=1300,1250",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"{drift.verdict}: {drift.counts}; wrote {options.png}")


if __name__ == "__main__":
    main()
