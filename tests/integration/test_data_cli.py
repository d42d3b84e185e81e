"""`mlops data push | versions | show | diff` against moto, through the real CLI entry point."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mlops.cli.main import app
from mlops.ingest import client as data_versions
from mlops.ingest.models import ObjectCreatedEvent
from mlops.registry.data_versions import DataVersionNotFoundError
from tests.datasets import csv_bytes, frame
from tests.integration.conftest import EXAMPLE, DataLake

DATASET = "breast-cancer"
runner = CliRunner()


def push_and_ingest(lake: DataLake, path: Path) -> data_versions.Upload:
    upload = data_versions.push(lake.s3, lake.bucket, DATASET, path)
    event = ObjectCreatedEvent(
        time=datetime.now(UTC),
        bucket=lake.bucket,
        key=upload.key,
        version_id=upload.version_id,
        size=None,
        requester="cli",
    )
    lake.ingest(event)  # what the deployed state machine does on the object-created event
    return upload


def cli(*args: str) -> Any:
    """The command's --json output (an object or a list, as the command prints it)."""
    result = runner.invoke(app, ["-f", str(EXAMPLE), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_push_waits_for_the_verdict_written_by_ingestion(lake: DataLake, tmp_path: Path) -> None:
    path = tmp_path / "day1.csv"
    path.write_bytes(csv_bytes(frame(lake.config.datasets[DATASET], 100)))
    upload = push_and_ingest(lake, path)
    outcome = data_versions.wait_for_outcome(lake.store, upload, timeout=5)
    assert outcome.verdict == "accepted" and outcome.version == "v1"


def test_push_of_a_directory_is_one_committed_batch(lake: DataLake, tmp_path: Path) -> None:
    for i in range(2):
        (tmp_path / f"part-{i}.csv").write_bytes(csv_bytes(frame(lake.config.datasets[DATASET], 50, i, i * 100)))
    (tmp_path / "README.txt").write_text("not data")
    upload = push_and_ingest(lake, tmp_path)
    assert upload.key.endswith("/_COMMIT") and upload.files == 2
    outcome = data_versions.wait_for_outcome(lake.store, upload, timeout=5)
    assert outcome.verdict == "accepted" and outcome.rows == 100


def test_waiting_gives_up_with_a_typed_error(lake: DataLake, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n1,2\n")
    upload = data_versions.push(lake.s3, lake.bucket, DATASET, path)  # nobody ingests it
    with pytest.raises(data_versions.VerdictTimeoutError, match="no verdict"):
        data_versions.wait_for_outcome(lake.store, upload, timeout=0, sleep=lambda _: None)


def test_push_rejects_a_missing_path(lake: DataLake, tmp_path: Path) -> None:
    with pytest.raises(data_versions.UploadError, match="does not exist"):
        data_versions.push(lake.s3, lake.bucket, DATASET, tmp_path / "absent.csv")


def test_versions_show_and_diff(lake: DataLake, tmp_path: Path) -> None:
    spec = lake.config.datasets[DATASET]
    first = tmp_path / "a.csv"
    first.write_bytes(csv_bytes(frame(spec, 300, seed=1)))
    push_and_ingest(lake, first)
    shifted = frame(spec, 300, seed=2, id_offset=5000)
    shifted["mean_radius"] = shifted["mean_radius"] * 3 + 10  # a clear distribution shift
    second = tmp_path / "b.csv"
    second.write_bytes(csv_bytes(shifted))
    push_and_ingest(lake, second)

    versions = cli("data", "versions", DATASET, "--json")
    assert [v["name"] for v in versions] == ["v1", "v2"]

    shown = cli("data", "show", f"{DATASET}@v1", "--json")
    assert shown["record"]["name"] == "v1"
    assert shown["manifest"]["objects"][0]["key"] == f"incoming/{DATASET}/a.csv"

    diff = cli("data", "diff", f"{DATASET}@v1", f"{DATASET}@v2", "--json")
    assert diff["added"] == [f"incoming/{DATASET}/b.csv"] and diff["removed"] == [f"incoming/{DATASET}/a.csv"]
    assert not diff["schema_changed"]
    shifts = {s["column"]: s for s in diff["shifts"]}
    assert shifts["mean_radius"]["psi"] > 0.5 > shifts["mean_texture"]["psi"]
    assert shifts["diagnosis"]["kind"] in {"numeric", "categorical"}


def test_unknown_version_is_a_clear_error(lake: DataLake) -> None:
    result = runner.invoke(app, ["-f", str(EXAMPLE), "data", "show", f"{DATASET}@v9"])
    # mlops.cli.main.main() turns this typed error into its message and exit code 1
    assert isinstance(result.exception, DataVersionNotFoundError)
    assert str(result.exception) == f"{DATASET}@v9 is not a registered data version"
    assert DataVersionNotFoundError.exit_code == 1
