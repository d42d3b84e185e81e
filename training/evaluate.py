"""SageMaker processing-job entry point: evaluate a trained model on a held-out test channel.

Self-contained (a processing job receives this one file), imports nothing from `mlops`.

- model: `/opt/ml/processing/model` — a `model.tar.gz` (as training jobs write it), a directory
  holding one, or a directory holding `xgboost-model` (+ `features.json`);
- test data: every .csv, .csv.gz and .parquet file under `/opt/ml/processing/test`;
- output: `/opt/ml/processing/evaluation/evaluation.json` in the SageMaker ModelMetrics
  "binary_classification_metrics" format.

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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

LOG = logging.getLogger("evaluate")

MODEL_FILE = "xgboost-model"
FEATURES_FILE = "features.json"
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


def load_model(directory: Path) -> tuple[xgb.Booster, list[str], str]:
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray((directory / MODEL_FILE).read_bytes()))
    except (OSError, xgb.core.XGBoostError) as exc:
        raise EvaluationError(f"cannot load {MODEL_FILE}: {exc}") from exc
    features_path = directory / FEATURES_FILE
    if features_path.is_file():
        described = json.loads(features_path.read_text(encoding="utf-8"))
        return booster, list(described["features"]), str(described["target"])
    if not booster.feature_names:
        raise EvaluationError(f"the model has no feature names and there is no {FEATURES_FILE}")
    return booster, list(booster.feature_names), "diagnosis"


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


def evaluate(model_path: Path, test_dir: Path, output_dir: Path, threshold: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        booster, features, target = load_model(model_directory(model_path, Path(scratch)))
    frame = read_test(test_dir)
    missing = [c for c in [*features, target] if c not in frame.columns]
    if missing:
        raise EvaluationError(f"test data lacks column(s): {', '.join(missing)}")
    labels = frame[target].to_numpy(dtype=np.float64)
    if np.isnan(labels).any() or not set(np.unique(labels)) <= {0.0, 1.0}:
        raise EvaluationError(f"target column {target!r} must be 0/1 without missing values")
    matrix = xgb.DMatrix(frame[features].astype(np.float64), feature_names=features)
    scores = booster.predict(matrix)
    result = binary_metrics(labels, scores, threshold)
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
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    try:
        evaluate(Path(args.model), Path(args.test), Path(args.output), args.threshold)
    except EvaluationError as exc:
        print(f"ERROR EvaluationError: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
