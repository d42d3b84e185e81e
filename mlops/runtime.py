"""What Lambda handlers need at call time (never at import time): their environment as a
typed model, and the project config that the asset ships as `project_config.json`."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from mlops.config import ProjectConfig
from mlops.errors import ConfigError, ConfigProblem

SettingsT = TypeVar("SettingsT", bound=BaseModel)
PACKAGED_CONFIG = "project_config.json"


def settings(model: type[SettingsT]) -> SettingsT:
    """Parse the process environment into `model` (field `data_bucket` <- `DATA_BUCKET`)."""
    values = {name: os.environ[name.upper()] for name in model.model_fields if name.upper() in os.environ}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = [ConfigProblem(".".join(map(str, e["loc"])).upper(), e["msg"]) for e in exc.errors()]
        raise ConfigError(problems, source="environment") from exc


@functools.cache
def packaged_config(root: str | None = None) -> ProjectConfig:
    """The resolved config shipped inside the function asset (asset root = LAMBDA_TASK_ROOT)."""
    base = Path(root or os.environ.get("LAMBDA_TASK_ROOT") or Path(__file__).resolve().parent.parent)
    name = os.environ.get("MLOPS_CONFIG_FILE", PACKAGED_CONFIG)
    path = base / name
    try:
        return ProjectConfig.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), f"cannot read the packaged config: {exc.strerror}")]) from exc
    except ValidationError as exc:
        raise ConfigError([ConfigProblem(str(path), str(exc))]) from exc
