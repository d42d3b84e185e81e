"""S3 access for the data lake: pinned-version reads, write-once objects, version listing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from mlops.errors import MlopsError
from mlops.ingest.models import S3ObjectRef

CHUNK = 1 << 20
#: what S3 answers a conditional write whose key exists (or is being written concurrently)
_PRECONDITION_FAILED = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412"})


class ObjectUnavailableError(MlopsError):
    """An object (or the pinned version of it) cannot be read."""

    error_name = "Mlops.ObjectUnavailable"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class ObjectStore:
    def __init__(self, client: Any) -> None:
        self._s3 = client

    def download(self, bucket: str, key: str, version_id: str | None, destination: Path) -> tuple[str, int, str | None]:
        """Stream one object version to `destination`; returns (sha256, bytes, version id read)."""
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            response = self._s3.get_object(**kwargs)
        except ClientError as exc:
            raise ObjectUnavailableError(f"s3://{bucket}/{key} (version {version_id}): {_code(exc)}") from exc
        digest, size = hashlib.sha256(), 0
        destination.parent.mkdir(parents=True, exist_ok=True)
        with destination.open("wb") as out:
            for chunk in response["Body"].iter_chunks(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        return digest.hexdigest(), size, response.get("VersionId")

    def put_json(self, bucket: str, key: str, document: Any) -> str | None:
        body = json.dumps(document, indent=2, sort_keys=True, default=str).encode()
        response = self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
        version: str | None = response.get("VersionId")
        return version

    def put_json_once(self, bucket: str, key: str, document: Any) -> bool:
        """Create `key` only if it does not exist (S3 conditional write). False if it did."""
        body = json.dumps(document, indent=2, sort_keys=True, default=str).encode()
        try:
            self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*")
        except ClientError as exc:
            if _code(exc) in _PRECONDITION_FAILED:
                return False
            raise
        return True

    def get_json(self, bucket: str, key: str, version_id: str | None = None) -> Any:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            body = self._s3.get_object(**kwargs)["Body"].read()
        except ClientError as exc:
            raise ObjectUnavailableError(f"s3://{bucket}/{key}: {_code(exc)}") from exc
        return json.loads(body)

    def exists(self, bucket: str, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def current_version(self, bucket: str, key: str) -> str | None:
        """The version id of the object's current version (None in an unversioned bucket)."""
        try:
            version: str | None = self._s3.head_object(Bucket=bucket, Key=key).get("VersionId")
        except ClientError as exc:
            raise ObjectUnavailableError(f"s3://{bucket}/{key}: {_code(exc)}") from exc
        return version

    def copy_version(self, bucket: str, key: str, version_id: str | None, destination_key: str) -> None:
        """Server-side copy of one pinned version; the source is left exactly as it was."""
        source: dict[str, str] = {"Bucket": bucket, "Key": key}
        if version_id:
            source["VersionId"] = version_id
        try:
            self._s3.copy_object(Bucket=bucket, Key=destination_key, CopySource=source)
        except ClientError as exc:
            raise ObjectUnavailableError(f"cannot copy s3://{bucket}/{key}: {_code(exc)}") from exc

    def copy_once(self, bucket: str, key: str, version_id: str | None, destination_key: str) -> bool:
        """Server-side copy of one pinned version to a key that must not exist yet (S3
        conditional write). False when the destination already exists: it is never overwritten.

        The existence check first keeps the common re-upload case to one HEAD; the conditional
        copy closes the race between two concurrent writers of the same key."""
        if self.exists(bucket, destination_key):
            return False
        source: dict[str, str] = {"Bucket": bucket, "Key": key}
        if version_id:
            source["VersionId"] = version_id
        try:
            self._s3.copy_object(Bucket=bucket, Key=destination_key, CopySource=source, IfNoneMatch="*")
        except ClientError as exc:
            if _code(exc) in _PRECONDITION_FAILED:
                return False
            raise ObjectUnavailableError(f"cannot copy s3://{bucket}/{key} to {destination_key}: {_code(exc)}") from exc
        return True

    def list_latest(self, bucket: str, prefix: str) -> list[S3ObjectRef]:
        """The current version of every object under `prefix` (deleted objects excluded)."""
        found = []
        paginator = self._s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for version in page.get("Versions", []):
                if version.get("IsLatest"):
                    found.append(
                        S3ObjectRef(key=version["Key"], version_id=version.get("VersionId"), size=version.get("Size"))
                    )
        return sorted(found, key=lambda o: o.key)
