"""SageMaker real-time data capture, parsed: one JSON line per captured invocation.

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "...", "encoding": "CSV" | "JSON" | "BASE64"},
                     "endpointOutput": {... "mode": "OUTPUT" ...}},
     "eventMetadata": {"eventId": "...", "inferenceId": "...", "inferenceTime": "2026-01-02T03:04:05Z"},
     "eventVersion": "0"}

under `<destination>/<endpoint>/<variant>/<yyyy>/<mm>/<dd>/<hh>/<file>.jsonl` (the hour of the
file's first record). `BASE64` data is decoded and then read by its observed content type.

Inputs are read as the model server reads them (training/inference.py): `text/csv` with or
without a header row (without one, values are in the model's feature order: the schema's
columns without the target and the id columns), `application/json` as a list of records,
`{"instances": [...]}` of records or of value lists, or one record. Outputs: JSON
`{"predictions": [...]}` (numbers, or objects with a `score`/`probability`) or a list, or CSV
with one probability per line.

A record that cannot be read is reported (`CaptureProblem`: file, line, why) and skipped: a
check never fails on one bad line. A record inferred before `not_before` (when the model a check
judges began serving) is an earlier model's: counted and skipped.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlops.config import DatasetConfig
from mlops.pipeline.job_contract import id_columns

#: how many problems a report lists (all are counted)
LISTED_PROBLEMS = 20
Value = str | float | int | bool | None


class CaptureFormatError(ValueError):
    """One captured record cannot be read (the message says why)."""


@dataclass(frozen=True)
class CaptureProblem:
    file: str
    line: int
    reason: str


@dataclass(frozen=True)
class CapturedInvocation:
    event_id: str
    inference_id: str | None
    inference_time: datetime | None
    #: one dict per row of the request, keyed by feature name
    rows: list[dict[str, Value]]
    #: the model's positive-class probability per row (empty when the output was not captured)
    predictions: list[float]

    @property
    def join_key(self) -> str:
        """What ground truth is matched on: the caller's inference id, else SageMaker's event id."""
        return self.inference_id or self.event_id


def feature_columns(dataset: DatasetConfig) -> list[str]:
    """The model's features in order: what train.py trains on (the target and ids removed)."""
    ids = set(id_columns(dataset))
    return [c.name for c in dataset.columns if c.name != dataset.target and c.name not in ids]


def _payload(part: Any, what: str) -> tuple[str, str]:
    """(media type, text) of an endpointInput/endpointOutput."""
    if not isinstance(part, dict):
        raise CaptureFormatError(f"{what} is not an object")
    data = part.get("data")
    if not isinstance(data, str):
        raise CaptureFormatError(f"{what}.data is missing")
    media = str(part.get("observedContentType") or "").split(";", 1)[0].strip().lower()
    encoding = str(part.get("encoding") or "").upper()
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise CaptureFormatError(f"{what}.data is not base64 of UTF-8 text: {exc}") from exc
    elif encoding not in {"CSV", "JSON"}:
        raise CaptureFormatError(f"{what}.encoding {encoding or '(none)'!r} is not CSV, JSON or BASE64")
    if not media:
        media = "text/csv" if encoding == "CSV" else "application/json"
    return media, data


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_rows(text: str, features: Sequence[str]) -> list[dict[str, Value]]:
    lines = [row for row in csv.reader(io.StringIO(text.strip())) if row]
    if not lines:
        raise CaptureFormatError("the CSV input has no rows")
    header: Sequence[str] = features
    if any(cell.strip() and not _number(cell.strip()) for cell in lines[0]):
        header, lines = [cell.strip() for cell in lines[0]], lines[1:]
    rows: list[dict[str, Value]] = []
    for values in lines:
        if len(values) != len(header):
            raise CaptureFormatError(f"a CSV row has {len(values)} values, expected {len(header)}")
        rows.append({name: (value if value != "" else None) for name, value in zip(header, values, strict=True)})
    return rows


def _json_rows(text: str, features: Sequence[str]) -> list[dict[str, Value]]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CaptureFormatError(f"the JSON input does not parse: {exc}") from exc
    rows = document.get("instances", [document]) if isinstance(document, dict) else document
    if not isinstance(rows, list) or not rows:
        raise CaptureFormatError('the JSON input is not records, value lists or {"instances": [...]}')
    out: list[dict[str, Value]] = []
    for row in rows:
        if isinstance(row, dict):
            out.append({str(k): v for k, v in row.items()})
        elif isinstance(row, list):
            if len(row) != len(features):
                raise CaptureFormatError(f"a JSON row has {len(row)} values, expected {len(features)}")
            out.append(dict(zip(features, row, strict=True)))
        else:
            raise CaptureFormatError("a JSON instance is neither a record nor a value list")
    return out


