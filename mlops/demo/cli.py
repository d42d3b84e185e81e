"""The demo drives the platform through the real `mlops` commands, in process (the same code a
user's shell runs, without a Python start per command): their `--json` output is its data."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import click

from mlops.demo.runner import DemoStepError
from mlops.errors import MlopsError


def mlops(*arguments: str) -> str:
    """Run `mlops --local <arguments>`, return what it printed on stdout; a non-zero exit raises
    `DemoStepError` with the command and its message."""
    from mlops.cli.main import app

    out, err = io.StringIO(), io.StringIO()
    command = ["--local", *arguments]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            app(command, standalone_mode=False)
    except MlopsError as exc:
        raise DemoStepError(f"`mlops {' '.join(arguments)}` failed: {exc}") from exc
    except click.exceptions.Exit as exc:
        if exc.exit_code:
            raise DemoStepError(
                f"`mlops {' '.join(arguments)}` exited {exc.exit_code}: {err.getvalue()[-2000:]}"
            ) from exc
    except click.ClickException as exc:
        raise DemoStepError(f"`mlops {' '.join(arguments)}`: {exc.format_message()}") from exc
    return out.getvalue()


def mlops_json(*arguments: str) -> Any:
    text = mlops(*arguments, "--json")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DemoStepError(f"`mlops {' '.join(arguments)} --json` printed no JSON: {text[:500]!r}") from exc
