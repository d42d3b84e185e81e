"""Ingestion's per-object step: hash and validate one pinned object version, store its report.

Runs once per object (a Distributed Map item for batches); `conclusion` turns the results of
one upload into a data version or a quarantine."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

from mlops.adapters.s3 import ObjectStore
from mlops.config import ProjectConfig
from mlops.data import validate_file
from mlops.ingest.models import ObjectResult, ValidateItem
from mlops.layout import report_prefix


def validate_object(item: ValidateItem, config: ProjectConfig, store: ObjectStore) -> ObjectResult:
    """Download one pinned object version, hash it, validate it, store its full report."""
    dataset = config.datasets[item.dataset]
    with tempfile.TemporaryDirectory(prefix="mlops-validate-") as workdir:
        local = Path(workdir) / PurePosixPath(item.object.key).name
        sha256, size, version_read = store.download(item.bucket, item.object.key, item.object.version_id, local)
        report = validate_file(
            local,
            dataset,
            file_name=item.object.key,
            max_uncompressed_bytes=config.data_lake.max_uncompressed_bytes,
        )
    report_key = f"{report_prefix(item.dataset, item.upload_id)}objects/{sha256}.json"
    store.put_json(item.bucket, report_key, report.model_dump(mode="json"))
    return ObjectResult(
        key=item.object.key,
        version_id=version_read or item.object.version_id,
        sha256=sha256,
        bytes=size,
        rows=report.rows,
        verdict=report.verdict,
        error_count=len(report.errors),
        report_key=report_key,
    )
