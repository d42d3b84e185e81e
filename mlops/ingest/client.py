"""Client-side operations on data versions: push an upload and wait for its verdict, list,
show and diff versions. Used by the CLI; talks to AWS (or the local cloud) via adapters."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from mlops.adapters.s3 import ObjectStore
from mlops.data.profile import DatasetProfile
from mlops.drift import DriftPolicy, FeatureDrift, check_profile
from mlops.errors import MlopsError
from mlops.ingest.manifest import Manifest
from mlops.ingest.models import COMMIT_MARKER, SUPPORTED_SUFFIXES, Outcome, upload_id
from mlops.layout import incoming_key, outcome_key, split_s3_uri
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
        key = incoming_key(dataset, path.name)
        with path.open("rb") as body:
            response = s3.put_object(Bucket=bucket, Key=key, Body=body)
    else:
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
        prefix = incoming_key(dataset, f"{path.name}-{stamp}/")
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
    bucket, key = split_s3_uri(record.manifest_uri)
    return Manifest.model_validate(store.get_json(bucket, key))


def show(registry: DataVersionRegistry, store: ObjectStore, ref: str) -> tuple[DataVersionRecord, Manifest]:
    record = registry.resolve(*parse_ref(ref))
    return record, load_manifest(store, record)


# --------------------------------------------------------------------------------------------
# diff


class ColumnShift(BaseModel):
    """One column of B against the same column of A, as the drift engine judges it."""

    column: str
    kind: str
    status: str
    method: str | None = None
    score: float | None = None
    threshold: float | None = None
    reason: str
    null_rate: tuple[float | None, float | None]
    mean: tuple[float | None, float | None] | None = None
    std: tuple[float | None, float | None] | None = None
    psi: float | None = None
    new_values: list[str] = Field(default_factory=list)
    vanished_values: list[str] = Field(default_factory=list)
    max_share_change: float | None = None


class VersionDiff(BaseModel):
    a: str
    b: str
    added: list[str]
    removed: list[str]
    changed: list[str]
    unchanged: int
    schema_changed: bool
    rows: tuple[int, int]
    columns_added: list[str]
    columns_removed: list[str]
    #: the drift engine's dataset verdict for B against A (None when a version has no profile)
    verdict: str | None
    drifted_share: float | None
    shifts: list[ColumnShift]


def _shift(feature: FeatureDrift) -> ColumnShift:
    shift = ColumnShift(
        column=feature.feature,
        kind=feature.kind,
        status=feature.status,
        method=None if feature.method is None else str(feature.method),
        score=feature.score,
        threshold=feature.threshold,
        reason=feature.reason,
        null_rate=(feature.reference_missing_share, feature.current_missing_share),
    )
    if feature.numeric is not None:
        shift.mean, shift.std, shift.psi = feature.numeric.mean, feature.numeric.std, feature.numeric.psi
    if feature.categorical is not None:
        shift.new_values = feature.categorical.new_categories
        shift.vanished_values = feature.categorical.vanished_categories
        shift.max_share_change = feature.categorical.max_share_change
    return shift


def diff(
    a: tuple[DataVersionRecord, Manifest], b: tuple[DataVersionRecord, Manifest], policy: DriftPolicy
) -> VersionDiff:
    """Objects and schema of B against A, and B's columns judged by the drift engine with A as
    the baseline under `policy` (the dataset's configured thresholds; unique columns excluded)."""
    (record_a, manifest_a), (record_b, manifest_b) = a, b
    objects_a = {o.key: o for o in manifest_a.objects}
    objects_b = {o.key: o for o in manifest_b.objects}
    common = objects_a.keys() & objects_b.keys()
    changed = sorted(k for k in common if objects_a[k].sha256 != objects_b[k].sha256)
    profile_a = DatasetProfile.model_validate(manifest_a.profile) if manifest_a.profile else None
    profile_b = DatasetProfile.model_validate(manifest_b.profile) if manifest_b.profile else None
    columns_a = profile_a.columns if profile_a else {}
    columns_b = profile_b.columns if profile_b else {}
    report = None
    if profile_a is not None and profile_b is not None:
        report = check_profile(
            profile_a, profile_b, policy, dataset=record_a.dataset, baseline=record_a.ref, current=record_b.ref
        )
    return VersionDiff(
        a=record_a.ref,
        b=record_b.ref,
        added=sorted(objects_b.keys() - objects_a.keys()),
        removed=sorted(objects_a.keys() - objects_b.keys()),
        changed=changed,
        unchanged=len(common) - len(changed),
        schema_changed=manifest_a.schema_hash != manifest_b.schema_hash,
        rows=(manifest_a.rows, manifest_b.rows),
        columns_added=sorted(columns_b.keys() - columns_a.keys()),
        columns_removed=sorted(columns_a.keys() - columns_b.keys()),
        verdict=None if report is None else report.verdict,
        drifted_share=None if report is None else report.drifted_share,
        shifts=[] if report is None else [_shift(f) for f in report.features],
    )
