"""`mlops data push | versions | show | diff`: data versions on AWS or the local cloud."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlops import names
from mlops.adapters.s3 import ObjectStore
from mlops.cli.aws import Aws, connect
from mlops.cli.context import require_dataset
from mlops.drift import DriftPolicy
from mlops.ingest import client as data_versions
from mlops.layout import split_s3_uri
from mlops.registry.data_versions import DataVersionRegistry

console = Console()


def _registry(aws: Aws) -> DataVersionRegistry:
    return DataVersionRegistry(aws.client("dynamodb"), names.registry_table(aws.config))


def push(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A data file, or a directory uploaded as one batch.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name from the config.")],
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the verdict and print it.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the verdict.")] = 900,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Upload data; with --wait, print the new version or the full error report (exit 1)."""
    aws = connect(ctx.obj)
    require_dataset(aws.config, dataset)
    bucket = names.data_bucket(aws.config, aws.account)
    upload = data_versions.push(aws.client("s3"), bucket, dataset, path)
    result: dict[str, Any] = {
        "verdict": "pending",
        "version": None,
        "version_id": None,
        "manifest_uri": None,
        "report_uri": None,
        "upload": {"key": upload.key, "version_id": upload.version_id, "upload_id": upload.upload_id},
    }
    store = ObjectStore(aws.client("s3"))
    if wait:
        if not as_json:
            console.print(f"uploaded s3://{bucket}/{upload.key}; waiting for the verdict ...")
        outcome = data_versions.wait_for_outcome(store, upload, timeout=timeout)
        result |= {
            "verdict": outcome.verdict,
            "version": outcome.version,
            "version_id": outcome.version_id,
            "manifest_uri": outcome.manifest_uri,
            "report_uri": outcome.report_uri,
        }
        if outcome.verdict == "rejected":
            bucket_name, key = split_s3_uri(outcome.report_uri)
            result["errors"] = store.get_json(bucket_name, key)["errors"]
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    elif result["verdict"] == "pending":
        console.print(
            f"uploaded s3://{bucket}/{upload.key} (upload {upload.upload_id}); run with --wait for the verdict"
        )
    elif result["verdict"] == "accepted":
        console.print(f"[green]accepted[/] as [bold]{dataset}@{result['version']}[/] ({result['version_id'][:12]})")
        console.print(f"manifest: {result['manifest_uri']}")
    else:
        table = Table("object", "check", "column", "rows", "message", title=f"[red]rejected[/]: {upload.key}")
        for error in result["errors"]:
            table.add_row(
                str(error.get("key") or ""),
                error["check"],
                str(error.get("column") or ""),
                str(error.get("rows") or ""),
                error["message"],
            )
        console.print(table)
        console.print(f"report: {result['report_uri']}")
    if result["verdict"] == "rejected":
        raise typer.Exit(1)


def versions(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List a dataset's versions, oldest first."""
    aws = connect(ctx.obj)
    require_dataset(aws.config, dataset)
    records = _registry(aws).list(dataset)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") | {"name": r.name} for r in records], indent=2))
        return
    table = Table("version", "id", "rows", "objects", "bytes", "created", "by", title=dataset)
    for r in records:
        table.add_row(
            r.name,
            r.version_id[:12],
            str(r.rows),
            str(r.objects),
            str(r.bytes),
            r.created_at.isoformat(timespec="seconds"),
            r.created_by,
        )
    console.print(table)


def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="DATASET@vN, DATASET@<id prefix> or DATASET (latest).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show one version: its objects (pinned by S3 VersionId and sha256) and its profile."""
    aws = connect(ctx.obj)
    record, manifest = data_versions.show(_registry(aws), ObjectStore(aws.client("s3")), ref)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "record": record.model_dump(mode="json") | {"name": record.name},
                    "manifest": manifest.model_dump(mode="json"),
                },
                indent=2,
            )
        )
        return
    console.print(f"[bold]{record.ref}[/]  id {record.version_id}")
    console.print(
        f"rows {record.rows}  objects {record.objects}  bytes {record.bytes}  schema {record.schema_hash[:12]}"
    )
    console.print(f"created {record.created_at.isoformat(timespec='seconds')} by {record.created_by}")
    table = Table("key", "S3 version", "sha256", "rows", "bytes")
    for obj in manifest.objects:
        table.add_row(obj.key, str(obj.version_id), obj.sha256[:16], str(obj.rows), str(obj.bytes))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("push")(push)
    app.command("versions")(versions)
    app.command("show")(show)
    app.command("diff")(diff)


def _pair(pair: tuple[float | None, float | None] | None) -> str:
    return "" if pair is None else " -> ".join("-" if v is None else f"{v:.4g}" for v in pair)


STATUS_STYLE = {"drifted": "red", "missing": "red", "ok": "green", "insufficient_data": "yellow", "skipped": "dim"}


def diff(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="DATASET@vA (the baseline)")],
    b: Annotated[str, typer.Argument(help="DATASET@vB")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Objects added/removed/changed, schema change, and B's columns judged for drift against A
    with the configured drift thresholds (unique id columns are not compared)."""
    aws = connect(ctx.obj)
    registry, store = _registry(aws), ObjectStore(aws.client("s3"))
    version_a, version_b = data_versions.show(registry, store, a), data_versions.show(registry, store, b)
    dataset = version_a[0].dataset
    require_dataset(aws.config, dataset)
    policy = DriftPolicy.for_dataset(aws.config.drift, aws.config.datasets[dataset])
    result = data_versions.diff(version_a, version_b, policy)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    console.print(
        f"[bold]{escape(result.a)}[/] -> [bold]{escape(result.b)}[/]: rows {result.rows[0]} -> {result.rows[1]}"
    )
    console.print(
        f"objects: +{len(result.added)} -{len(result.removed)} ~{len(result.changed)} ={result.unchanged}"
        + ("   [yellow]schema changed[/]" if result.schema_changed else "")
    )
    for label, keys in (("added", result.added), ("removed", result.removed), ("changed", result.changed)):
        for key in keys:
            console.print(f"  {label:8} {escape(key)}", highlight=False)
    if result.verdict is not None:
        style = "red" if result.verdict == "drifted" else "green" if result.verdict == "ok" else "yellow"
        console.print(f"drift: [bold {style}]{result.verdict}[/] ({result.drifted_share:.0%} of compared columns)")
    table = Table("column", "status", "method", "score", "threshold", "null rate", "mean", "PSI", "categories")
    for s in result.shifts:
        cats = ""
        if s.kind == "categorical" and s.max_share_change is not None:
            cats = f"max share change {s.max_share_change:.3f}; new {s.new_values} vanished {s.vanished_values}"
        table.add_row(
            escape(s.column),
            f"[{STATUS_STYLE.get(s.status, 'dim')}]{s.status}[/]",
            s.method or "-",
            "-" if s.score is None else f"{s.score:.4g}",
            "-" if s.threshold is None else f"{s.threshold:g}",
            _pair(s.null_rate),
            _pair(s.mean),
            "" if s.psi is None else f"{s.psi:.4f}",
            escape(cats),
        )
    console.print(table)
