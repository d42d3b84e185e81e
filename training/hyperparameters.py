"""The hyperparameters of `train.py`: their one declaration (name, type, default, allowed values).

Both sides of the container boundary use this very file:

- `train.py` runs inside the SageMaker framework container, where only this source directory
  exists: it imports this module as a sibling and parses what SageMaker hands it with `parse`.
  That is why this module imports nothing but the standard library (no pydantic, no `mlops`)
  and stays importable on the framework images' older interpreters (annotations are never
  evaluated, the one runtime type alias is a `Union`).
- `mlops` (config load and synth, `mlops pipeline run --set`, the resolve Lambda) imports it as
  `mlops.training_hyperparameters`, a symlink to this file: the `mlops` distribution,
  the Lambda assets and `sourcedir.tar.gz` are all built by copying files, which follows the
  link, so each of them carries the same bytes and nothing is generated or kept in sync by hand.

So a value that `mlops` accepts is exactly a value `train.py` accepts, and an unknown key or a
bad value is rejected before any execution (or billable job) starts. SageMaker's own keys
(`sagemaker_*`) are not hyperparameters of the script and are left alone here; the keys marked
`set_by` come from the project config and may not be set by hand.
"""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Mapping
from typing import Any, Union

#: keys SageMaker (and the pipeline) pass to every job beside the script's own
SAGEMAKER_PREFIX = "sagemaker_"

Value = Union[int, float, str]  # noqa: UP007 - evaluated at import: the container may predate 3.10


def _rule(
    help: str,
    *,
    at_least: float | None = None,
    greater_than: float | None = None,
    at_most: float | None = None,
    less_than: float | None = None,
    choices: tuple[str, ...] = (),
    set_by: str | None = None,
) -> dict[str, Any]:
    return {
        "help": help,
        "at_least": at_least,
        "greater_than": greater_than,
        "at_most": at_most,
        "less_than": less_than,
        "choices": choices,
        "set_by": set_by,
    }


@dataclasses.dataclass(frozen=True)
class Hyperparameters:
    """The typed hyperparameters of one training job (field metadata: the allowed values)."""

    num_round: int = dataclasses.field(default=200, metadata=_rule("boosting rounds", at_least=1))
    max_depth: int = dataclasses.field(default=4, metadata=_rule("maximum tree depth", at_least=1, at_most=64))
    # XGBoost's own range: 0 is legal (a constant model), and the quality gate rejects it
    eta: float = dataclasses.field(default=0.1, metadata=_rule("learning rate", at_least=0, at_most=1))
    objective: str = dataclasses.field(
        default="binary:logistic",
        # evaluate.py and inference.py read the model's output as a probability
        metadata=_rule("XGBoost objective", choices=("binary:logistic",)),
    )
    eval_metric: str = dataclasses.field(
        default="auc", metadata=_rule("early-stopping metric", choices=("auc", "aucpr", "logloss", "error"))
    )
    early_stopping_rounds: int = dataclasses.field(
        default=20, metadata=_rule("rounds without improvement before stopping (0: never)", at_least=0)
    )
    validation_fraction: float = dataclasses.field(
        default=0.2, metadata=_rule("share of rows held out for validation", greater_than=0, less_than=1)
    )
    seed: int = dataclasses.field(default=0, metadata=_rule("random seed", at_least=0))
    checkpoint_frequency: int = dataclasses.field(default=10, metadata=_rule("rounds between checkpoints", at_least=1))
    target: str = dataclasses.field(
        default="diagnosis", metadata=_rule("label column", set_by="the dataset's `target` in the config")
    )
    id_columns: str = dataclasses.field(
        default="sample_id",
        metadata=_rule("comma-separated columns that are not features", set_by="the dataset's columns in the config"),
    )


_TYPES: dict[str, type] = {"int": int, "float": float, "str": str}
FIELDS: dict[str, dataclasses.Field[Any]] = {f.name: f for f in dataclasses.fields(Hyperparameters)}


def kind(name: str) -> type:
    """The Python type of hyperparameter `name` (annotations are strings here)."""
    return _TYPES[str(FIELDS[name].type)]


class HyperparameterError(ValueError):
    """Every problem found, as (key, message) pairs, not just the first."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {message}" for key, message in problems))


def _coerce(name: str, raw: object) -> Value:
    """`raw` as the declared type. SageMaker hands every value over as a string, YAML and JSON
    as numbers: both are accepted, nothing else (a bool is not an integer, 2.5 is not one)."""
    expected = kind(name)
    if isinstance(raw, bool):
        raise ValueError(f"expected {_NAMES[expected]}, got a boolean")
    if expected is str:
        if not isinstance(raw, str):
            raise ValueError(f"expected text, got {raw!r}")
        return raw
    if expected is int:
        if isinstance(raw, int):
            return raw
        if isinstance(raw, str):
            try:
                return int(raw.strip())
            except ValueError:
                pass
        raise ValueError(f"expected an integer, got {raw!r}")
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
    else:
        raise ValueError(f"expected a number, got {raw!r}")
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {raw!r}")
    return value


_NAMES: dict[type, str] = {int: "an integer", float: "a number", str: "text"}


_BOUNDS = (
    ("at_least", "at least", operator.ge),
    ("greater_than", "greater than", operator.gt),
    ("at_most", "at most", operator.le),
    ("less_than", "less than", operator.lt),
)


def _range_problem(name: str, value: Value) -> str | None:
    rule = FIELDS[name].metadata
    if rule["choices"] and value not in rule["choices"]:
        return f"must be one of {', '.join(rule['choices'])}, got {value!r}"
    if isinstance(value, str):
        return None
    for key, words, holds in _BOUNDS:
        bound = rule[key]
        if bound is not None and not holds(value, bound):
            return f"must be {words} {bound:g}, got {value:g}"
    return None


def check(values: Mapping[str, object], *, by_hand: bool = True) -> tuple[dict[str, Value], list[tuple[str, str]]]:
    """(typed values, problems) of the given hyperparameters; `sagemaker_*` keys are skipped.

    `by_hand`: the values come from a person (config, command line), who may not set the keys
    the pipeline derives from the project config."""
    typed: dict[str, Value] = {}
    problems: list[tuple[str, str]] = []
    for name, raw in values.items():
        if name.startswith(SAGEMAKER_PREFIX):
            continue
        if name not in FIELDS:
            settable = (n for n, f in FIELDS.items() if not (by_hand and f.metadata["set_by"]))
            problems.append((name, f"unknown hyperparameter (known: {', '.join(settable)})"))
            continue
        if by_hand and FIELDS[name].metadata["set_by"]:
            problems.append((name, f"set by the pipeline from {FIELDS[name].metadata['set_by']}"))
            continue
        try:
            value = _coerce(name, raw)
        except ValueError as exc:
            problems.append((name, str(exc)))
            continue
        problem = _range_problem(name, value)
        if problem:
            problems.append((name, problem))
            continue
        typed[name] = value
    return typed, problems


def parse(values: Mapping[str, object]) -> Hyperparameters:
    """The job's hyperparameters over the defaults; raises HyperparameterError naming every problem."""
    typed, problems = check(values, by_hand=False)
    if problems:
        raise HyperparameterError(problems)
    return Hyperparameters(**typed)  # type: ignore[arg-type]
