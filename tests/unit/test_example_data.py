from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools

from mlops.config import load
from mlops.data import validate_file
from mlops.example_data import breast_cancer_frame, write_csv

LIMIT = 50 * 1024 * 1024


def test_frame_has_exactly_the_configured_columns(repo_root: Path) -> None:
    dataset = load(repo_root / "mlops.yaml").datasets["breast-cancer"]
    frame = breast_cancer_frame()
    assert list(frame.columns) == [c.name for c in dataset.columns]
    assert len(frame) == 569
    assert frame["sample_id"].iloc[0] == "S00000"
    assert frame["diagnosis"].dtype == "int64"
    assert set(frame["diagnosis"]) == {0, 1}


def test_written_file_validates_as_accepted(repo_root: Path, tmp_path: Path) -> None:
    dataset = load(repo_root / "mlops.yaml").datasets["breast-cancer"]
    path = write_csv(tmp_path / "breast-cancer.csv")
    report = validate_file(path, dataset, file_name=path.name, max_uncompressed_bytes=LIMIT)
    assert report.verdict == "accepted", report.errors
    assert report.rows == 569


def test_subset_is_deterministic_and_shuffled(tmp_path: Path) -> None:
    first = pd.read_csv(write_csv(tmp_path / "a.csv", rows=100, seed=3))
    again = pd.read_csv(write_csv(tmp_path / "b.csv", rows=100, seed=3))
    other = pd.read_csv(write_csv(tmp_path / "c.csv", rows=100, seed=4))
    assert len(first) == 100
    pd.testing.assert_frame_equal(first, again)
    assert list(first["sample_id"]) != list(other["sample_id"])
    assert list(first["sample_id"]) != sorted(first["sample_id"])
