"""Client-side operations on data versions: push an upload and wait for its verdict, list,
show and diff versions. Used by the CLI; talks to AWS (or the local cloud) via adapters."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops.adapters.s3 import ObjectStore
from mlops.errors import MlopsError
from mlops.ingest.manifest import Manifest
from mlops.ingest.models import COMMIT_MARKER, INCOMING, SUPPORTED_SUFFIXES, Outcome, upload_id
from mlops.ingest.steps import outcome_key
from mlops.registry.data_versions import DataVersionRecord, DataVersionRegistry


class UploadError(MlopsError):
    error_name = "Mlops.UploadError"
    exit_code = 2


class VerdictTimeoutError(MlopsError):
    error_name = "Mlops.VerdictTimeout"
    exit_code = 4


@dataclass(frozen=True)
class Upload:
    dataset: str
    bucket: str
    key: str
    version_id: str | None
    upload_id: str
    files: int


def data_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(SUPPORTED_SUFFIXES))
        if files:
            return files
        raise UploadError(f"{path} holds no {', '.join(SUPPORTED_SUFFIXES)} files")
    raise UploadError(f"{path} does not exist")


def push(s3: Any, bucket: str, dataset: str, path: Path, *, now: datetime | None = None) -> Upload:
    """Upload a file as `incoming/<dataset>/<name>`, or a directory as a batch with a commit
    marker (the marker is written last, so the batch is validated only once complete)."""
    files = data_files(path)
    if path.is_file():
        key = f"{INCOMING}{dataset}/{path.name}"
        with path.open("rb") as body:
            response = s3.put_object(Bucket=bucket, Key=key, Body=body)
    else:
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
        prefix = f"{INCOMING}{dataset}/{path.name}-{stamp}/"
        for file in files:
            with file.open("rb") as body:
                s3.put_object(
                    Bucket=bucket, Key=prefix + file.relative_to(path).as_posix().replace("/", "_"), Body=body
                )
        key = prefix + COMMIT_MARKER
        response = s3.put_object(Bucket=bucket, Key=key, Body=b"")
    version_id = response.get("VersionId")
    return Upload(dataset, bucket, key, version_id, upload_id(key, version_id), len(files))


def wait_for_outcome(
    store: ObjectStore,
    upload: Upload,
    *,
    timeout: float,
    poll: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    key = outcome_key(upload.dataset, upload.upload_id)
    deadline = time.monotonic() + timeout
    while True:
        if store.exists(upload.bucket, key):
            return Outcome.model_validate(store.get_json(upload.bucket, key))
        if time.monotonic() >= deadline:
            raise VerdictTimeoutError(
                f"no verdict for s3://{upload.bucket}/{upload.key} after {timeout:.0f} s "
                f"(expected at s3://{upload.bucket}/{key}); check the ingestion state machine's executions"
            )
        sleep(poll)


def parse_ref(ref: str) -> tuple[str, str]:
    """`dataset@v3`, `dataset@<id prefix>` or `dataset` (latest)."""
    dataset, _, version = ref.partition("@")
    if not dataset:
        raise UploadError(f"{ref!r} is not DATASET[@VERSION]")
    return dataset, version or "latest"


def load_manifest(store: ObjectStore, record: DataVersionRecord) -> Manifest:
    bucket, _, key = record.manifest_uri.removeprefix("s3://").partition("/")
    return Manifest.model_validate(store.get_json(bucket, key))


def show(registry: DataVersionRegistry, store: ObjectStore, ref: str) -> tuple[DataVersionRecord, Manifest]:
    record = registry.resolve(*parse_ref(ref))
    return record, load_manifest(store, record)
