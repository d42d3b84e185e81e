"""`mlops config ...`: validate the project config and print its JSON Schema."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from mlops import config as config_module
from mlops.cli.context import CliContext
from mlops.errors import ConfigError

app = typer.Typer(help="Validate the project config and print its schema.", no_args_is_help=True)
console = Console()


@app.command("validate")
def validate(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    all_environments: Annotated[bool, typer.Option("--all", help="Validate every environment.")] = False,
) -> None:
    """Validate the config; lists every problem with its path. Exit 2 when invalid."""
    cli: CliContext = ctx.obj
    names = _environment_names(cli, all_environments=all_environments)
    results: dict[str, list[dict[str, str]]] = {}
    for name in names:
        try:
            config_module.load(cli.config_path, name)
            results[name] = []
        except ConfigError as exc:
            results[name] = [{"path": p.path, "message": p.message} for p in exc.problems]
    valid = all(not problems for problems in results.values())
    if as_json:
        typer.echo(json.dumps({"valid": valid, "file": str(cli.config_path), "environments": results}, indent=2))
    else:
        for name, problems in results.items():
            if not problems:
                console.print(f"[green]✔[/] {escape(str(cli.config_path))} [bold]{escape(name)}[/]: valid")
                continue
            console.print(
                f"[red]✘[/] {escape(str(cli.config_path))} [bold]{escape(name)}[/]: {len(problems)} problem(s)"
            )
            for problem in problems:
                # user-controlled text (regexes like `[a-z]{1,30}`) must never be read as markup
                console.print(f"  [yellow]{escape(problem['path'])}[/]: {escape(problem['message'])}", highlight=False)
    if not valid:
        raise typer.Exit(2)


def _environment_names(cli: CliContext, *, all_environments: bool) -> list[str]:
    if not all_environments:
        return [cli.environment]
    try:
        names = config_module.environments(cli.config_path)
    except ConfigError:
        names = []
    # a file that cannot be read or defines no environments is never "all valid": loading the
    # selected environment reports what is wrong with it
    return names or [cli.environment]


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of a resolved environment's config."""
    typer.echo(config_module.json_schema())
