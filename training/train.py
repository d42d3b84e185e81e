"""SageMaker script-mode training entry point: a binary XGBoost classifier.

Runs inside the SageMaker XGBoost framework container, so it imports nothing from `mlops` and
keeps to the container contract:

- hyperparameters: `$SM_INPUT_CONFIG_DIR/hyperparameters.json` (default /opt/ml/input/config),
  then `SM_HPS`, then command-line arguments (each later source wins);
- training data: every .csv, .csv.gz and .parquet file under `SM_CHANNEL_TRAIN`; an optional
  `SM_CHANNEL_VALIDATION` replaces the held-out split;
- model: `SM_MODEL_DIR/xgboost-model` (XGBoost JSON), `SM_MODEL_DIR/features.json`, and
  `SM_MODEL_DIR/holdout.json`: which rows were held out, so `evaluate.py` scores the model on
  exactly those (format in `holdout_record`);
- metrics: `SM_OUTPUT_DATA_DIR/metrics.json`;
- checkpoints: `SM_CHECKPOINT_DIR` or `--checkpoint-dir` (default /opt/ml/checkpoints, which
  SageMaker syncs to S3); a restarted spot job resumes from the newest one;
- failure: the reason goes to `SM_OUTPUT_DIR/failure` (default /opt/ml/output), which
  SageMaker reports as the job's FailureReason, and the process exits non-zero.

The GPU is used (`device="cuda"`) when one is visible; `MLOPS_DEVICE=cpu|cuda` overrides.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import shutil
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xgboost as xgb

if TYPE_CHECKING:  # checked as the source directory it runs from (one module name per file)
    import hyperparameters as declared
else:
    try:  # SageMaker runs this script from its source directory, which is then first on sys.path
        import hyperparameters as declared
    except ModuleNotFoundError:  # imported by path from the repository (tests)
        from training import hyperparameters as declared

LOG = logging.getLogger("train")

MODEL_FILE = "xgboost-model"
FEATURES_FILE = "features.json"
HOLDOUT_FILE = "holdout.json"
METRICS_FILE = "metrics.json"
CHECKPOINT_PATTERN = re.compile(r"^xgboost-checkpoint\.(\d+)\.json$")
CHECKPOINTS_KEPT = 2
DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet")


class TrainingError(Exception):
    """Something wrong with the data or the hyperparameters: reported as the job's failure reason."""


# --------------------------------------------------------------------------------------------
# Hyperparameters


