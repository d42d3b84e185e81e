"""`mlops drift check`: current data against a data version's stored profile.

Exit codes: 0 the dataset did not drift (or there was too little data to tell), 1 it drifted
(with --endpoint: or model quality degraded), 2 usage error (unknown dataset, unreadable
input), like every other command's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlops import names
from mlops.adapters.s3 import ObjectStore
from mlops.cli.aws import connect
from mlops.cli.context import require_dataset
from mlops.config import ProjectConfig
from mlops.drift import DriftPolicy, DriftReport, check_profile, sources
from mlops.drift.report_html import render
from mlops.errors import ConfigProblem, UsageError
from mlops.registry.data_versions import DataVersionRegistry

app = typer.Typer(help="Drift checks against a data version's statistics profile.", no_args_is_help=True)
console = Console()

STATUS_STYLE = {"drifted": "red", "missing": "red", "ok": "green", "insufficient_data": "yellow", "skipped": "dim"}


def _usage(option: str, message: str) -> UsageError:
    return UsageError([ConfigProblem(option, message)])


@app.command("check")
def check(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name from the config.")],
    baseline: Annotated[
        str | None,
        typer.Option(
            help="Baseline: a version (vN, an id prefix, latest) or a profile/manifest JSON file (no AWS needed). "
            "Default: the latest version; with --data-version, the version before it."
        ),
    ] = None,
    current: Annotated[Path | None, typer.Option(help="Current data: a CSV, CSV.gz or Parquet file.")] = None,
    data_version: Annotated[str | None, typer.Option(help="Current data: a registered version (vM).")] = None,
    endpoint: Annotated[
        bool,
        typer.Option(
            "--endpoint",
            help="Current data: the dataset endpoint's captured requests since the last scheduled check "
            "(baseline default: the serving model's data version, else the latest). Reads only: no watermark moves.",
        ),
    ] = False,
    html: Annotated[Path | None, typer.Option(help="Also write the report as one self-contained HTML file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check current data for drift against the baseline. Exit 0 no drift, 1 drifted, 2 usage error."""
    if sum(x is not None for x in (current, data_version)) + endpoint != 1:
        raise _usage(
            "--current/--data-version/--endpoint", "give exactly one of --current FILE, --data-version vM, --endpoint"
        )
    if endpoint:
        _endpoint_check(ctx, dataset, baseline, html, as_json)
        return
    if current is not None and not current.is_file():
        raise _usage("--current", f"{current} is not a file")
    config = ctx.obj.load_config()
    require_dataset(config, dataset)
    offline = current is not None and baseline is not None and sources.is_profile_file(baseline)
    registry, store = (None, None) if offline else _remote(ctx, config)

    if baseline is not None and sources.is_profile_file(baseline):
        reference = sources.profile_file(Path(baseline))
    else:
        assert registry is not None and store is not None
        ref = baseline or (
            sources.previous_version(registry, dataset, data_version) if data_version is not None else "latest"
        )
        reference = sources.version_profile(registry, store, dataset, ref)
    if current is not None:
        observed = sources.data_file(
            current,
            config.datasets[dataset],
            reference.profile,
            max_uncompressed_bytes=config.data_lake.max_uncompressed_bytes,
        )
    else:
        assert registry is not None and store is not None and data_version is not None
        observed = sources.version_profile(registry, store, dataset, data_version)

    policy = DriftPolicy.for_dataset(config.drift, config.datasets[dataset])
    report = check_profile(
        reference.profile, observed.profile, policy, dataset=dataset, baseline=reference.name, current=observed.name
    )
    if html is not None:
        html.write_text(render(report), encoding="utf-8")
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _print(report, observed.failed_checks, html)
    if report.verdict == "drifted":
        raise typer.Exit(1)


def _endpoint_check(ctx: typer.Context, dataset: str, baseline: str | None, html: Path | None, as_json: bool) -> None:
    from mlops.monitoring import wiring
    from mlops.monitoring.check import evaluate
    from mlops.monitoring.report_html import render_report

    config = ctx.obj.load_config()
    require_dataset(config, dataset)
    aws = connect(ctx.obj)
    sources = wiring.check_sources(
        config,
        aws.client,
        registry_table=names.registry_table(config),
        artifacts_bucket=names.artifacts_bucket(config, aws.account),
    )
    report, _ = evaluate(sources, dataset, now=datetime.now(UTC), baseline=baseline)
    if html is not None:
        html.write_text(render_report(report), encoding="utf-8")
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        capture = report.capture
        console.print(
            f"{escape(report.endpoint)}: {capture.files} capture file(s), {capture.records} record(s), "
            f"{capture.rows} row(s), {capture.malformed} unreadable"
            f"{f', {capture.earlier_model} of an earlier model' if capture.earlier_model else ''}",
            highlight=False,
        )
        for problem in capture.problems:
            console.print(f"  [yellow]unreadable[/] {escape(problem)}", highlight=False)
        _print(report.drift, 0, html)
        if report.quality is not None:
            q = report.quality
            console.print(f"model quality: [bold]{escape(q.verdict)}[/] {escape(q.reason)}", highlight=False)
    if report.alerts:
        raise typer.Exit(1)


def _remote(ctx: typer.Context, config: ProjectConfig) -> tuple[DataVersionRegistry, ObjectStore]:
    aws = connect(ctx.obj)
    return DataVersionRegistry(aws.client("dynamodb"), names.registry_table(config)), ObjectStore(aws.client("s3"))


def _print(report: DriftReport, failed_checks: int, html: Path | None) -> None:
    style = "red" if report.verdict == "drifted" else "green" if report.verdict == "ok" else "yellow"
    console.print(
        f"[bold {style}]{escape(report.verdict)}[/]  {escape(report.dataset)}: {escape(report.current)} "
        f"({report.current_rows:,} rows) vs baseline {escape(report.baseline)} ({report.reference_rows:,} rows); "
        f"{report.counts.drifted} of {report.counts.drifted + report.counts.ok} features drifted "
        f"({report.drifted_share:.0%}, threshold {report.drifted_share_threshold:.0%})",
        highlight=False,
    )
    if failed_checks:
        console.print(
            f"[yellow]the current file fails {failed_checks} validation check(s)[/]: "
            "its invalid values count as missing (see `mlops data validate`)"
        )
    table = Table("feature", "status", "method", "score", "threshold", "why")
    for f in report.features:
        table.add_row(
            escape(f.feature),
            f"[{STATUS_STYLE[f.status]}]{f.status}[/]",
            str(f.method or "-"),
            "-" if f.score is None else f"{f.score:.4g}",
            "-" if f.threshold is None else f"{f.threshold:g}",
            escape(f.reason),
        )
    console.print(table)
    for v in report.violations:
        if v.constraint_check_type == "categorical_values_check":
            console.print(
                f"[yellow]new values[/] in {escape(v.feature_name)}: {escape(v.description)}", highlight=False
            )
    if html is not None:
        console.print(f"report: {escape(str(html))}")
