"""The manifest of a data version: enough to re-read exactly the same bytes later.

Written once to `versions/<dataset>/<version_id>.json` with an S3 conditional write, so
whoever lands first defines it and nobody rewrites it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from mlops.ingest.models import VERSIONS

FORMAT_VERSION = 1


class ManifestObject(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    version_id: str | None
    sha256: str
    bytes: int
    rows: int


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    format_version: int = FORMAT_VERSION
    dataset: str
    version_id: str
    schema_hash: str
    objects: list[ManifestObject]
    rows: int
    bytes: int
    profile: dict[str, Any]
    created_at: datetime
    created_by: str
    upload_id: str


def content_version_id(object_hashes: Iterable[str], schema_hash: str) -> str:
    """sha256 over the sorted per-object hashes and the schema hash: the same bytes under the
    same schema are the same version, whatever the object names or upload order."""
    digest = hashlib.sha256()
    for object_hash in sorted(object_hashes):
        digest.update(object_hash.encode())
        digest.update(b"\n")
    digest.update(b"schema:")
    digest.update(schema_hash.encode())
    return digest.hexdigest()


def manifest_key(dataset: str, version_id: str) -> str:
    return f"{VERSIONS}{dataset}/{version_id}.json"
