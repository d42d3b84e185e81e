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

from mlops.layout import manifest_key

#: 2: objects carry `content_key`, the immutable content-addressed copy that training reads
FORMAT_VERSION = 2


class ManifestObject(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: provenance: the upload's key and S3 version, as the user sent it
    key: str
    version_id: str | None
    #: what readers read: `objects/<dataset>/<sha256><suffix>`, written once, never overwritten
    #: (absent only in format-1 manifests, written before content addressing)
    content_key: str | None = None
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


__all__ = ["Manifest", "ManifestObject", "content_version_id", "manifest_key"]
