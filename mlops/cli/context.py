"""Options shared by every `mlops` command, set once by the root callback."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlops import config as config_module
from mlops.config import ProjectConfig
from mlops.errors import ConfigProblem, UsageError


@dataclass
class CliContext:
    config_path: Path
    environment: str
    local: bool

    def load_config(self) -> ProjectConfig:
        """The config of the selected environment; a missing file or an unknown environment is a
        bad `--config` / `--env` argument, anything else a bad config."""
        if not self.config_path.is_file():
            raise UsageError(
                [ConfigProblem("--config", f"no config file at {self.config_path} (set --config/-f or MLOPS_CONFIG)")]
            )
        try:
            return config_module.load(self.config_path, self.environment)
        except config_module.UnknownEnvironmentError as exc:
            raise UsageError([ConfigProblem("--env", p.message) for p in exc.problems]) from exc


def local_requested(flag: bool) -> bool:
    """`--local` or MLOPS_LOCAL=1 points every command at the running local cloud."""
    return flag or os.environ.get("MLOPS_LOCAL", "").strip().lower() in {"1", "true", "yes"}


def dataset_problems(config: ProjectConfig, dataset: str) -> list[ConfigProblem]:
    """`--dataset` must name a dataset of the config."""
    if dataset in config.datasets:
        return []
    known = ", ".join(sorted(config.datasets))
    return [ConfigProblem("--dataset", f"no dataset {dataset!r} in the config (known: {known})")]


def require_dataset(config: ProjectConfig, dataset: str) -> None:
    if problems := dataset_problems(config, dataset):
        raise UsageError(problems)
