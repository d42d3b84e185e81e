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


def run(*arguments: str, config: str, environment: str) -> tuple[int, str]:
    """Run `mlops --local -f CONFIG -e ENV <arguments>`: its exit code and what it printed on
    stdout. A domain error raises `DemoStepError` with the command and its message.

    Runs inside `mlops demo`: the root command is taken from click's context (importing the CLI
    here would make the demo and the CLI import each other)."""
    app = click.get_current_context().find_root().command

    out, err = io.StringIO(), io.StringIO()
    command = ["--local", "-f", config, "-e", environment, *arguments]
    shown = f"`mlops {' '.join(arguments)}`"
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            app.main(command, standalone_mode=False)
    except MlopsError as exc:
        raise DemoStepError(f"{shown} failed: {exc}") from exc
    except click.exceptions.Exit as exc:
        code = int(exc.exit_code or 0)
    except click.ClickException as exc:
        raise DemoStepError(f"{shown}: {exc.format_message()} {err.getvalue()[-1000:]}") from exc
    return code, out.getvalue()


def run_json(*arguments: str, config: str, environment: str, allow: frozenset[int] = frozenset({0})) -> Any:
    code, text = run(*arguments, "--json", config=config, environment=environment)
    shown = f"`mlops {' '.join(arguments)} --json`"
    if code not in allow:
        raise DemoStepError(f"{shown} exited {code}: {text[-1500:]}")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DemoStepError(f"{shown} printed no JSON: {text[:500]!r}") from exc
