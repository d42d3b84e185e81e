"""SageMaker inference handlers for the XGBoost framework container (and the local endpoint host).

`model_fn` loads what `train.py` wrote; `input_fn` accepts `text/csv` (with or without a header
row), `application/json` (a list of records, `{"instances": [...]}` of records or of value
lists) and `application/x-parquet` (a whole Parquet file); `predict_fn` returns the
positive-class probability per row; `output_fn` answers `application/json`
(`{"predictions": [...]}`) or `text/csv` (one probability a line).

Rows with named columns (a CSV header, JSON records, Parquet) may carry any other columns, such
as the target and the row keys: the model's features are picked by name. Headerless rows are the
model's features in order, unless the container's environment names the input's layout:

- `MLOPS_INPUT_COLUMNS` (a JSON list of column names) is set by batch transform jobs over a data
  version (mlops/serving/batch.py). SageMaker splits a CSV object by line into mini-batches, so
  only the first request carries the object's header; every later one holds whole input rows
  (row keys, target and all), named here by that layout. A first line equal to the layout is the
  header and yields no prediction: the output has one line per data row, in input order.

Imports nothing from `mlops`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools
import xgboost as xgb

MODEL_FILE = "xgboost-model"
FEATURES_FILE = "features.json"
JSON = "application/json"
CSV = "text/csv"
PARQUET = "application/x-parquet"
#: the input's column layout for headerless CSV rows (see the module docstring)
INPUT_COLUMNS_ENV = "MLOPS_INPUT_COLUMNS"


class UnsupportedFormatError(ValueError):
    """A content type or accept header we do not speak (the serving stack answers 415)."""


class InvalidInputError(ValueError):
    """The request body cannot be turned into feature rows (the serving stack answers 400)."""


@dataclass(frozen=True)
class Model:
    booster: xgb.Booster
    features: list[str]
    target: str


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def model_fn(model_dir: str) -> Model:
    directory = Path(model_dir)
    booster = xgb.Booster()
    booster.load_model(bytearray((directory / MODEL_FILE).read_bytes()))
    features_path = directory / FEATURES_FILE
    if features_path.is_file():
        described = json.loads(features_path.read_text(encoding="utf-8"))
        return Model(booster, list(described["features"]), str(described.get("target", "")))
    return Model(booster, list(booster.feature_names or []), "")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _input_columns() -> list[str] | None:
    """The layout batch transform names in the environment, read per request (the toolkit may
    import this module before the environment is final)."""
    raw = os.environ.get(INPUT_COLUMNS_ENV, "").strip()
    if not raw:
        return None
    try:
        columns = json.loads(raw)
    except ValueError as exc:
        raise InvalidInputError(f"{INPUT_COLUMNS_ENV} is not a JSON list of column names: {exc}") from exc
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise InvalidInputError(f"{INPUT_COLUMNS_ENV} is not a JSON list of column names")
    return columns


def _first_row(text: str) -> list[str]:
    line = text.lstrip().split("\n", 1)[0].rstrip("\r")
    return next(csv.reader([line]), [])


def _from_csv(text: str) -> pd.DataFrame:
    layout = _input_columns()
    first = [cell.strip() for cell in _first_row(text)]
    if layout is not None:
        # only a line that *is* the header counts as one: a data row's string keys are not
        has_header = first == layout
    else:
        has_header = any(cell and not _is_number(cell.strip('"')) for cell in first)
    try:
        frame = pd.read_csv(io.StringIO(text), header=0 if has_header else None)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=layout or [])
    except (ValueError, pd.errors.ParserError) as exc:
        raise InvalidInputError(f"cannot parse the CSV body: {exc}") from exc
    if not has_header and layout is not None:
        if frame.shape[1] != len(layout):
            raise InvalidInputError(
                f"expected {len(layout)} values per row ({INPUT_COLUMNS_ENV}), got {frame.shape[1]}"
            )
        frame = frame.set_axis(layout, axis=1)
    return frame


def _from_parquet(body: bytes) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(body))
    except Exception as exc:  # pyarrow raises its own error types for a body that is not Parquet
        raise InvalidInputError(f"cannot read the Parquet body: {exc}") from exc


def _from_json(text: str) -> pd.DataFrame:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"the body is not JSON: {exc}") from exc
    rows = document.get("instances") if isinstance(document, dict) else document
    if isinstance(document, dict) and rows is None:
        rows = [document]  # one record
    if not isinstance(rows, list) or not rows:
        raise InvalidInputError('expected a non-empty list of records or {"instances": [...]}')
    if all(isinstance(r, dict) for r in rows):
        return pd.DataFrame.from_records(rows)
    if all(isinstance(r, list) for r in rows):
        return pd.DataFrame(rows)
    raise InvalidInputError("instances must be all records (objects) or all value lists")


def input_fn(request_body: str | bytes, request_content_type: str) -> pd.DataFrame:
    media = _media_type(request_content_type)
    if media == PARQUET:
        return _from_parquet(request_body.encode() if isinstance(request_body, str) else bytes(request_body))
    text = request_body.decode("utf-8") if isinstance(request_body, (bytes, bytearray)) else request_body
    if media == CSV:
        return _from_csv(text)
    if media == JSON:
        return _from_json(text)
    raise UnsupportedFormatError(f"unsupported content type {request_content_type!r}: use {CSV}, {JSON} or {PARQUET}")


def _align(data: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    if all(isinstance(c, str) for c in data.columns):
        missing = [f for f in features if f not in data.columns]
        if missing:
            raise InvalidInputError(f"missing feature(s): {', '.join(missing)}")
        return data[features]
    if data.shape[1] != len(features):
        raise InvalidInputError(f"expected {len(features)} values per row in feature order, got {data.shape[1]}")
    return data.set_axis(features, axis=1)


def predict_fn(input_data: pd.DataFrame, model: Model) -> np.ndarray:
    rows = _align(input_data, model.features)
    if rows.empty:  # a request of nothing but the CSV header
        return np.zeros(0, dtype=np.float64)
    try:
        values = rows.astype(np.float64)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"feature values must be numeric: {exc}") from exc
    matrix = xgb.DMatrix(values, feature_names=model.features)
    return np.asarray(model.booster.predict(matrix), dtype=np.float64)


def output_fn(prediction: np.ndarray, accept: str | None) -> tuple[str, str]:
    """Returns (body, content type); the SageMaker inference toolkit accepts the tuple form."""
    media = _media_type(accept)
    values = [float(p) for p in np.asarray(prediction).ravel()]
    if media in {"", "*/*", JSON}:
        return json.dumps({"predictions": values}), JSON
    if media == CSV:
        return "".join(f"{v!r}\n" for v in values), CSV
    raise UnsupportedFormatError(f"unsupported accept type {accept!r}: use {JSON} or {CSV}")
