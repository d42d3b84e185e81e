"""`mlops monitor labels push | status` and `mlops drift reports`: ground truth in, what the
scheduled checks found and what retraining they triggered or suppressed out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlops import layout, names
from mlops.cli.aws import Aws, connect
from mlops.cli.context import require_dataset
from mlops.errors import ConfigProblem, UsageError
from mlops.monitoring import labels as label_files
from mlops.monitoring.adapters import LabelStore, ReportStore
from mlops.monitoring.records import MonitorRecords
from mlops.monitoring.schedule import ScheduleExpressionError, parse

app = typer.Typer(help="Model monitoring: ground truth labels and the scheduled checks' status.", no_args_is_help=True)
labels_app = typer.Typer(help="Ground truth for captured predictions.", no_args_is_help=True)
app.add_typer(labels_app, name="labels")
console = Console()


@labels_app.command("push")
def push(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV (inference_id,label[,row]) or JSON records / JSON lines.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name from the config.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Store labels for captured predictions; the next check joins them by inference id."""
    if not file.is_file():
        raise UsageError([ConfigProblem("FILE", f"{file} is not a file")])
    aws = connect(ctx.obj)
    require_dataset(aws.config, dataset)
    labels = label_files.parse(file.read_text(encoding="utf-8"), source=str(file))
    bucket = names.artifacts_bucket(aws.config, aws.account)
    key = LabelStore(aws.client("s3"), bucket).push(dataset, labels, now=datetime.now(UTC))
    uri = layout.s3_uri(bucket, key)
    positives = sum(label.label for label in labels)
    if as_json:
        typer.echo(json.dumps({"dataset": dataset, "labels": len(labels), "positives": positives, "uri": uri}))
    else:
        console.print(f"[green]✔[/] {len(labels)} label(s) ({positives} positive) stored at {escape(uri)}")


def _next_run(aws: Aws, dataset: str) -> dict[str, Any]:
    name = names.drift_schedule(aws.config, dataset)
    try:
        schedule = aws.client("scheduler").get_schedule(Name=name)
    except ClientError as exc:
        return {"schedule": name, "error": exc.response["Error"].get("Code", "error")}
    expression = str(schedule["ScheduleExpression"])
    found: dict[str, Any] = {"schedule": name, "expression": expression, "state": schedule.get("State")}
    try:
        created = schedule.get("CreationDate") or datetime.now(UTC)
        if not isinstance(created, datetime):
            created = datetime.fromtimestamp(float(created), UTC)
        upcoming = parse(expression).next_after(datetime.now(UTC), created.astimezone(UTC))
        found["next_run"] = upcoming.isoformat() if upcoming else None
    except ScheduleExpressionError as exc:
        found["error"] = str(exc)
    return found


def dataset_status(aws: Aws, records: MonitorRecords, dataset: str, *, suppressed_shown: int = 10) -> dict[str, Any]:
    checks = records.checks(dataset, limit=1)
    triggers = records.triggers(dataset, limit=50)
    started = next((t for t in triggers if t.decision == "started"), None)
    return {
        "dataset": dataset,
        "last_check": checks[0].model_dump(mode="json") if checks else None,
        "last_retraining": started.model_dump(mode="json") if started else None,
        "suppressed": [t.model_dump(mode="json") for t in triggers if t.decision == "suppressed"][:suppressed_shown],
        "watermark": (w.model_dump(mode="json") if (w := records.watermark(dataset)) else None),
        "retrain": aws.config.drift.retrain,
        "cooldown_hours": aws.config.drift.cooldown_hours,
        **_next_run(aws, dataset),
    }


@app.command("status")
def status(
    ctx: typer.Context,
    dataset: Annotated[str | None, typer.Option("--dataset", "-d", help="One dataset (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Last check, verdicts, drifted features, model quality, retraining started and suppressed, next run."""
    aws = connect(ctx.obj)
    if dataset is not None:
        require_dataset(aws.config, dataset)
    records = MonitorRecords(aws.client("dynamodb"), names.registry_table(aws.config))
    found = [dataset_status(aws, records, name) for name in ([dataset] if dataset else sorted(aws.config.datasets))]
    if as_json:
        typer.echo(json.dumps({"datasets": found}, indent=2))
        return
    for entry in found:
        _print_status(entry)


def _print_status(entry: dict[str, Any]) -> None:
    console.rule(f"[bold]{escape(entry['dataset'])}")
    check = entry["last_check"]
    if check is None:
        console.print("no check yet")
    else:
        console.print(
            f"last check {escape(check['checked_at'])}: drift [bold]{escape(check['verdict'])}[/] "
            f"({check['drifted_share']:.0%} of features; {', '.join(check['drifted_features']) or 'none'} drifted), "
            f"{check['captured_rows']} row(s) captured, {check['malformed_records']} unreadable; model quality "
            f"[bold]{escape(str(check['quality_verdict']))}[/] {check['quality_metric']} = {check['quality_value']} "
            f"(evaluation {check['quality_baseline']}); report {escape(check['html_uri'])}",
            highlight=False,
        )
    started = entry["last_retraining"]
    console.print(
        "last retraining: "
        + (f"{escape(started['at'])} {escape(started['reason'])}" if started else "none")
        + f" (retrain {'on' if entry['retrain'] else 'off'}, cooldown {entry['cooldown_hours']} h)",
        highlight=False,
    )
    if entry["suppressed"]:
        table = Table("suppressed at", "alert", "why")
        for t in entry["suppressed"]:
            table.add_row(escape(t["at"]), escape(t["alert"]), escape(t["reason"]))
        console.print(table)
    console.print(
        f"schedule {escape(entry['schedule'])}: {escape(str(entry.get('expression', entry.get('error'))))}, "
        f"next run {escape(str(entry.get('next_run')))}",
        highlight=False,
    )


def reports(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset name from the config.")],
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest reports.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The scheduled checks' reports in S3, newest first, with their verdicts."""
    aws = connect(ctx.obj)
    require_dataset(aws.config, dataset)
    bucket = names.artifacts_bucket(aws.config, aws.account)
    store = ReportStore(aws.client("s3"), bucket)
    found = []
    for key in store.list_reports(dataset)[:limit]:
        document = store.get_json(key)
        quality = document.get("quality") or {}
        found.append(
            {
                "check_id": document.get("check_id"),
                "checked_at": document.get("checked_at"),
                "verdict": document.get("drift", {}).get("verdict"),
                "drifted_share": document.get("drift", {}).get("drifted_share"),
                "quality": quality.get("verdict"),
                "quality_value": quality.get("value"),
                "alerts": document.get("alerts", []),
                "report_uri": layout.s3_uri(bucket, key),
                "html_uri": layout.s3_uri(bucket, key.removesuffix(".json") + ".html"),
            }
        )
    if as_json:
        typer.echo(json.dumps({"dataset": dataset, "reports": found}, indent=2))
        return
    table = Table("checked at", "drift", "share", "quality", "alerts", "report", title=f"drift reports: {dataset}")
    for r in found:
        table.add_row(
            escape(str(r["checked_at"])),
            escape(str(r["verdict"])),
            "-" if r["drifted_share"] is None else f"{r['drifted_share']:.0%}",
            escape(str(r["quality"])),
            escape(", ".join(r["alerts"]) or "-"),
            escape(r["html_uri"]),
        )
    console.print(table)


def register_drift(drift_app: typer.Typer) -> None:
    drift_app.command("reports")(reports)
