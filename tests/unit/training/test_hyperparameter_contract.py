"""train.py checks its hyperparameters with the declaration `mlops` checks them with, and finds
it where SageMaker runs it: in the unpacked source directory, with nothing else importable."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

from stacks import packaging
from tests.unit.training.conftest import REPO_ROOT, Container


def _unpacked_source_dir(tmp_path: Path) -> Path:
    archive = packaging.source_archive(REPO_ROOT / "training", tmp_path / "build")
    code = tmp_path / "code"
    with tarfile.open(archive) as tar:
        tar.extractall(code, filter="data")
    return code


def test_bad_values_fail_the_job_with_every_problem_named(container: Container, tmp_path: Path) -> None:
    # as SageMaker writes them: strings, JSON-encoded once more by script mode
    container.hyperparameters(num_round="abc", eta=1.5, validation_fraction=1.5)
    code = _unpacked_source_dir(tmp_path)
    run = subprocess.run(
        [sys.executable, str(code / "train.py")],
        cwd=container.root,
        env=container.env(PYTHONPATH=""),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    reason = (container.output_dir / "failure").read_text()
    assert reason.startswith("TrainingError: invalid hyperparameters")
    for key in ("num_round", "eta", "validation_fraction"):
        assert key in reason, reason
    assert not (container.model_dir / "xgboost-model").exists()


def test_the_job_gets_the_declared_types_from_sagemaker_strings(container: Container, tmp_path: Path) -> None:
    container.hyperparameters(num_round="7", eta="0.3", early_stopping_rounds="0")
    code = _unpacked_source_dir(tmp_path)
    run = subprocess.run(
        [sys.executable, str(code / "train.py")],
        cwd=container.root,
        env=container.env(PYTHONPATH=""),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    metrics = json.loads((container.output_data_dir / "metrics.json").read_text())
    assert metrics["num_round"] == 7 and metrics["rounds_trained"] == 7
