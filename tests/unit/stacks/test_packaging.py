"""How code reaches AWS, without synthesizing: Lambda staging directories and the training
code's `sourcedir.tar.gz` (stacks/packaging.py), and where SageMaker accepts a volume key."""

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from stacks import packaging
from stacks.constructs.sagemaker_job_states import has_instance_storage


def test_asset_content_is_deterministic(tmp_path: Path) -> None:
    first = packaging.stage("ingest_plan", '{"a": 1}', tmp_path / "one")
    second = packaging.stage("ingest_plan", '{"a": 1}', tmp_path / "two")
    other = packaging.stage("ingest_plan", '{"a": 2}', tmp_path / "three")
    assert first.name == second.name != other.name


def test_old_staging_directories_are_pruned_per_function(tmp_path: Path) -> None:
    staged = []
    for version in range(4):
        path = packaging.stage("ingest_plan", json.dumps({"v": version}), tmp_path)
        os.utime(path, (1_000 + version, 1_000 + version))  # staged in this order
        staged.append(path)
    other = packaging.stage("ingest_conclude", "{}", tmp_path)
    removed = packaging.prune("ingest_plan", tmp_path, keep=2)
    assert sorted(removed) == sorted(staged[:2])
    assert [p.is_dir() for p in staged] == [False, False, True, True]
    assert other.is_dir()  # another function's directories are not touched
    # re-staging an existing version marks it recent, so it survives the next prune
    again = packaging.stage("ingest_plan", json.dumps({"v": 2}), tmp_path)
    assert again == staged[2]
    packaging.prune("ingest_plan", tmp_path, keep=1)
    assert again.is_dir() and not staged[3].is_dir()


def test_the_source_archive_is_a_reproducible_tarball_of_the_training_code(tmp_path: Path) -> None:
    source = packaging.REPO_ROOT / "training"
    first = packaging.source_archive(source, tmp_path / "a")
    second = packaging.source_archive(source, tmp_path / "b")
    assert first.name == "sourcedir.tar.gz"
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(first.read_bytes()))) as archive:
        assert {"train.py", "evaluate.py", "inference.py"} <= set(archive.getnames())


@pytest.mark.parametrize(
    ("instance_type", "local"),
    [
        ("ml.g5.xlarge", True),
        ("ml.g4dn.xlarge", True),
        ("ml.m5d.large", True),
        ("ml.p3.2xlarge", False),
        ("ml.m5.large", False),
        ("ml.c5.xlarge", False),
    ],
)
def test_volume_keys_only_where_sagemaker_accepts_them(instance_type: str, local: bool) -> None:
    assert has_instance_storage(instance_type) is local
