"""Options shared by every `mlops` command, set once by the root callback."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlops import config as config_module
from mlops.config import ProjectConfig


@dataclass
class CliContext:
    config_path: Path
    environment: str
    local: bool

    def load_config(self) -> ProjectConfig:
        return config_module.load(self.config_path, self.environment)


def local_requested(flag: bool) -> bool:
    """`--local` or MLOPS_LOCAL=1 points every command at the running local cloud."""
    return flag or os.environ.get("MLOPS_LOCAL", "").strip().lower() in {"1", "true", "yes"}
