"""`mlops local up | status | down`: the local cloud (moto server + real CDK deploy)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlops import local
from mlops.cli.context import CliContext
from mlops.local import LocalCloudState, LocalCloudStatus

app = typer.Typer(help="Run the whole platform locally on moto.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@app.command("up")
def up(
    ctx: typer.Context,
    port: Annotated[
        int | None, typer.Option("--port", "-p", min=1, max=65535, help="Port (default: a free one).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Start the local cloud (or reuse the running one) and deploy every stack into it."""
    cli: CliContext = ctx.obj
    with err_console.status("starting the local cloud") as spinner:

        def progress(message: str) -> None:
            spinner.update(message)
            err_console.print(f"[dim]•[/] {message}", highlight=False)

        state = local.up(port, config_path=cli.config_path, environment=cli.environment, progress=progress)
    if as_json:
        typer.echo(_json(state.model_dump(mode="json")))
        return
    _print_resources(state)
    timings = state.timings
    console.print(
        f"[green]✔[/] local cloud on [bold]{state.endpoint}[/] (pid {state.pid}, {state.region}), "
        f"{len(state.stacks)} stack(s) deployed in {timings.total_s:.1f}s "
        f"(synth {timings.synth_s:.1f}s, bootstrap {timings.bootstrap_s:.1f}s, deploy {timings.deploy_s:.1f}s)",
        highlight=False,
    )
    console.print(f"  use it with [bold]mlops --local ...[/] or AWS_ENDPOINT_URL={state.endpoint}", highlight=False)


@app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Whether the local cloud runs, where, and what is deployed in it."""
    current = local.status()
    if as_json:
        typer.echo(_json(_status_document(current)))
    elif current.running and current.state is not None:
        _print_resources(current.state)
        state = current.state
        console.print(
            f"[green]●[/] running on [bold]{state.endpoint}[/] (pid {state.pid}, {state.region}, "
            f"environment {state.environment}) since {state.started_at:%Y-%m-%d %H:%M:%S} UTC",
            highlight=False,
        )
    elif current.stale and current.state is not None:
        console.print(
            f"[yellow]○[/] not running: the recorded server (pid {current.state.pid}) is gone; "
            "`mlops local up` starts a new one, `mlops local down` clears the record",
            highlight=False,
        )
    else:
        console.print("[dim]○[/] not running: start it with `mlops local up`", highlight=False)


@app.command("down")
def down(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Stop the local cloud and forget its state (safe when nothing runs)."""
    result = local.down()
    if as_json:
        typer.echo(_json({"stopped": result.stopped, "pid": result.pid, "message": result.message}))
        return
    mark = "[green]✔[/]" if result.stopped else "[dim]○[/]"
    console.print(f"{mark} {escape(result.message)}", highlight=False)


@app.command("tick")
def tick(
    name: Annotated[str | None, typer.Option("--name", help="Fire this schedule only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Fire every EventBridge Scheduler schedule of the local cloud now; waits for their targets."""
    from mlops.local.plugins.scheduler import request_tick

    fired = request_tick(local.endpoint(), name=name)
    if as_json:
        typer.echo(_json({"fired": fired}))
        return
    if not fired:
        console.print("[dim]○[/] no enabled schedule to fire", highlight=False)
    for entry in fired:
        mark = "[green]✔[/]" if entry["status"] == "delivered" else "[red]✘[/]"
        console.print(
            f"{mark} {escape(entry['schedule'])} -> {escape(entry['target'])}: {escape(entry['status'])}",
            highlight=False,
        )


def _status_document(current: LocalCloudStatus) -> dict[str, Any]:
    document: dict[str, Any] = {"running": current.running, "stale": current.stale}
    if current.state is not None:
        document |= current.state.model_dump(mode="json")
    return document


def _print_resources(state: LocalCloudState) -> None:
    table = Table(title=f"local cloud {state.endpoint}", title_justify="left")
    for column in ("stack", "resource type", "logical id", "physical id"):
        table.add_column(column, overflow="fold")
    for stack in state.stacks:
        for index, resource in enumerate(stack.resources):
            physical = resource.physical_id or "[dim]- (not emulated by moto)[/]"
            table.add_row(
                escape(stack.name) if index == 0 else "",
                escape(resource.type),
                escape(resource.logical_id),
                escape(resource.physical_id) if resource.physical_id else physical,
                end_section=index == len(stack.resources) - 1,
            )
    console.print(table)
    for stack in state.stacks:
        for key, value in stack.outputs.items():
            if not key.startswith("ExportsOutput"):
                console.print(f"  {escape(f'{stack.name}.{key} = {value}')}", highlight=False)


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2)
