"""SageMaker real-time data capture for local endpoints: sampling, the record, the S3 layout.

When the endpoint config's `DataCaptureConfig.EnableCapture` is on (the default when the
config is given), each sampled invocation becomes one JSON line, as SageMaker writes them:

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "1.0,2.0", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                                        "data": "{\\"predictions\\": [0.9]}", "encoding": "JSON"}},
     "eventMetadata": {"eventId": "<uuid>", "inferenceId": "<InferenceId, when given>",
                       "inferenceTime": "2026-01-02T03:04:05Z"},
     "eventVersion": "0"}

- `encoding`: `CSV` for a content type listed in `CaptureContentTypeHeader.CsvContentTypes`,
  `JSON` for `JsonContentTypes`, `BASE64` (of the bytes) for anything else; without a
  `CaptureContentTypeHeader`, everything is BASE64, as SageMaker does;
- `CaptureOptions` decide which of `endpointInput`/`endpointOutput` are present
  (`Input`, `Output`, `InputAndOutput`);
- sampling: `InitialSamplingPercentage` of the invocations of each variant, deterministically
  (invocation n is captured when floor(n * pct / 100) grows), so 100 captures every one and 10
  every tenth;
- files: `<DestinationS3Uri>/<endpoint>/<variant>/<yyyy>/<mm>/<dd>/<hh>/<mm>-<ss>-<mmm>-<uuid>.jsonl`
  (UTC hour of the file's first record), SSE-KMS with `KmsKeyId` when one is given. Records are
  buffered and written every `FLUSH_SECONDS` (SageMaker batches them too, within minutes) and on
  `flush()` (the endpoint's update or deletion).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlops.layout import split_s3_uri

logger = logging.getLogger("mlops.local")

FLUSH_SECONDS = 0.5


@dataclass(frozen=True)
class CaptureSettings:
    destination: str
    percentage: float
    kms_key_id: str | None
    capture_input: bool
    capture_output: bool
    csv_types: frozenset[str]
    json_types: frozenset[str]

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> CaptureSettings | None:
        """The settings of an endpoint config's DataCaptureConfig; None when capture is off."""
        if not config or not config.get("EnableCapture", True) or not config.get("DestinationS3Uri"):
            return None
        modes = {str(o.get("CaptureMode")) for o in config.get("CaptureOptions") or []}
        headers = config.get("CaptureContentTypeHeader") or {}
        return cls(
            destination=str(config["DestinationS3Uri"]).rstrip("/"),
            percentage=float(config.get("InitialSamplingPercentage", 0)),
            kms_key_id=config.get("KmsKeyId") or None,
            capture_input=bool(modes & {"Input", "InputAndOutput"}),
            capture_output=bool(modes & {"Output", "InputAndOutput"}),
            csv_types=frozenset(_media(t) for t in headers.get("CsvContentTypes") or []),
            json_types=frozenset(_media(t) for t in headers.get("JsonContentTypes") or []),
        )

    def encode(self, data: bytes, content_type: str | None) -> tuple[str, str]:
        """(data, encoding) of one side of a record."""
        media = _media(content_type)
        try:
            if media in self.csv_types:
                return data.decode("utf-8"), "CSV"
            if media in self.json_types:
                return data.decode("utf-8"), "JSON"
        except UnicodeDecodeError:
            pass
        return base64.b64encode(data).decode("ascii"), "BASE64"


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def sampled(invocation: int, percentage: float) -> bool:
    """Whether the `invocation`-th (1-based) invocation is captured at `percentage`."""
    return int(invocation * percentage // 100) > int((invocation - 1) * percentage // 100)


def record(
    settings: CaptureSettings,
    *,
    request: bytes,
    request_type: str | None,
    response: bytes,
    response_type: str | None,
    inference_id: str | None,
    at: datetime,
) -> dict[str, Any]:
    capture: dict[str, Any] = {}
    if settings.capture_input:
        data, encoding = settings.encode(request, request_type)
        capture["endpointInput"] = {
            "observedContentType": request_type or "",
            "mode": "INPUT",
            "data": data,
            "encoding": encoding,
        }
    if settings.capture_output:
        data, encoding = settings.encode(response, response_type)
        capture["endpointOutput"] = {
            "observedContentType": response_type or "",
            "mode": "OUTPUT",
            "data": data,
            "encoding": encoding,
        }
    metadata: dict[str, Any] = {"eventId": str(uuid.uuid4())}
    if inference_id:
        metadata["inferenceId"] = inference_id
    metadata["inferenceTime"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"}


def object_key(prefix: str, endpoint: str, variant: str, at: datetime) -> str:
    at = at.astimezone(UTC)
    name = f"{at:%M-%S}-{at.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
    return "/".join(part for part in (prefix.strip("/"), endpoint, variant, f"{at:%Y/%m/%d/%H}", name) if part)


@dataclass
class _Batch:
    settings: CaptureSettings
    first: datetime
    lines: list[str] = field(default_factory=list)


class CaptureWriter:
    """Buffers captured records per (endpoint, variant) and writes them to S3 in batches."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self._lock = threading.Lock()
        self._batches: dict[tuple[str, str], _Batch] = {}
        self._counters: dict[tuple[str, str], int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="data-capture-flush", daemon=True)
        self._thread.start()

    def capture(self, settings: CaptureSettings, endpoint: str, variant: str, **fields: Any) -> bool:
        """Buffer one invocation if it is sampled; whether it was."""
        key = (endpoint, variant)
        with self._lock:
            self._counters[key] = count = self._counters.get(key, 0) + 1
            if not sampled(count, settings.percentage):
                return False
            line = json.dumps(record(settings, **fields), separators=(",", ":"))
            batch = self._batches.get(key)
            if batch is None or batch.settings != settings:
                if batch is not None:
                    self._write(key, batch)
                batch = self._batches[key] = _Batch(settings, fields["at"])
            batch.lines.append(line)
        return True

    def flush(self, endpoint: str | None = None) -> None:
        """Write what is buffered (for one endpoint, or all) now."""
        with self._lock:
            keys = [k for k in self._batches if endpoint is None or k[0] == endpoint]
            batches = [(k, self._batches.pop(k)) for k in keys]
        for key, batch in batches:
            self._write(key, batch)

    def _write(self, key: tuple[str, str], batch: _Batch) -> None:
        if not batch.lines:
            return
        bucket, prefix = split_s3_uri(batch.settings.destination + "/")
        object_name = object_key(prefix, key[0], key[1], batch.first)
        extra: dict[str, str] = {}
        if batch.settings.kms_key_id:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": batch.settings.kms_key_id}
        try:
            body = ("\n".join(batch.lines) + "\n").encode()
            self._s3.put_object(Bucket=bucket, Key=object_name, Body=body, ContentType="application/jsonl", **extra)
        except Exception:  # capture is best effort on SageMaker too: the invocation already answered
            logger.exception("data capture of %s/%s to s3://%s/%s failed", *key, bucket, object_name)

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self.flush()