def input_rows(media: str, text: str, features: Sequence[str]) -> list[dict[str, Value]]:
    if media == "text/csv":
        return _csv_rows(text, features)
    if media == "application/json":
        return _json_rows(text, features)
    raise CaptureFormatError(f"input content type {media!r} is neither text/csv nor application/json")


def _probability(value: Any) -> float:
    if isinstance(value, dict):
        value = next((value[k] for k in ("score", "probability") if k in value), None)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CaptureFormatError(f"a prediction {value!r} is not a number")
    try:
        return float(value)
    except ValueError as exc:
        raise CaptureFormatError(f"a prediction {value!r} is not a number") from exc


def output_predictions(media: str, text: str) -> list[float]:
    if media == "application/json":
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise CaptureFormatError(f"the JSON output does not parse: {exc}") from exc
        values = document.get("predictions") if isinstance(document, dict) else document
        if not isinstance(values, list):
            values = [values]
        return [_probability(v) for v in values]
    if media == "text/csv":
        return [_probability(line.strip()) for line in text.strip().splitlines() if line.strip()]
    raise CaptureFormatError(f"output content type {media!r} is neither text/csv nor application/json")


def _whole_second_utc(at: datetime) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CaptureFormatError(f"inferenceTime {value!r} is not an ISO-8601 time") from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SageMaker stamps UTC


def parse_record(line: str, features: Sequence[str]) -> CapturedInvocation:
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise CaptureFormatError(f"not JSON: {exc}") from exc
    if not isinstance(record, dict) or not isinstance(record.get("captureData"), dict):
        raise CaptureFormatError("no captureData")
    data, metadata = record["captureData"], record.get("eventMetadata") or {}
    if not isinstance(metadata, dict) or not metadata.get("eventId"):
        raise CaptureFormatError("no eventMetadata.eventId")
    rows: list[dict[str, Value]] = []
    if "endpointInput" in data:
        rows = input_rows(*_payload(data["endpointInput"], "endpointInput"), features)
    predictions: list[float] = []
    if "endpointOutput" in data:
        predictions = output_predictions(*_payload(data["endpointOutput"], "endpointOutput"))
    if rows and predictions and len(rows) != len(predictions):
        raise CaptureFormatError(f"{len(rows)} input row(s) but {len(predictions)} prediction(s)")
    inference_id = metadata.get("inferenceId")
    return CapturedInvocation(
        event_id=str(metadata["eventId"]),
        inference_id=str(inference_id) if inference_id else None,
        inference_time=_time(metadata.get("inferenceTime")),
        rows=rows,
        predictions=predictions,
    )


@dataclass
class CaptureTally:
    """What reading a window found: counted in full, problems listed up to LISTED_PROBLEMS."""

    files: int = 0
    records: int = 0
    rows: int = 0
    malformed: int = 0
    #: records inferred before `not_before`: an earlier model's, skipped
    earlier_model: int = 0
    problems: list[CaptureProblem] = field(default_factory=list)

    def problem(self, file: str, line: int, reason: str) -> None:
        self.malformed += 1
        if len(self.problems) < LISTED_PROBLEMS:
            self.problems.append(CaptureProblem(file, line, reason))


def parse_lines(
    name: str,
    lines: Iterable[bytes | str],
    features: Sequence[str],
    tally: CaptureTally,
    *,
    not_before: datetime | None = None,
) -> Iterator[CapturedInvocation]:
    """The readable invocations of one capture file inferred at or after `not_before` (to the
    second, as capture stamps them; records without a time are kept); the others are counted
    in `tally`."""
    since = None if not_before is None else _whole_second_utc(not_before)
    tally.files += 1
    for number, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        try:
            invocation = parse_record(text, features)
        except CaptureFormatError as exc:
            tally.problem(name, number, str(exc))
            continue
        if since is not None and invocation.inference_time is not None and invocation.inference_time < since:
            tally.earlier_model += 1
            continue
        tally.records += 1
        tally.rows += len(invocation.rows)
        yield invocation
