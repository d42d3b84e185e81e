"""Hyperparameters on the `mlops` side: the training script's own declaration, with our errors.

The declaration (names, types, defaults, allowed values) lives beside the script, in
`training/hyperparameters.py`, because the script runs in a container that has nothing but its
source directory; `mlops.training_hyperparameters` is a symlink to that file (see its
docstring). This module only turns its findings into `ConfigProblem`s with a path that says
where the value came from: `training.hyperparameters.eta` in the config, `--set eta=2` on the
command line, `hyperparameters.eta` in an execution input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mlops import training_hyperparameters as declared
from mlops.errors import ConfigProblem, MlopsError

HyperparameterValue = str | int | float | bool


class InvalidHyperparametersError(MlopsError):
    """An execution's hyperparameters do not fit the training script; every problem is listed."""

    error_name = "Mlops.InvalidHyperparameters"
    exit_code = 2

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def problems(values: Mapping[str, object], where: Callable[[str], str]) -> list[ConfigProblem]:
    """Every problem of hyperparameters a person set (config or command line): unknown keys,
    values of the wrong type or out of range, keys the pipeline sets itself. `where(key)` is
    the path reported for `key`."""
    reserved = [
        ConfigProblem(where(key), f"{declared.SAGEMAKER_PREFIX}* hyperparameters are set by the pipeline")
        for key in values
        if key.startswith(declared.SAGEMAKER_PREFIX)
    ]
    _, found = declared.check(values, by_hand=True)
    return reserved + [ConfigProblem(where(key), message) for key, message in found]


def typed(values: Mapping[str, object]) -> dict[str, HyperparameterValue]:
    """Values a person set, converted to their declared types (`"300"` -> 300); raises
    InvalidHyperparametersError naming every problem."""
    found = problems(values, lambda key: f"hyperparameters.{key}")
    if found:
        raise InvalidHyperparametersError(found)
    converted, _ = declared.check(values, by_hand=True)
    return dict(converted)
