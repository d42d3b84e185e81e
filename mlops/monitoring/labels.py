"""Ground truth for captured predictions: what `mlops monitor labels push` reads and stores.

A label file is CSV with a header naming `inference_id` and `label` (and optionally `row`), or
JSON: a list of `{"inference_id", "label", "row"?}` objects, or one such object per line. A
label is 0 or 1 (the binary classifier's target; `true`/`false` too). `row` (default 0) picks
the row of a multi-row request; the n-th row of a request is joined as `<inference id>#<n>`,
its first row as the bare id. A capture record without an inference id is joined by its
SageMaker `eventId` instead.

Labels are stored normalized, one JSON object a line, under `labels/<dataset>/` in the
artifacts bucket (layout.labels_key); a later label for the same key replaces an earlier one.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from mlops.errors import MlopsError

_TRUE = {"1", "1.0", "true"}
_FALSE = {"0", "0.0", "false"}


class LabelFileError(MlopsError):
    """A label file cannot be used (the message lists what is wrong)."""

    error_name = "Mlops.LabelFileInvalid"
    exit_code = 2


@dataclass(frozen=True)
class Label:
    inference_id: str
    label: int
    row: int = 0

    @property
    def key(self) -> str:
        return prediction_key(self.inference_id, self.row)


def prediction_key(join_key: str, row: int) -> str:
    return join_key if row == 0 else f"{join_key}#{row}"


def _label(value: Any) -> int:
    text = str(value).strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise ValueError(f"label {value!r} is not 0 or 1")


def _one(item: Any) -> Label:
    if not isinstance(item, dict):
        raise ValueError("not an object with inference_id and label")
    inference_id = str(item.get("inference_id") or "").strip()
    if not inference_id:
        raise ValueError("no inference_id")
    if "label" not in item:
        raise ValueError("no label")
    row_value = item.get("row")
    row = int(row_value) if row_value not in (None, "") else 0
    if row < 0:
        raise ValueError(f"row {row} is negative")
    return Label(inference_id, _label(item["label"]), row)


def _records(text: str) -> list[Any]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        document = json.loads(stripped)
        if not isinstance(document, list):
            raise LabelFileError("a JSON label file is a list of objects")
        return document
    if stripped.startswith("{"):
        return [json.loads(line) for line in stripped.splitlines() if line.strip()]
    reader = csv.DictReader(io.StringIO(text))
    missing = {"inference_id", "label"} - set(reader.fieldnames or [])
    if missing:
        raise LabelFileError(f"the CSV header lacks {', '.join(sorted(missing))} (have: {reader.fieldnames})")
    return list(reader)


def parse(text: str, *, source: str = "labels") -> list[Label]:
    """Every label of the file, or LabelFileError listing the first problems (none is skipped:
    a label file is small and a person fixes it)."""
    try:
        records = _records(text)
    except (ValueError, csv.Error) as exc:
        raise LabelFileError(f"{source} is neither CSV with a header nor JSON: {exc}") from exc
    labels: list[Label] = []
    problems: list[str] = []
    for number, item in enumerate(records, start=1):
        try:
            labels.append(_one(item))
        except (ValueError, TypeError) as exc:
            problems.append(f"record {number}: {exc}")
    if problems:
        shown = "; ".join(problems[:10])
        raise LabelFileError(f"{source}: {len(problems)} bad record(s): {shown}")
    if not labels:
        raise LabelFileError(f"{source} holds no labels")
    return labels


def to_lines(labels: list[Label]) -> bytes:
    return "".join(
        json.dumps({"inference_id": x.inference_id, "label": x.label, "row": x.row}, sort_keys=True) + "\n"
        for x in labels
    ).encode()


def read_stored(text: str, into: dict[str, int]) -> int:
    """Add the stored labels of one file to `into` (key -> label); how many lines were unreadable."""
    bad = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            label = _one(json.loads(line))
        except (ValueError, TypeError):
            bad += 1
            continue
        into[label.key] = label.label
    return bad
