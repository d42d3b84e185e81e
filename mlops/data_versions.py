"""Client-side operations on data versions: push an upload and wait for its verdict, list,
show and diff versions. Used by the CLI; talks to AWS (or the local cloud) via adapters."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from mlops.adapters.s3 import ObjectStore
from mlops.data.profile import CategoricalProfile, DatasetProfile, NumericProfile
from mlops.data.sketch import QuantileSketch
from mlops.errors import MlopsError
from mlops.ingest.manifest import Manifest
from mlops.ingest.models import COMMIT_MARKER, INCOMING, SUPPORTED_SUFFIXES, Outcome, upload_id
from mlops.layout import outcome_key
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


# --------------------------------------------------------------------------------------------
# diff


class ColumnShift(BaseModel):
    column: str
    kind: str
    null_rate: tuple[float, float]
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
    shifts: list[ColumnShift]


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def population_stability_index(expected: list[int], actual: list[int], epsilon: float = 1e-4) -> float:
    """PSI over aligned bins (the drift statistic used by the drift checks)."""
    total_e, total_a = sum(expected) or 1, sum(actual) or 1
    psi = 0.0
    for e, a in zip(expected, actual, strict=True):
        pe, pa = max(e / total_e, epsilon), max(a / total_a, epsilon)
        psi += (pa - pe) * math.log(pa / pe)
    return psi


def _sketch(profile: NumericProfile) -> QuantileSketch:
    s = profile.sketch
    return QuantileSketch.from_parts(
        s.relative_accuracy, s.zero_count, (s.positive.keys, s.positive.counts), (s.negative.keys, s.negative.counts)
    )


def _numeric_psi(a: NumericProfile, b: NumericProfile) -> float | None:
    """PSI on A's histogram bins. When B was binned differently (its edges came from its own
    data), B's counts in A's bins are re-derived from B's quantile sketch."""
    if a.histogram is None or b.count == 0:
        return None
    bins_a = [a.histogram.underflow, *a.histogram.counts, a.histogram.overflow]
    if b.histogram is not None and b.histogram.edges == a.histogram.edges:
        bins_b = [b.histogram.underflow, *b.histogram.counts, b.histogram.overflow]
    else:
        counts, below, above = _sketch(b).histogram(np.asarray(a.histogram.edges, dtype=np.float64))
        bins_b = [below, *counts.tolist(), above]
    return population_stability_index(bins_a, bins_b)


def _shift(name: str, a: Any, b: Any) -> ColumnShift:
    shift = ColumnShift(
        column=name,
        kind=a.kind,
        null_rate=(_rate(a.null_count, a.count + a.null_count), _rate(b.null_count, b.count + b.null_count)),
    )
    if isinstance(a, NumericProfile) and isinstance(b, NumericProfile):
        shift.mean, shift.std = (a.mean, b.mean), (a.std, b.std)
        shift.psi = _numeric_psi(a, b)
    elif isinstance(a, CategoricalProfile) and isinstance(b, CategoricalProfile):
        shares_a = {f.value: _rate(f.count, a.count) for f in a.frequencies}
        shares_b = {f.value: _rate(f.count, b.count) for f in b.frequencies}
        shift.new_values = sorted(set(shares_b) - set(shares_a))
        shift.vanished_values = sorted(set(shares_a) - set(shares_b))
        values = set(shares_a) | set(shares_b)
        shift.max_share_change = max((abs(shares_a.get(v, 0) - shares_b.get(v, 0)) for v in values), default=0.0)
    return shift


def diff(a: tuple[DataVersionRecord, Manifest], b: tuple[DataVersionRecord, Manifest]) -> VersionDiff:
    (record_a, manifest_a), (record_b, manifest_b) = a, b
    objects_a = {o.key: o for o in manifest_a.objects}
    objects_b = {o.key: o for o in manifest_b.objects}
    common = objects_a.keys() & objects_b.keys()
    changed = sorted(k for k in common if objects_a[k].sha256 != objects_b[k].sha256)
    profile_a = DatasetProfile.model_validate(manifest_a.profile) if manifest_a.profile else None
    profile_b = DatasetProfile.model_validate(manifest_b.profile) if manifest_b.profile else None
    columns_a = profile_a.columns if profile_a else {}
    columns_b = profile_b.columns if profile_b else {}
    shifts = [
        _shift(name, columns_a[name], columns_b[name])
        for name in columns_a
        if name in columns_b and columns_a[name].kind == columns_b[name].kind
    ]
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
        shifts=shifts,
    )
