"""Capture files in SageMaker's data capture format (what endpoints write), for tests that need
captured traffic without an endpoint: one JSON line per invocation, under
`data-capture/<endpoint>/AllTraffic/<yyyy>/<mm>/<dd>/<hh>/<mm>-<ss>-<mmm>-<uuid>.jsonl`."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from mlops import layout


def record(
    row: Sequence[Any] | dict[str, Any],
    prediction: float | None = None,
    *,
    inference_id: str | None = None,
    at: datetime | None = None,
    encoding: str = "CSV",
) -> dict[str, Any]:
    """One invocation of one row: CSV values in feature order, or a JSON record."""
    if isinstance(row, dict):
        media, data = "application/json", json.dumps(row)
    else:
        media, data = "text/csv", ",".join("" if v is None else str(v) for v in row)
    if encoding == "BASE64":
        data = base64.b64encode(data.encode()).decode()
    elif isinstance(row, dict):
        encoding = "JSON"
    capture: dict[str, Any] = {
        "endpointInput": {"observedContentType": media, "mode": "INPUT", "data": data, "encoding": encoding}
    }
    if prediction is not None:
        capture["endpointOutput"] = {
            "observedContentType": "application/json",
            "mode": "OUTPUT",
            "data": json.dumps({"predictions": [prediction]}),
            "encoding": "JSON",
        }
    metadata: dict[str, Any] = {
        "eventId": str(uuid.uuid4()),
        "inferenceTime": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    return {"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"}


def jsonl(records: Sequence[dict[str, Any] | str]) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


def key(endpoint: str, at: datetime | None = None) -> str:
    at = at or datetime.now(UTC)
    return f"{layout.capture_hour_prefix(endpoint, at)}{at:%M-%S}-{at.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"


def put(s3: Any, bucket: str, endpoint: str, records: Sequence[dict[str, Any] | str]) -> str:
    name = key(endpoint)
    s3.put_object(Bucket=bucket, Key=name, Body=jsonl(records))
    return name


def from_frame(
    frame: Any, features: Sequence[str], scores: Sequence[float] | None = None, *, id_prefix: str = "inf"
) -> list[dict[str, Any]]:
    """One single-row CSV invocation per row of `frame` (values in feature order), inference ids
    `<id_prefix>-<n>`, with the model's score per row when given."""
    out = []
    for n, values in enumerate(frame[list(features)].itertuples(index=False, name=None)):
        score = None if scores is None else float(scores[n])
        out.append(record(list(values), score, inference_id=f"{id_prefix}-{n}"))
    return out
