"""`mlops report [--out DIR]`: the platform overview page of one environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mlops.cli.aws import connect
from mlops.overview.collect import collect
from mlops.overview.page import render


def report(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write index.html into.")] = Path(
        "mlops-report"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print what the page shows as JSON.")] = False,
) -> None:
    """Write one self-contained HTML page: data versions, the training leaderboard, model
    versions and which one serves, deployments and rollbacks, drift and model quality."""
    aws = connect(ctx.obj)
    overview = collect(aws.config, aws.client)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    page.write_text(render(overview), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps({"page": str(page), "overview": json.loads(overview.model_dump_json())}, indent=2))
        return
    problems = [f"{d.name}: {p}" for d in overview.datasets for p in d.problems]
    for problem in problems:
        typer.echo(f"warning: {problem}", err=True)
    typer.echo(f"wrote {page} ({page.stat().st_size / 1024:.0f} KB, {len(overview.datasets)} dataset(s))")
