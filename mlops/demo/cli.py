"""The demo drives the platform through the real `mlops` commands, in process (the same code a
user's shell runs, without a Python start per command): their `--json` output is its data."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from typer._click import ClickException  # typer ships its own click

from mlops.demo.runner import DemoStepError
from mlops.errors import MlopsError


def run(root: Any, *arguments: str, config: str, environment: str) -> tuple[int, str]:
    """Run `mlops --local -f CONFIG -e ENV <arguments>`: its exit code and what it printed on
    stdout. A domain error raises `DemoStepError` with the command and its message.

    `root` is the `mlops` command itself, handed over by `mlops demo` (importing the CLI here
    would make the demo and the CLI import each other)."""

    out, err = io.StringIO(), io.StringIO()
    command = ["--local", "-f", config, "-e", environment, *arguments]
    shown = f"`mlops {' '.join(arguments)}`"
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            # without standalone mode an exit code comes back as the return value
            returned = root.main(command, standalone_mode=False)
        code = returned if isinstance(returned, int) else 0
    except MlopsError as exc:
        raise DemoStepError(f"{shown} failed: {exc}") from exc
    except ClickException as exc:
        raise DemoStepError(f"{shown}: {exc.format_message()} {err.getvalue()[-1000:]}") from exc
    return code, out.getvalue()


def run_json(root: Any, *arguments: str, config: str, environment: str, allow: frozenset[int] = frozenset({0})) -> Any:
    code, text = run(root, *arguments, "--json", config=config, environment=environment)
    shown = f"`mlops {' '.join(arguments)} --json`"
    if code not in allow:
        raise DemoStepError(f"{shown} exited {code}: {text[-1500:]}")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DemoStepError(f"{shown} printed no JSON: {text[:500]!r}") from exc
