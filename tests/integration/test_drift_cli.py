"""`mlops drift check` and `mlops data diff` through the real CLI entry point: against moto for
data-version lookups, and fully offline for a file against a profile JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops import config as config_module
from mlops.cli import drift_cmd
from mlops.cli.main import app
from mlops.config import ProjectConfig
from mlops.drift import DriftInputError
from mlops.errors import UsageError
from tests.datasets import csv_bytes, frame
from tests.integration.conftest import EXAMPLE, DataLake
from tests.integration.test_data_cli import push_and_ingest

DATASET = "breast-cancer"
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["-f", str(EXAMPLE), *args], catch_exceptions=False)
    return result.exit_code, result.output


def write(path: Path, config: ProjectConfig, rows: int, *, seed: int, shift: float = 0.0, shifted: int = 0) -> Path:
    """Example rows; the first `shifted` float columns scaled and moved by `shift`."""
    data = frame(config.datasets[DATASET], rows, seed=seed, id_offset=seed * 10_000)
    floats = [c for c in data.columns if data[c].dtype.kind == "f"]
    for column in floats[:shifted]:
        data[column] = data[column] * (1 + shift) + shift * 10
    path.write_bytes(csv_bytes(data))
    return path


@pytest.fixture
def two_versions(lake: DataLake, tmp_path: Path) -> DataLake:
    """v1 the baseline; v2 with 12 of 30 float columns shifted (40% >= drifted_share 0.3)."""
    push_and_ingest(lake, write(tmp_path / "a.csv", lake.config, 600, seed=1))
    push_and_ingest(lake, write(tmp_path / "b.csv", lake.config, 600, seed=2, shift=1.0, shifted=12))
    return lake


def test_a_data_version_against_the_one_before_it(two_versions: DataLake, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    code, output = invoke("drift", "check", "--dataset", DATASET, "--data-version", "v2", "--html", str(html), "--json")
    report = json.loads(output)
    assert code == 1 and report["verdict"] == "drifted"
    assert (report["baseline"], report["current"]) == (f"{DATASET}@v1", f"{DATASET}@v2")
    features = {f["feature"]: f for f in report["features"]}
    assert features["mean_radius"]["status"] == "drifted" and features["mean_radius"]["method"] == "psi"
    assert features["mean_radius"]["threshold"] == 0.1  # drift.feature_thresholds in mlops.yaml
    assert features["sample_id"]["status"] == "skipped"
    assert features["worst_fractal_dimension"]["status"] == "ok"  # not shifted
    assert report["counts"]["drifted"] == 12
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and all(f'id="f-{name}"' in page for name in features)


def test_a_file_against_a_registered_baseline(two_versions: DataLake, tmp_path: Path) -> None:
    same = write(tmp_path / "today.csv", two_versions.config, 600, seed=3)
    code, output = invoke("drift", "check", "-d", DATASET, "--baseline", "v1", "--current", str(same), "--json")
    report = json.loads(output)
    assert code == 0 and report["verdict"] == "ok" and report["current"] == "today.csv"
    assert report["counts"]["drifted"] <= 2  # 31 features at PSI 0.2 on 600 rows of the same distribution


def test_a_file_against_a_profile_file_needs_no_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_aws(*_: object) -> None:
        raise AssertionError("the offline check must not connect to AWS")

    monkeypatch.setattr(drift_cmd, "connect", no_aws)
    spec = config_module.load(EXAMPLE)
    baseline = write(tmp_path / "base.csv", spec, 800, seed=4)
    profile = tmp_path / "base-profile.json"
    code, _ = invoke("data", "validate", str(baseline), "--dataset", DATASET, "--profile-out", str(profile))
    assert code == 0
    current = write(tmp_path / "now.csv", spec, 800, seed=5, shift=2.0, shifted=30)
    code, output = invoke("drift", "check", "-d", DATASET, "--baseline", str(profile), "--current", str(current))
    assert code == 1
    assert "drifted" in output and "mean_radius" in output and "base-profile.json" in output


def test_data_diff_gives_verdicts_and_leaves_the_unique_id_out(two_versions: DataLake) -> None:
    code, output = invoke("data", "diff", f"{DATASET}@v1", f"{DATASET}@v2", "--json")
    result = json.loads(output)
    assert code == 0 and result["verdict"] == "drifted"
    shifts = {s["column"]: s for s in result["shifts"]}
    # every sample_id is new by design: before, all 600 were listed as new and 600 as vanished
    assert shifts["sample_id"]["status"] == "skipped"
    assert shifts["sample_id"]["new_values"] == [] and shifts["sample_id"]["vanished_values"] == []
    assert shifts["mean_radius"]["status"] == "drifted" and shifts["mean_radius"]["psi"] > 0.1
    code, text = invoke("data", "diff", f"{DATASET}@v1", f"{DATASET}@v2")
    assert code == 0 and "drift: drifted" in text


def test_usage_errors_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as both:
        invoke("drift", "check", "-d", DATASET, "--current", "x.csv", "--data-version", "v1")
    assert both.value.problems[0].path == "--current/--data-version/--endpoint" and both.value.exit_code == 2
    with pytest.raises(UsageError) as unknown:
        invoke("drift", "check", "-d", "nope", "--data-version", "v1")
    assert "known: breast-cancer" in unknown.value.problems[0].message
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "mlops.profile/v9"}')
    current = tmp_path / "c.csv"
    current.write_text("a\n1\n")
    with pytest.raises(DriftInputError, match="neither a profile nor a manifest") as err:
        invoke("drift", "check", "-d", DATASET, "--baseline", str(bad), "--current", str(current))
    assert err.value.exit_code == 2
