"""`mlops demo [--keep]`: the whole lifecycle on the local cloud, with a live progress view and
a summary (mlops/demo/lifecycle.py lists the steps)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlops import local
from mlops.cli.context import CliContext
from mlops.demo import runner
from mlops.demo.lifecycle import Lifecycle
from mlops.errors import ConfigProblem, UsageError
from mlops.local.state import STATE_DIR_VARIABLE

console = Console()


def demo(
    ctx: typer.Context,
    keep: Annotated[bool, typer.Option("--keep", help="Leave the local cloud running to explore.")] = False,
    out: Annotated[Path, typer.Option("--out", help="Where the summary and the overview page go.")] = Path(
        "mlops-demo"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run the whole lifecycle on the local cloud: data -> training -> gate -> canary deployment ->
    drift -> retraining -> automatic and manual rollback; every step real and checked."""
    cli: CliContext = ctx.obj
    config = cli.load_config()
    if keep:
        if local.status().running:
            raise UsageError(
                [ConfigProblem("--keep", "a local cloud is already running: stop it with `mlops local down` first")]
            )
    else:
        # a cloud of its own, so a developer's running cloud is neither reused nor stopped
        os.environ[STATE_DIR_VARIABLE] = tempfile.mkdtemp(prefix="mlops-demo-")
    out.mkdir(parents=True, exist_ok=True)
    lifecycle = Lifecycle(
        config=config, config_path=cli.config_path, workdir=out.resolve(), root=ctx.find_root().command
    )
    try:
        summary = runner.run(lifecycle.steps(), live=sys.stderr.isatty())
    finally:
        if not keep:
            local.down()
    (out / "summary.json").write_text(summary.model_dump_json(indent=2), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(json.loads(summary.model_dump_json()) | {"report": lifecycle.facts.get("report")}))
    else:
        _print(summary, lifecycle, keep=keep)
    if not summary.passed:
        raise typer.Exit(1)


def _print(summary: runner.DemoSummary, lifecycle: Lifecycle, *, keep: bool) -> None:
    table = Table(title=f"mlops demo: {'passed' if summary.passed else 'FAILED'} in {summary.seconds:.0f}s")
    for column in ("", "step", "s", "what happened"):
        table.add_column(column, overflow="fold")
    for step in summary.steps:
        mark = {"done": "[green]✔[/]", "failed": "[red]✘[/]"}.get(step.status, "[dim]·[/]")
        seconds = "" if step.seconds is None else f"{step.seconds:.1f}"
        table.add_row(mark, escape(step.title), seconds, escape(step.detail or step.status))
    console.print(table)
    if report := lifecycle.facts.get("report"):
        console.print(f"overview page: {escape(str(report))}", highlight=False)
    if keep and summary.passed:
        console.print(
            "the local cloud keeps running: try `mlops --local serve status -d <dataset>`, "
            "`mlops --local report`, then `mlops local down`",
            highlight=False,
        )
