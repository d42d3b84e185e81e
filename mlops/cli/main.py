"""Entry point of the `mlops` command.

Exit codes: 0 success, 1 a domain failure (e.g. data rejected, a deployment rolled back),
2 usage or config error, 3 local cloud error or a stack not deployed, 4 a refused request (an
unknown or unapproved model version, no rollback target), 5 another deployment in progress.
Every `MlopsError` is mapped here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from mlops.cli import (
    config_cmd,
    data_cmd,
    data_remote,
    drift_cmd,
    local_cmd,
    model_cmd,
    monitor_cmd,
    pipeline_cmd,
    report_cmd,
    serve_batch_cmd,
    serve_cmd,
    serve_deploy_cmd,
    serve_endpoint_cmd,
)
from mlops.cli.context import CliContext, local_requested
from mlops.errors import ConfigError, MlopsError, UsageError

app = typer.Typer(
    name="mlops",
    help="serverless-mlops: data versions, training pipelines and versioned endpoints on AWS or locally.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
data_remote.register(data_cmd.app)
app.add_typer(data_cmd.app, name="data")
app.add_typer(pipeline_cmd.app, name="pipeline")
app.add_typer(local_cmd.app, name="local")
monitor_cmd.register_drift(drift_cmd.app)
app.add_typer(drift_cmd.app, name="drift")
serve_deploy_cmd.register(serve_cmd.app)
serve_batch_cmd.register(serve_cmd.app)
serve_endpoint_cmd.register(serve_cmd.app)
app.add_typer(serve_cmd.app, name="serve")
app.add_typer(model_cmd.app, name="model")
app.add_typer(monitor_cmd.app, name="monitor")
app.command("report")(report_cmd.report)

err_console = Console(stderr=True)


@app.callback()
def root(
    ctx: typer.Context,
    config_path: Annotated[
        Path, typer.Option("--config", "-f", help="Project config file.", envvar="MLOPS_CONFIG")
    ] = Path("mlops.yaml"),
    environment: Annotated[
        str, typer.Option("--env", "-e", help="Environment section of the config.", envvar="MLOPS_ENV")
    ] = "dev",
    local: Annotated[
        bool, typer.Option("--local", help="Talk to the running local cloud (also MLOPS_LOCAL=1).")
    ] = False,
) -> None:
    ctx.obj = CliContext(config_path=config_path, environment=environment, local=local_requested(local))


def _report(exc: MlopsError) -> None:
    if isinstance(exc, ConfigError | UsageError):
        if isinstance(exc, UsageError):
            headline = "invalid arguments"
        else:
            headline = "invalid config" + (f" in {escape(exc.source)}" if exc.source else "")
        err_console.print(f"[bold red]{headline}[/]: {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            err_console.print(f"  [yellow]{escape(problem.path)}[/]: {escape(problem.message)}", highlight=False)
    else:
        err_console.print(f"[bold red]error[/]: {escape(str(exc))}", highlight=False)


def main() -> None:
    try:
        app()
    except MlopsError as exc:
        _report(exc)
        raise SystemExit(exc.exit_code) from exc


if __name__ == "__main__":
    main()
