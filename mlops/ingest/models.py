"""Contracts between the ingestion state machine's steps (all JSON through Step Functions)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops.layout import COMMIT_MARKER, INCOMING, QUARANTINE, REPORTS, SUPPORTED_SUFFIXES, VERSIONS

__all__ = ["COMMIT_MARKER", "INCOMING", "QUARANTINE", "REPORTS", "SUPPORTED_SUFFIXES", "VERSIONS"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class S3ObjectRef(_Model):
    key: str
    version_id: str | None = None
    size: int | None = None


class ObjectCreatedEvent(_Model):
    """The fields we use of EventBridge's `aws.s3` / `Object Created` event."""

    time: datetime
    bucket: str
    key: str
    version_id: str | None
    size: int | None
    requester: str

    @classmethod
    def from_eventbridge(cls, event: dict[str, Any]) -> ObjectCreatedEvent:
        detail = event["detail"]
        obj = detail["object"]
        return cls(
            time=event["time"],
            bucket=detail["bucket"]["name"],
            key=obj["key"],
            version_id=obj.get("version-id"),
            size=obj.get("size"),
            requester=detail.get("requester", "unknown"),
        )


def upload_id(key: str, version_id: str | None) -> str:
    """Identifies one upload; the CLI computes the same id from its PutObject response."""
    return hashlib.sha256(f"{key}\n{version_id or 'null'}".encode()).hexdigest()[:20]


class Plan(_Model):
    mode: Literal["single", "batch", "skip"]
    reason: str = ""
    dataset: str = ""
    bucket: str = ""
    upload_id: str = ""
    upload_key: str = ""
    requester: str = ""
    received_at: datetime | None = None
    items: list[S3ObjectRef] = Field(default_factory=list)
    #: problems found before any object is read (unknown dataset, unsupported file type)
    problems: list[dict[str, Any]] = Field(default_factory=list)


class ValidateItem(_Model):
    dataset: str
    bucket: str
    upload_id: str
    object: S3ObjectRef


class ObjectResult(_Model):
    """One validated object, small enough to travel through a Map state's results."""

    key: str
    version_id: str | None
    sha256: str
    bytes: int
    rows: int
    verdict: Literal["accepted", "rejected"]
    error_count: int
    report_key: str


class Outcome(_Model):
    """What an upload came to; also written to `reports/<dataset>/<upload_id>/outcome.json`."""

    verdict: Literal["accepted", "rejected"]
    dataset: str
    upload_id: str
    version: str | None = None
    version_id: str | None = None
    manifest_uri: str | None = None
    report_uri: str
    created: bool = False
    rows: int = 0
    message: str
