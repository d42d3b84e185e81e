"""What the local cloud records about itself under `.mlops/` in the project root."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlops.errors import LocalCloudError

LOCAL_ACCOUNT = "123456789012"
STATE_DIR = ".mlops"
#: moves the local cloud's files elsewhere (tests use it to run a cloud of their own)
STATE_DIR_VARIABLE = "MLOPS_LOCAL_STATE_DIR"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ResourceSummary(_Model):
    logical_id: str
    type: str
    #: None where moto does not emulate the type (it accepts and skips it)
    physical_id: str | None


class StackSummary(_Model):
    #: the construct id in the app (`Data`), and the CloudFormation stack name
    id: str
    name: str
    status: str
    outputs: dict[str, str] = Field(default_factory=dict)
    resources: list[ResourceSummary] = Field(default_factory=list)


class Timings(_Model):
    """Seconds per phase of the last `up`; phases that did not run are 0."""

    #: waiting for a new server after synth (it starts while the app synthesizes)
    server_start_s: float = 0.0
    synth_s: float = 0.0
    bootstrap_s: float = 0.0
    seed_layers_s: float = 0.0
    deploy_s: float = 0.0
    inventory_s: float = 0.0
    total_s: float = 0.0


class LocalCloudState(_Model):
    """A running local cloud: the server process and what was deployed into it."""

    pid: int
    host: str
    port: int
    endpoint: str
    account: str = LOCAL_ACCOUNT
    region: str
    started_at: datetime
    deployed_at: datetime | None = None
    environment: str
    config_path: str
    log_file: str
    stacks: list[StackSummary] = Field(default_factory=list)
    timings: Timings = Timings()


class LocalCloudStatus(_Model):
    running: bool
    #: a state file was found whose server is gone; `up` replaces it and `down` removes it
    stale: bool = False
    state: LocalCloudState | None = None

    @property
    def endpoint(self) -> str | None:
        return self.state.endpoint if self.state and self.running else None


class DownResult(_Model):
    stopped: bool
    pid: int | None = None
    message: str


@dataclass(frozen=True)
class LocalPaths:
    """Where the local cloud keeps its files: `.mlops/` under the project root (the working
    directory), or the directory named by $MLOPS_LOCAL_STATE_DIR."""

    root: Path
    directory: Path

    @classmethod
    def at(cls, root: Path | str | None = None) -> LocalPaths:
        project = Path(root).resolve() if root is not None else Path.cwd()
        override = os.environ.get(STATE_DIR_VARIABLE, "").strip()
        return cls(project, Path(override).resolve() if override else project / STATE_DIR)

    @property
    def state_file(self) -> Path:
        return self.directory / "local.json"

    @property
    def server_log(self) -> Path:
        return self.directory / "server.log"

    @property
    def cdk_log(self) -> Path:
        return self.directory / "cdk.log"

    @property
    def assembly(self) -> Path:
        """The cloud assembly the local cloud synthesizes into (never the developer's cdk.out)."""
        return self.directory / "cdk.out"

    @property
    def outputs_file(self) -> Path:
        return self.directory / "outputs.json"


def load(paths: LocalPaths) -> LocalCloudState | None:
    try:
        text = paths.state_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return LocalCloudState.model_validate_json(text)
    except (ValidationError, json.JSONDecodeError) as exc:
        raise LocalCloudError(
            f"{paths.state_file} is unreadable ({exc.__class__.__name__}); "
            "stop any server it described and delete the file"
        ) from exc


def save(paths: LocalPaths, state: LocalCloudState) -> None:
    paths.directory.mkdir(parents=True, exist_ok=True)
    temporary = paths.state_file.with_suffix(".json.tmp")
    temporary.write_text(state.model_dump_json(indent=2) + "\n", encoding="utf-8")
    temporary.replace(paths.state_file)


def remove(paths: LocalPaths) -> None:
    paths.state_file.unlink(missing_ok=True)
