"""What the training and evaluation jobs learn about the dataset from the config.

`training/train.py` and `evaluate.py` import nothing from `mlops` (they run in the framework
container), so the dataset's schema reaches them through the job definitions:

- training: the hyperparameters `target` (the dataset's `target` column) and `id_columns` (a
  JSON list of its `unique: true` columns: row keys, never features). The resolve step adds them
  to every run's hyperparameters, after the configured ones and any `--set` override, so the
  trained model always matches the dataset's declared schema; they are recorded with the run
  and the model package like every other hyperparameter.
- evaluation: `--target` and `--id-columns` container arguments, taken from the run's
  hyperparameters by the state machine (`EVALUATION_ARGUMENTS`); `evaluate.py` checks them
  against the `features.json` the model carries, so a model is never scored on another target.

A JSON list rather than comma-separated text because a column name may contain commas.
"""

from __future__ import annotations

import json

from mlops.config import DatasetConfig

TARGET = "target"
ID_COLUMNS = "id_columns"
#: the processing job's ContainerArguments, built from the run's hyperparameters
EVALUATION_ARGUMENTS = (
    f"States.Array('--target', $.run.hyperparameters.{TARGET}, '--id-columns', $.run.hyperparameters.{ID_COLUMNS})"
)


def id_columns(dataset: DatasetConfig) -> list[str]:
    """The dataset's row keys: its `unique: true` columns, in declaration order (never the target)."""
    return [column.name for column in dataset.columns if column.unique and column.name != dataset.target]


def dataset_hyperparameters(dataset: DatasetConfig) -> dict[str, str]:
    """The hyperparameters every training job of `dataset` gets (SageMaker takes strings only)."""
    return {TARGET: dataset.target, ID_COLUMNS: json.dumps(id_columns(dataset))}
