"""One verdict per file, whichever path: a set of bad files goes through `mlops data validate`
(local, no cloud) and through the deployed ingestion on the local cloud (`data push`: S3 ->
EventBridge -> state machine -> Distributed Map -> the validate Lambda from its asset), and
the two reports must agree field by field: verdict, rows, every error and warning with its
check, column, row count, examples (row, line, value), duplicates and message."""

import gzip
import io
import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops import config as config_module
from mlops.data import ValidationReport
from tests.datasets import csv_bytes, frame
from tests.e2e.conftest import REPO_ROOT, LocalCloud

pytestmark = pytest.mark.e2e

DATASET = "breast-cancer"
CONFIG = config_module.load(REPO_ROOT / "mlops.yaml", "dev")
BUCKET = f"{CONFIG.prefix}-data-123456789012-{CONFIG.settings.region}"
LIMIT = CONFIG.data_lake.max_uncompressed_bytes


def one_line_bomb(header: bytes) -> bytes:
    """A header, then one line of '0' characters past the configured limit, in ~1/1000 the size."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"0" * (1 << 20)
    parts = [compressor.compress(header)]
    parts += [compressor.compress(block) for _ in range(LIMIT // len(block) + 2)]
    return b"".join(parts) + compressor.flush()


def spliced(header: bytes, lines: list[bytes], at: int, insert: bytes, *, replace: bool = False) -> bytes:
    """The CSV with `insert` put before data line `at` (or in its place)."""
    return header + b"\n" + b"".join(lines[:at]) + insert + b"".join(lines[at + 1 if replace else at :])


def bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the check its first error must be)."""
    spec = CONFIG.datasets[DATASET]
    good = csv_bytes(frame(spec, 80, seed=3))
    header, _, body = good.partition(b"\n")
    lines = body.splitlines(keepends=True)
    df = frame(spec, 80, seed=4)
    df.loc[5, "mean_radius"] = -3.5
    df.loc[9, "diagnosis"] = 4
    df.loc[30, "sample_id"] = df.loc[2, "sample_id"]
    df.loc[40, "sample_id"] = "bad-id"
    table = pa.Table.from_pandas(frame(spec, 80, seed=5), preserve_index=False)
    parquet = io.BytesIO()
    pq.write_table(table, parquet)
    records = frame(spec, 3, seed=6).to_json(orient="records", lines=True).encode()
    cases: dict[str, tuple[bytes, str]] = {
        "values.csv": (csv_bytes(df), "min"),
        "ragged.csv": (spliced(header, lines, 10, b"S99999,1.0\n"), "ragged_rows"),
        "unterminated.csv": (spliced(header, lines, 20, b'"S0'), "unterminated_quote"),
        "undecodable.csv": (spliced(header, lines, 7, b"S\xe9" + lines[7][2:], replace=True), "undecodable"),
        "nul.csv": (spliced(header, lines, 4, b"\x00"), "not_tabular"),
        "bomb.csv.gz": (one_line_bomb(header + b"\nS00001,"), "decompression_limit"),
        "records.json": (records, "unsupported_format"),
        "csv-bytes.parquet": (good, "name_mismatch"),
        "parquet-bytes.csv": (parquet.getvalue(), "name_mismatch"),
        "gzip-bytes.csv": (gzip.compress(good), "name_mismatch"),
    }
    files = {}
    for name, (data, check) in cases.items():
        path = folder / name
        path.write_bytes(data)
        files[name] = (path, check)
    return files


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return bad_files(tmp_path_factory.mktemp("bad-files"))


def cli_summary(cloud: LocalCloud, path: Path) -> dict[str, Any]:
    result = cloud.mlops("data", "validate", str(path), "--dataset", DATASET, "--json", check=False)
    assert result.returncode == 1, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def deployed_summaries(cloud: LocalCloud, path: Path) -> dict[str, dict[str, Any]]:
    """Push `path` (a file or a batch folder) and read back the validate Lambda's report of each
    object, as the same summary the CLI prints."""
    result = cloud.mlops(
        "--local", "data", "push", str(path), "--dataset", DATASET, "--wait", "--json", "--timeout", "300", check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["verdict"] == "rejected"
    s3 = cloud.client("s3")
    report_key = outcome["report_uri"].split("/", 3)[3]
    quarantine = json.loads(s3.get_object(Bucket=BUCKET, Key=report_key)["Body"].read())
    summaries = {}
    for obj in quarantine["objects"]:
        stored = json.loads(s3.get_object(Bucket=BUCKET, Key=obj["report_key"])["Body"].read())
        summaries[obj["key"].rsplit("/", 1)[-1]] = ValidationReport.model_validate(stored).to_summary_json()
    # what `data push` prints is the quarantine report: the same errors again, with their key
    printed = [{k: v for k, v in e.items() if k != "key"} for e in outcome["errors"]]
    assert printed == [e for s in summaries.values() for e in s["errors"]]
    return summaries


def test_every_bad_file_gets_the_same_report_from_the_cli_and_the_deployed_ingestion(
    local_cloud: LocalCloud, files: dict[str, tuple[Path, str]]
) -> None:
    def both(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        [deployed] = deployed_summaries(local_cloud, path).values()
        return cli_summary(local_cloud, path), deployed

    # each file is its own upload and its own execution: they run side by side, as users' do
    with ThreadPoolExecutor(max_workers=5) as pool:
        reports = dict(zip(files, pool.map(both, [path for path, _ in files.values()]), strict=True))
    differences = {}
    for name, (local, deployed) in reports.items():
        check = files[name][1]
        assert local["verdict"] == "rejected", name
        assert any(e["check"].removeprefix("structure.") == check for e in local["errors"]), (name, local["errors"])
        if deployed != local:
            differences[name] = {"cli": local, "deployed": deployed}
    assert not differences, json.dumps(differences, indent=1)[:6000]


def test_a_batch_through_the_distributed_map_agrees_object_by_object(
    local_cloud: LocalCloud, files: dict[str, tuple[Path, str]], tmp_path: Path
) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("values.csv", "ragged.csv", "undecodable.csv"):
        (batch / name).write_bytes(files[name][0].read_bytes())
    deployed = deployed_summaries(local_cloud, batch)
    assert sorted(deployed) == ["ragged.csv", "undecodable.csv", "values.csv"]
    for name, summary in deployed.items():
        assert summary == cli_summary(local_cloud, batch / name), name
