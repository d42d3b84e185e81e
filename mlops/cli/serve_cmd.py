"""`mlops serve`: the dataset endpoints and batch inference (commands registered by their modules)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Serving: endpoints, their traffic and alarms, batch inference.", no_args_is_help=True)