def _hyperparameter_defaults() -> dict[str, Any]:
    """hyperparameters.json, then SM_HPS. SageMaker stores every value as a string, script mode
    JSON-encodes them once more; both forms are accepted."""
    merged: dict[str, Any] = {}
    config_dir = Path(os.environ.get("SM_INPUT_CONFIG_DIR", "/opt/ml/input/config"))
    hp_file = config_dir / "hyperparameters.json"
    if hp_file.is_file():
        merged.update(json.loads(hp_file.read_text(encoding="utf-8")))
    if os.environ.get("SM_HPS"):
        merged.update(json.loads(os.environ["SM_HPS"]))
    defaults: dict[str, Any] = {}
    for key, value in merged.items():
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        defaults[key.replace("-", "_")] = value
    return defaults


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])

    def add(name: str, **kwargs: Any) -> None:
        flags = {f"--{name}", f"--{name.replace('_', '-')}"}
        parser.add_argument(*sorted(flags), dest=name, **kwargs)

    # the declaration checks and converts the values (see hyperparameters.py), argparse only collects them
    for name, field in declared.FIELDS.items():
        add(name, default=field.default, help=field.metadata["help"])
    env = os.environ
    add("train", default=env.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    add("validation", default=env.get("SM_CHANNEL_VALIDATION"))
    add("model_dir", default=env.get("SM_MODEL_DIR", "/opt/ml/model"))
    add("output_data_dir", default=env.get("SM_OUTPUT_DATA_DIR", "/opt/ml/output/data"))
    add("checkpoint_dir", default=env.get("SM_CHECKPOINT_DIR", "/opt/ml/checkpoints"))
    # SageMaker passes its own keys (sagemaker_program, ...) too: known ones are used, others ignored
    known = {action.dest for action in parser._actions}
    parser.set_defaults(**{k: v for k, v in _hyperparameter_defaults().items() if k in known})
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        LOG.info("ignoring unknown arguments: %s", " ".join(unknown))
    try:
        typed = declared.parse({name: getattr(args, name) for name in declared.FIELDS})
    except declared.HyperparameterError as exc:
        raise TrainingError(f"invalid hyperparameters: {exc}") from exc
    for name in declared.FIELDS:
        setattr(args, name, getattr(typed, name))
    return args


# --------------------------------------------------------------------------------------------
# Data


def data_files(channel: Path) -> list[Path]:
    if not channel.is_dir():
        raise TrainingError(f"data channel {channel} does not exist or is not a directory")
    files = sorted(p for p in channel.rglob("*") if p.is_file() and p.name.lower().endswith(DATA_SUFFIXES))
    if not files:
        raise TrainingError(f"no .csv, .csv.gz or .parquet files in {channel}")
    return files


def read_channel(channel: Path) -> pd.DataFrame:
    frames = []
    for path in data_files(channel):
        try:
            if path.name.lower().endswith(".parquet"):
                frames.append(pd.read_parquet(path))
            else:
                frames.append(pd.read_csv(path))
        except Exception as exc:
            raise TrainingError(f"cannot read {path.name}: {exc}") from exc
    frame = pd.concat(frames, ignore_index=True)
    if frame.empty:
        raise TrainingError(f"the files in {channel} contain no rows")
    return frame


def split_features(
    frame: pd.DataFrame, target: str, id_columns: list[str], features: list[str] | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features (float) and labels (0/1) of `frame`; every problem is a TrainingError."""
    if target not in frame.columns:
        raise TrainingError(f"target column {target!r} is missing; columns are: {', '.join(map(str, frame.columns))}")
    if features is None:
        features = [str(c) for c in frame.columns if c != target and c not in id_columns]
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise TrainingError(f"feature columns missing: {', '.join(missing)}")
    if not features:
        raise TrainingError("no feature columns left after removing the target and id columns")
    non_numeric = [f for f in features if not pd.api.types.is_numeric_dtype(frame[f])]
    if non_numeric:
        raise TrainingError(f"non-numeric feature columns: {', '.join(non_numeric)}")
    labels = frame[target]
    if labels.isna().any():
        raise TrainingError(f"target column {target!r} has {int(labels.isna().sum())} missing value(s)")
    unexpected = sorted(set(labels.unique().tolist()) - {0, 1})
    if unexpected:
        raise TrainingError(f"target column {target!r} must be 0/1, found {unexpected[:5]}")
    return frame[features].astype(np.float64), labels.to_numpy(dtype=np.float64)


def holdout_split(
    frame: pd.DataFrame, *, target: str, id_columns: list[str], fraction: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A stratified split that depends only on the rows and the seed, not on file order."""
    keys = [c for c in id_columns if c in frame.columns] or list(frame.columns)
    ordered = frame.sort_values(keys, kind="mergesort").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    held: list[int] = []
    for _, group in ordered.groupby(target, sort=True):
        positions = group.index.to_numpy()
        count = max(1, round(len(positions) * fraction)) if len(positions) > 1 else 0
        held.extend(rng.permutation(positions)[:count].tolist())
    mask = np.zeros(len(ordered), dtype=bool)
    mask[held] = True
    if mask.all() or not mask.any():
        raise TrainingError(f"cannot hold out a validation split from {len(ordered)} row(s)")
    return ordered[~mask].reset_index(drop=True), ordered[mask].reset_index(drop=True)


def row_fingerprints(frame: pd.DataFrame) -> list[str]:
    """A stable hash of each row's values (columns in name order), for data without id columns.
    `evaluate.py` computes the same over the same files, read the same way."""
    ordered = frame[sorted(map(str, frame.columns))]
    return [f"{int(h):016x}" for h in pd.util.hash_pandas_object(ordered, index=False)]


def holdout_record(valid_frame: pd.DataFrame, id_columns: list[str], split: str, validation_channel: bool) -> dict:
    """`holdout.json`: `{"split", "rows", "key": "ids"|"fingerprint"|"all", "id_columns", "keys"}`.
    With id columns the keys are their values (as text, joined by U+001F when there are several);
    without, row fingerprints; with a validation channel `"key": "all"` (evaluate every row of
    the test input: it is separate data by construction)."""
    if validation_channel:
        return {"split": split, "rows": len(valid_frame), "key": "all", "id_columns": [], "keys": []}
    present = [c for c in id_columns if c in valid_frame.columns]
    if present:
        keys = valid_frame[present].astype(str).agg("\x1f".join, axis=1).tolist()
        return {"split": split, "rows": len(valid_frame), "key": "ids", "id_columns": present, "keys": sorted(keys)}
    fingerprints = sorted(row_fingerprints(valid_frame))
    return {"split": split, "rows": len(valid_frame), "key": "fingerprint", "id_columns": [], "keys": fingerprints}


# --------------------------------------------------------------------------------------------
# Device and checkpoints


def choose_device() -> str:
    override = os.environ.get("MLOPS_DEVICE", "").strip().lower()
    if override in {"cpu", "cuda"}:
        return override
    if override not in {"", "auto"}:
        raise TrainingError(f"MLOPS_DEVICE must be cpu, cuda or auto, got {override!r}")
    if os.environ.get("CUDA_VISIBLE_DEVICES", "").strip() in {"-1", "none"}:
        return "cpu"
    built_with_cuda = bool(xgb.build_info().get("USE_CUDA", False))
    gpu_visible = shutil.which("nvidia-smi") is not None or Path("/dev/nvidiactl").exists()
    return "cuda" if built_with_cuda and gpu_visible else "cpu"


def _xgboost_major() -> int:
    return int(xgb.__version__.split(".", 1)[0])


def device_params(device: str) -> dict[str, Any]:
    # The 1.7 framework container predates the `device` parameter
    if _xgboost_major() >= 2:
        return {"device": device, "tree_method": "hist"}
    return {"tree_method": "gpu_hist" if device == "cuda" else "hist"}


def newest_checkpoint(directory: Path) -> tuple[Path, int] | None:
    if not directory.is_dir():
        return None
    found = []
    for path in directory.iterdir():
        match = CHECKPOINT_PATTERN.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    if not found:
        return None
    rounds, path = max(found)
    return path, rounds


class Checkpoint(xgb.callback.TrainingCallback):
    """Save the booster every `frequency` rounds (round numbers count from the very first run),
    keeping the newest few; written to a temporary name first so a kill never leaves half a file."""

    def __init__(self, directory: Path, frequency: int, start_round: int) -> None:
        super().__init__()
        self.directory = directory
        self.frequency = frequency
        self.start_round = start_round

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        done = self.start_round + epoch + 1
        if done % self.frequency == 0:
            self.save(model, done)
        return False

    def save(self, model: Any, done: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"xgboost-checkpoint.{done}.json"
        partial = final.with_suffix(".json.partial")
        partial.write_bytes(bytes(model.save_raw(raw_format="json")))
        partial.replace(final)
        stale = sorted(
            (int(m.group(1)), p)
            for p in self.directory.iterdir()
            if (m := CHECKPOINT_PATTERN.match(p.name)) and int(m.group(1)) != done
        )
        for _, path in stale[: max(0, len(stale) - (CHECKPOINTS_KEPT - 1))]:
            path.unlink(missing_ok=True)


def resume_point(directory: Path, features: list[str]) -> tuple[xgb.Booster | None, int]:
    newest = newest_checkpoint(directory)
    if newest is None:
        LOG.info("no checkpoint in %s: training from scratch", directory)
        return None, 0
    path, rounds = newest
    booster = xgb.Booster()
    booster.load_model(bytearray(path.read_bytes()))
    if list(booster.feature_names or []) != features:
        LOG.warning("checkpoint %s was trained on other features: ignoring it", path.name)
        return None, 0
    LOG.info("resuming from checkpoint %s after %d round(s)", path.name, rounds)
    return booster, rounds


# --------------------------------------------------------------------------------------------
# Training


def _last(evals_log: Mapping[str, Mapping[str, Sequence[float]]], data: str, best: int | None) -> dict[str, float]:
    out = {}
    for metric, values in evals_log.get(data, {}).items():
        if values:
            out[metric] = float(values[best] if best is not None and best < len(values) else values[-1])
    return out


def train(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    id_columns = [c.strip() for c in str(args.id_columns).split(",") if c.strip()]
    frame = read_channel(Path(args.train))
    if args.validation:
        train_frame, valid_frame = frame, read_channel(Path(args.validation))
        split = "validation channel"
    else:
        if args.target not in frame.columns:
            split_features(frame, args.target, id_columns)  # raises the clear error
        train_frame, valid_frame = holdout_split(
            frame, target=args.target, id_columns=id_columns, fraction=args.validation_fraction, seed=args.seed
        )
        split = f"held-out {args.validation_fraction:.0%} (seed {args.seed})"
    x_train, y_train = split_features(train_frame, args.target, id_columns)
    features = list(x_train.columns)
    x_valid, y_valid = split_features(valid_frame, args.target, id_columns, features)
    LOG.info(
        "training on %d row(s), validating on %d (%s), %d feature(s)", len(x_train), len(x_valid), split, len(features)
    )

    device = choose_device()
    LOG.info("device: %s (xgboost %s)", device, xgb.__version__)
    params: dict[str, Any] = {
        "objective": args.objective,
        "eval_metric": [args.eval_metric, "logloss"] if args.eval_metric != "logloss" else ["logloss"],
        "max_depth": args.max_depth,
        "eta": args.eta,
        "seed": args.seed,
        **device_params(device),
    }
    dtrain = xgb.DMatrix(x_train, label=y_train, feature_names=features)
    dvalid = xgb.DMatrix(x_valid, label=y_valid, feature_names=features)

    checkpoint_dir = Path(args.checkpoint_dir)
    resumed, done = resume_point(checkpoint_dir, features)
    remaining = max(0, args.num_round - done)
    evals_log: dict[str, Any] = {}
    callbacks: list[xgb.callback.TrainingCallback] = [Checkpoint(checkpoint_dir, args.checkpoint_frequency, done)]
    if args.early_stopping_rounds > 0:
        callbacks.append(
            xgb.callback.EarlyStopping(
                rounds=args.early_stopping_rounds, metric_name=args.eval_metric, data_name="validation"
            )
        )
    if remaining == 0:
        assert resumed is not None
        booster = resumed
        booster.set_param([("eval_metric", m) for m in params["eval_metric"]])
        LOG.info("the checkpoint already has all %d round(s)", args.num_round)
        # evaluate the finished model once so the metrics are reported all the same
        for name, matrix in (("train", dtrain), ("validation", dvalid)):
            for item in booster.eval(matrix, name).split("\t")[1:]:
                metric, value = item.rsplit(":", 1)
                evals_log.setdefault(name, {})[metric.split("-", 1)[1]] = [float(value)]
    else:
        booster = xgb.train(
            params,
            dtrain,
            num_boost_round=remaining,
            evals=[(dtrain, "train"), (dvalid, "validation")],
            evals_result=evals_log,
            callbacks=callbacks,
            xgb_model=resumed,
            verbose_eval=max(1, args.checkpoint_frequency),
        )
    rounds_total = booster.num_boosted_rounds()
    Checkpoint(checkpoint_dir, args.checkpoint_frequency, 0).save(booster, rounds_total)

    best_in_run: int | None = None
    best_iteration = rounds_total - 1
    if remaining > 0 and args.early_stopping_rounds > 0 and booster.attr("best_iteration") is not None:
        best_iteration = int(booster.attr("best_iteration") or 0)
        best_in_run = best_iteration - done if best_iteration >= done else None
        booster = booster[: best_iteration + 1]

    model_dir = Path(args.model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / MODEL_FILE).write_bytes(bytes(booster.save_raw(raw_format="json")))
    (model_dir / HOLDOUT_FILE).write_text(
        json.dumps(holdout_record(valid_frame, id_columns, split, bool(args.validation))), encoding="utf-8"
    )
    (model_dir / FEATURES_FILE).write_text(
        json.dumps(
            {"features": features, "target": args.target, "id_columns": id_columns, "objective": args.objective},
            indent=2,
        ),
        encoding="utf-8",
    )
    metrics = {
        "train": _last(evals_log, "train", best_in_run),
        "validation": _last(evals_log, "validation", best_in_run),
        "best_iteration": best_iteration,
        "rounds_trained": rounds_total,
        "rounds_this_run": rounds_total - done,
        "resumed_from_round": done,
        "num_round": args.num_round,
        "device": device,
        "rows": {"train": len(x_train), "validation": len(x_valid)},
        "split": split,
        "xgboost_version": xgb.__version__,
        "training_seconds": round(time.monotonic() - started, 3),
    }
    output_dir = Path(args.output_data_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2, sort_keys=True), encoding="utf-8")
    # one line per metric in a fixed shape for SageMaker metric definitions (regex on the log)
    for data in ("train", "validation"):
        for metric, value in metrics[data].items():
            print(f"final {data}-{metric}: {value:.6f}", flush=True)
    return metrics


def write_failure(reason: str) -> None:
    output_dir = Path(os.environ.get("SM_OUTPUT_DIR", "/opt/ml/output"))
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        # SageMaker keeps the first 1024 characters as the FailureReason
        (output_dir / "failure").write_text(reason[:1024], encoding="utf-8")
    except OSError as exc:
        LOG.error("cannot write the failure file in %s: %s", output_dir, exc)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        train(parse_args(argv))
    except TrainingError as exc:
        message = f"TrainingError: {exc}"
        print(f"ERROR {message}", file=sys.stderr, flush=True)
        write_failure(message)
        return 1
    except Exception as exc:
        traceback.print_exc()
        write_failure(f"Unexpected {type(exc).__name__}: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
