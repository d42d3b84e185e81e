"""What `mlops serve invoke` sends: rows from a file, as the endpoint's inference code takes them.

- `.json`: a list of records, `{"instances": [...]}` of records, or one record; sent as JSON
  records, so the model picks its features by name (other keys, such as row ids, ride along).
- `.csv` (anything else is read as CSV): with a header (a first row of which no cell is a
  number: a data row's keys may be text, its features are not) the rows are sent as JSON records,
  like a JSON file; without one, the CSV is sent as it is, and each row must be the model's
  features in order.

A file that is empty, not JSON, or whose rows are ragged is refused before anything is sent,
naming the file and the row.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from mlops.errors import MlopsError

JSON = "application/json"
CSV = "text/csv"


class RowsFileError(MlopsError):
    """The rows file cannot be read as rows (a bad argument: exit 2)."""

    error_name = "Mlops.RowsFileInvalid"
    exit_code = 2


class InvocationRows(BaseModel):
    model_config = ConfigDict(frozen=True)

    content_type: str
    body: str
    #: the rows as records when they have names (for showing their ids beside the predictions)
    records: list[dict[str, Any]] | None
    count: int


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _value(text: str) -> Any:
    stripped = text.strip()
    if stripped == "":
        return None
    try:
        return int(stripped)
    except ValueError:
        pass
    return float(stripped) if _is_number(stripped) else stripped


def _records(records: list[dict[str, Any]]) -> InvocationRows:
    return InvocationRows(content_type=JSON, body=json.dumps(records), records=records, count=len(records))


def from_json(text: str, source: str) -> InvocationRows:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise RowsFileError(f"{source} is not JSON: {exc}") from exc
    rows = document.get("instances", [document]) if isinstance(document, dict) else document
    if not isinstance(rows, list) or not rows:
        raise RowsFileError(f'{source}: expected a non-empty list of records or {{"instances": [...]}}')
    for index, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise RowsFileError(f"{source}: row {index} is not a record (an object of column: value)")
    return _records(rows)


def from_csv(text: str, source: str) -> InvocationRows:
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise RowsFileError(f"{source} holds no rows")
    width = len(rows[0])
    for index, row in enumerate(rows, 1):
        if len(row) != width:
            raise RowsFileError(f"{source}: row {index} has {len(row)} values, the first has {width}")
    header = [cell.strip() for cell in rows[0]]
    if all(cell and not _is_number(cell) for cell in header):
        data = rows[1:]
        if not data:
            raise RowsFileError(f"{source} holds a header and no rows")
        return _records([dict(zip(header, (_value(v) for v in row), strict=True)) for row in data])
    body = io.StringIO()
    csv.writer(body, lineterminator="\n").writerows(rows)
    return InvocationRows(content_type=CSV, body=body.getvalue(), records=None, count=len(rows))


def read_rows(path: Path) -> InvocationRows:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RowsFileError(f"cannot read {path}: {exc}") from exc
    if path.suffix.lower() == ".json":
        return from_json(text, str(path))
    return from_csv(text, str(path))


def predictions_of(body: bytes, expected: int) -> list[float]:
    """The inference code's JSON answer, `{"predictions": [...]}`, one per row sent."""
    try:
        values = [float(v) for v in json.loads(body)["predictions"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise EndpointAnswerError(f"the endpoint answered something other than predictions: {body[:200]!r}") from exc
    if len(values) != expected:
        raise EndpointAnswerError(f"the endpoint answered {len(values)} prediction(s) for {expected} row(s)")
    return values


class EndpointAnswerError(MlopsError):
    error_name = "Mlops.EndpointAnswerInvalid"
