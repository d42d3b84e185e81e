"""`mlops local ...`: the local cloud (moto server + real CDK deploy). Filled in by mlops.local."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run the whole platform locally on moto.", no_args_is_help=True)
