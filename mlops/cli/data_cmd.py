"""`mlops data ...`: validate a local file against a dataset's schema, without uploading it.

Exit codes: 0 accepted (possibly with warnings), 1 rejected, 2 usage or config error (unknown
dataset, missing file, invalid config).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mlops.cli.context import CliContext
from mlops.data import CheckFailure, Example, UnknownDatasetError, ValidationReport, validate_file

app = typer.Typer(help="Validate and profile data files locally.", no_args_is_help=True)
console = Console()


@app.command("validate")
def validate(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV, CSV.gz or Parquet file.")
    ],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name from the config.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    profile_out: Annotated[
        Path | None, typer.Option("--profile-out", help="Also write the statistics profile (JSON) here.")
    ] = None,
) -> None:
    """Validate PATH against the schema of DATASET. Exit 0 accepted, 1 rejected, 2 usage error."""
    cli: CliContext = ctx.obj
    config = cli.load_config()
    if dataset not in config.datasets:
        raise UnknownDatasetError(dataset, list(config.datasets))
    report = validate_file(
        path,
        config.datasets[dataset],
        file_name=path.name,
        max_uncompressed_bytes=config.data_lake.max_uncompressed_bytes,
    )
    if profile_out is not None and report.profile is not None:
        profile_out.write_text(report.profile.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(report.to_summary_json(), indent=2))
    else:
        _print_report(report, dataset)
    if report.verdict == "rejected":
        raise typer.Exit(1)


def _print_report(report: ValidationReport, dataset: str) -> None:
    mark = "[green]✔ accepted[/]" if report.verdict == "accepted" else "[red]✘ rejected[/]"
    console.print(
        f"{mark}  {report.file_name} against dataset [bold]{dataset}[/]: {report.rows:,} rows, "
        f"{len(report.errors)} failing check(s), {len(report.warnings)} warning(s)",
        highlight=False,
    )
    if report.errors:
        console.print(_table("Failing checks", report.errors, "red"))
    if report.warnings:
        console.print(_table("Warnings", report.warnings, "yellow"))


def _table(title: str, failures: list[CheckFailure], color: str) -> Table:
    table = Table(title=title, title_justify="left", title_style=f"bold {color}", show_lines=False)
    table.add_column("check", style=color, no_wrap=True)
    table.add_column("column", no_wrap=True)
    table.add_column("rows", justify="right")
    table.add_column("examples (row (line): value)")
    table.add_column("message")
    for failure in failures:
        examples = ", ".join(f"{_where(e)}: {e.value!r}" for e in failure.examples) or "-"
        table.add_row(failure.check, failure.column or "-", f"{failure.rows:,}", examples, failure.message)
    return table


def _where(example: Example) -> str:
    return f"{example.row} (line {example.line})" if example.line is not None else str(example.row)
