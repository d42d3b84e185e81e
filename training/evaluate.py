"""SageMaker processing-job entry point: evaluate a trained model on the rows it never saw.

Self-contained (a processing job receives this one file), imports nothing from `mlops`.

- model: `/opt/ml/processing/model` — a `model.tar.gz` (as training jobs write it), a directory
  holding one, or a directory holding `xgboost-model` (+ `features.json`);
- test data: every .csv, .csv.gz and .parquet file under `/opt/ml/processing/test`; when the
  model carries `holdout.json` (train.py writes it), only the rows the training job held out
  are scored (by id column, or by row fingerprint), and every one of them must be there;
- output: `/opt/ml/processing/evaluation/evaluation.json` in the SageMaker ModelMetrics
  "binary_classification_metrics" format.

- dataset: `--target` and `--id-columns` (a JSON list), which the pipeline passes from the
  config (`mlops/pipeline/job_contract.py`). A model's `features.json` records the target and
  id columns it was trained with; arguments that disagree with it fail the job (the model would
  be scored on another label), and a model without `features.json` needs `--target`.

Every path can be overridden by argument or environment variable (MLOPS_EVAL_MODEL,
MLOPS_EVAL_TEST, MLOPS_EVAL_OUTPUT). A failure exits non-zero with the reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools
import xgboost as xgb

LOG = logging.getLogger("evaluate")

MODEL_FILE = "xgboost-model"
FEATURES_FILE = "features.json"
HOLDOUT_FILE = "holdout.json"
EVALUATION_FILE = "evaluation.json"
DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet")
EPSILON = 1e-15


class EvaluationError(Exception):
    """The model or the test data cannot be used."""


# --------------------------------------------------------------------------------------------
# Inputs


def _extract(archive: Path, into: Path) -> Path:
    with tarfile.open(archive, "r:*") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # older Pythons in framework containers: refuse links and escaping names ourselves
            for member in tar.getmembers():
                target = (into / member.name).resolve()
                if not (member.isfile() or member.isdir()) or not str(target).startswith(str(into.resolve())):
                    raise EvaluationError(f"unsafe member {member.name!r} in {archive.name}")
            tar.extractall(into)  # noqa: S202 - every member checked above
    return into


def model_directory(path: Path, scratch: Path) -> Path:
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar")):
        return _extract(path, scratch)
    if path.is_dir():
        if (path / MODEL_FILE).is_file():
            return path
        archives = sorted(path.glob("*.tar.gz"))
        if archives:
            return _extract(archives[0], scratch)
    raise EvaluationError(f"no model at {path}: expected model.tar.gz or a directory with {MODEL_FILE}")


def load_holdout(directory: Path) -> dict[str, Any] | None:
    path = directory / HOLDOUT_FILE
    if not path.is_file():
        return None
    try:
        holdout: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise EvaluationError(f"{HOLDOUT_FILE} is not JSON: {exc}") from exc
    if holdout.get("key") not in {"ids", "fingerprint", "all"}:
        raise EvaluationError(f"{HOLDOUT_FILE} has an unknown key kind {holdout.get('key')!r}")
    return holdout


def row_fingerprints(frame: pd.DataFrame) -> list[str]:
    """The same row hash as train.py's (columns in name order)."""
    ordered = frame[sorted(map(str, frame.columns))]
    return [f"{int(h):016x}" for h in pd.util.hash_pandas_object(ordered, index=False)]


def select_holdout(frame: pd.DataFrame, holdout: dict[str, Any] | None) -> tuple[pd.DataFrame, str]:
    """The rows to score and a description of them."""
    if holdout is None:
        LOG.warning("the model records no held-out rows (%s missing): scoring every test row", HOLDOUT_FILE)
        return frame, "all rows (no holdout recorded)"
    if holdout["key"] == "all":
        return frame, f"all rows of the test input ({holdout.get('split', 'validation channel')})"
    wanted = set(holdout["keys"])
    if holdout["key"] == "ids":
        columns = list(holdout["id_columns"])
        missing_columns = [c for c in columns if c not in frame.columns]
        if missing_columns:
            raise EvaluationError(
                f"test data lacks the id column(s) of the held-out rows: {', '.join(missing_columns)}"
            )
        keys = frame[columns].astype(str).agg("\x1f".join, axis=1)
    else:
        keys = pd.Series(row_fingerprints(frame), index=frame.index)
    # positional masks: the frame's index may repeat (concatenated files)
    selected = frame[keys.isin(wanted).to_numpy() & ~keys.duplicated().to_numpy()]
    if selected.empty:
        raise EvaluationError(
            f"none of the {len(wanted)} held-out row(s) are in the test data: "
            "is it the data version the model trained on?"
        )
    if len(selected) < len(wanted):
        raise EvaluationError(
            f"{len(wanted) - len(selected)} of the {len(wanted)} held-out row(s) are missing from the test data"
        )
    return selected.reset_index(drop=True), f"{len(selected)} held-out row(s), {holdout.get('split', '')}".strip()


@dataclass(frozen=True)
class Dataset:
    """The label and row-key columns the job was asked to evaluate on (None: not given)."""

    target: str | None = None
    id_columns: list[str] | None = None


def parse_columns(text: str) -> list[str]:
    try:
        columns = json.loads(text)
    except ValueError as exc:
        raise EvaluationError(f"--id-columns is not a JSON list of column names: {text!r}") from exc
    if not isinstance(columns, list) or not all(isinstance(c, str) and c for c in columns):
        raise EvaluationError(f"--id-columns must be a JSON list of column names, got {text!r}")
    return columns


