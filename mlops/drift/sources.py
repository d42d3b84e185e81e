"""Where a check's baseline and current data come from: a data version's stored profile (via
the registry and the manifest in S3), a profile or manifest JSON file on disk (offline), or a
data file profiled here exactly as ingestion would profile it, binned like the baseline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from mlops.adapters.s3 import ObjectStore
from mlops.config import DatasetConfig
from mlops.data import validate_file
from mlops.data.profile import DatasetProfile
from mlops.drift.models import DriftInputError
from mlops.ingest import client as data_versions
from mlops.registry.data_versions import DataVersionNotFoundError, DataVersionRegistry


@dataclass(frozen=True)
class Profiled:
    """A profile and the name a report shows for it."""

    name: str
    profile: DatasetProfile
    #: for a data file: how many of its checks failed (its invalid values count as missing)
    failed_checks: int = 0


def is_profile_file(ref: str) -> bool:
    return ref.endswith(".json") or Path(ref).is_file()


def profile_file(path: Path) -> Profiled:
    """A profile JSON (`data validate --profile-out`) or a manifest JSON (its `profile`)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DriftInputError(f"cannot read the baseline {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise DriftInputError(f"{path} is not JSON: {exc}") from exc
    if isinstance(document, dict) and isinstance(document.get("profile"), dict):
        document = document["profile"]
    try:
        return Profiled(path.name, DatasetProfile.model_validate(document))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise DriftInputError(
            f"{path} is neither a profile nor a manifest with one ({exc.error_count()} problem(s), "
            f"first at {where}: {first['msg']})"
        ) from exc


def version_profile(registry: DataVersionRegistry, store: ObjectStore, dataset: str, ref: str) -> Profiled:
    record, manifest = data_versions.show(registry, store, f"{dataset}@{ref}")
    if not manifest.profile:
        raise DriftInputError(f"{record.ref} has no statistics profile in its manifest")
    return Profiled(record.ref, DatasetProfile.model_validate(manifest.profile))


def previous_version(registry: DataVersionRegistry, dataset: str, ref: str) -> str:
    """The version registered just before `ref`: the default baseline of `--data-version`."""
    target = registry.resolve(dataset, ref)
    names = [r.name for r in registry.list(dataset)]
    index = names.index(target.name)
    if index == 0:
        raise DataVersionNotFoundError(f"{target.ref} is the first version: give --baseline to compare it with")
    return names[index - 1]


def data_file(path: Path, dataset: DatasetConfig, baseline: DatasetProfile, *, max_uncompressed_bytes: int) -> Profiled:
    """Profile a CSV/Parquet file as ingestion does, binned on the baseline's histogram edges."""
    report = validate_file(
        path, dataset, file_name=path.name, max_uncompressed_bytes=max_uncompressed_bytes, reference=baseline
    )
    if report.profile is None:
        error = report.errors[0]
        raise DriftInputError(f"{path} cannot be read as a table: {error.check}: {error.message}")
    return Profiled(path.name, report.profile, failed_checks=len(report.errors))
