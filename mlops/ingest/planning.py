"""Step 1 of ingestion: decide what an object-created event means.

Layout of uploads:
  incoming/<dataset>/<file>.csv|.csv.gz|.parquet         a single-file upload
  incoming/<dataset>/<batch>/<part files...>             a multi-object upload, which becomes one
  incoming/<dataset>/<batch>/_COMMIT                     data version when its _COMMIT marker lands
Parts of a batch are ignored until the marker arrives, so a half-uploaded batch is never
validated. The marker's own content is irrelevant.

Names are not judged here: the validate step reads every planned object and decides by its
bytes, then checks that the name agrees (mlops.data.formats), exactly as `mlops data validate`
does, so both paths give one verdict for one file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

from mlops.config import ProjectConfig
from mlops.ingest.models import (
    COMMIT_MARKER,
    INCOMING,
    ObjectCreatedEvent,
    Plan,
    S3ObjectRef,
    upload_id,
)

#: lists the latest version of every object under a prefix
Lister = Callable[[str, str], Sequence[S3ObjectRef]]


def _problem(check: str, message: str, key: str | None = None) -> dict[str, str | None]:
    return {"check": check, "column": None, "message": message, "key": key}


def plan(event: ObjectCreatedEvent, config: ProjectConfig, list_latest: Lister) -> Plan:
    if not event.key.startswith(INCOMING):
        return Plan(mode="skip", reason=f"{event.key} is not under {INCOMING}")
    parts = PurePosixPath(event.key[len(INCOMING) :]).parts
    if len(parts) < 2:
        return Plan(mode="skip", reason=f"{event.key} names no dataset folder")
    dataset = parts[0]
    common = {
        "dataset": dataset,
        "bucket": event.bucket,
        "upload_id": upload_id(event.key, event.version_id),
        "upload_key": event.key,
        "requester": event.requester,
        "received_at": event.time,
    }
    the_object = S3ObjectRef(key=event.key, version_id=event.version_id, size=event.size)
    if len(parts) == 2:
        if parts[1].startswith((".", "_")):
            return Plan(mode="skip", reason=f"{event.key} is a hidden or marker file")
        problems = []
        if dataset not in config.datasets:
            known = ", ".join(sorted(config.datasets))
            problems.append(_problem("dataset.unknown", f"no dataset {dataset!r} is declared (known: {known})"))
        return Plan(mode="single", items=[the_object], problems=problems, **common)
    if len(parts) != 3 or parts[2] != COMMIT_MARKER:
        return Plan(mode="skip", reason=f"{event.key} is part of a batch; waiting for its {COMMIT_MARKER} marker")

    prefix = f"{INCOMING}{dataset}/{parts[1]}/"
    listed = [o for o in list_latest(event.bucket, prefix) if not PurePosixPath(o.key).name.startswith((".", "_"))]
    problems = []
    if dataset not in config.datasets:
        known = ", ".join(sorted(config.datasets))
        problems.append(_problem("dataset.unknown", f"no dataset {dataset!r} is declared (known: {known})"))
    if not listed:
        problems.append(_problem("batch.empty", f"{prefix} holds no data files next to its {COMMIT_MARKER} marker"))
    return Plan(mode="batch", items=sorted(listed, key=lambda o: o.key), problems=problems, **common)