def load_model(directory: Path, dataset: Dataset) -> tuple[xgb.Booster, list[str], str]:
    """The booster, its features and the target to score against: the one the model was trained
    for, which must be the one the job names."""
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray((directory / MODEL_FILE).read_bytes()))
    except (OSError, xgb.core.XGBoostError) as exc:
        raise EvaluationError(f"cannot load {MODEL_FILE}: {exc}") from exc
    features_path = directory / FEATURES_FILE
    if features_path.is_file():
        described = json.loads(features_path.read_text(encoding="utf-8"))
        target = str(described["target"])
        if dataset.target is not None and dataset.target != target:
            raise EvaluationError(
                f"the model was trained for target {target!r}, the job evaluates target {dataset.target!r}"
            )
        trained_ids = [str(c) for c in described.get("id_columns", [])]
        if dataset.id_columns is not None and dataset.id_columns != trained_ids:
            raise EvaluationError(
                f"the model was trained with id columns {trained_ids}, the job passes {dataset.id_columns}"
            )
        return booster, [str(f) for f in described["features"]], target
    if dataset.target is None:
        raise EvaluationError(f"the model has no {FEATURES_FILE}: pass the dataset's target column with --target")
    if not booster.feature_names:
        raise EvaluationError(f"the model has no feature names and there is no {FEATURES_FILE}")
    return booster, list(booster.feature_names), dataset.target


def read_test(channel: Path) -> pd.DataFrame:
    if not channel.is_dir():
        raise EvaluationError(f"test channel {channel} does not exist or is not a directory")
    files = sorted(p for p in channel.rglob("*") if p.is_file() and p.name.lower().endswith(DATA_SUFFIXES))
    if not files:
        raise EvaluationError(f"no .csv, .csv.gz or .parquet files in {channel}")
    frames = [pd.read_parquet(p) if p.name.lower().endswith(".parquet") else pd.read_csv(p) for p in files]
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Metrics (numpy only, so the container needs nothing beyond the framework)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mann-Whitney U with average ranks for ties; NaN when only one class is present."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    rank_sum = float(ranks[labels == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> dict[str, Any]:
    predicted = (scores >= threshold).astype(np.int64)
    actual = labels.astype(np.int64)
    tp = int(((predicted == 1) & (actual == 1)).sum())
    tn = int(((predicted == 0) & (actual == 0)).sum())
    fp = int(((predicted == 1) & (actual == 0)).sum())
    fn = int(((predicted == 0) & (actual == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    clipped = np.clip(scores, EPSILON, 1 - EPSILON)
    logloss = float(-np.mean(actual * np.log(clipped) + (1 - actual) * np.log(1 - clipped)))
    values = {
        "auc": roc_auc(actual, scores),
        "accuracy": (tp + tn) / len(actual),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "logloss": logloss,
    }
    document: dict[str, Any] = {name: {"value": value, "standard_deviation": "NaN"} for name, value in values.items()}
    document["confusion_matrix"] = {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}
    return {"binary_classification_metrics": document}


def evaluate(
    model_path: Path, test_dir: Path, output_dir: Path, threshold: float, dataset: Dataset | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        directory = model_directory(model_path, Path(scratch))
        booster, features, target = load_model(directory, dataset or Dataset())
        holdout = load_holdout(directory)
    frame, evaluated_on = select_holdout(read_test(test_dir), holdout)
    missing = [c for c in [*features, target] if c not in frame.columns]
    if missing:
        raise EvaluationError(f"test data lacks column(s): {', '.join(missing)}")
    labels = frame[target].to_numpy(dtype=np.float64)
    if np.isnan(labels).any() or not set(np.unique(labels)) <= {0.0, 1.0}:
        raise EvaluationError(f"target column {target!r} must be 0/1 without missing values")
    matrix = xgb.DMatrix(frame[features].astype(np.float64), feature_names=features)
    scores = booster.predict(matrix)
    result = binary_metrics(labels, scores, threshold)
    # not a metric group: no entry has a numeric "value"
    result["evaluation"] = {"rows": len(frame), "evaluated_on": evaluated_on}
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / EVALUATION_FILE).write_text(json.dumps(result, indent=2), encoding="utf-8")
    metrics = result["binary_classification_metrics"]
    LOG.info(
        "evaluated %d row(s): %s",
        len(frame),
        ", ".join(f"{k}={v['value']:.4f}" for k, v in metrics.items() if isinstance(v, dict) and "value" in v),
    )
    return result


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=env.get("MLOPS_EVAL_MODEL", "/opt/ml/processing/model"))
    parser.add_argument("--test", default=env.get("MLOPS_EVAL_TEST", "/opt/ml/processing/test"))
    parser.add_argument("--output", default=env.get("MLOPS_EVAL_OUTPUT", "/opt/ml/processing/evaluation"))
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--target", default=None, help="the dataset's label column")
    parser.add_argument("--id-columns", dest="id_columns", default=None, help="its row-key columns, a JSON list")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    try:
        dataset = Dataset(args.target, None if args.id_columns is None else parse_columns(args.id_columns))
        evaluate(Path(args.model), Path(args.test), Path(args.output), args.threshold, dataset)
    except EvaluationError as exc:
        print(f"ERROR EvaluationError: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
