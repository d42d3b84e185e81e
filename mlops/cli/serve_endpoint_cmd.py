"""`mlops serve invoke | status`: a dataset's endpoint (`mlops.serving.naming.endpoint`) on AWS or
the local cloud. Exit codes: 0 success, 1 the model refused the rows or answered nonsense,
2 bad arguments (an unreadable rows file), 3 no such endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from mlops.cli.aws import Aws, connect
from mlops.cli.context import require_dataset
from mlops.errors import MlopsError
from mlops.pipeline.job_contract import id_columns
from mlops.serving import naming
from mlops.serving.endpoint_status import EndpointView, alarm_names, endpoint_view
from mlops.serving.invoke_rows import InvocationRows, predictions_of, read_rows

console = Console()
_STATE_STYLE = {"OK": "green", "ALARM": "red", "INSUFFICIENT_DATA": "yellow", "MISSING": "red"}
_STATUS_STYLE = {"InService": "green", "Failed": "red", "Updating": "yellow", "Creating": "yellow"}


class EndpointNotDeployedError(MlopsError):
    error_name = "Mlops.EndpointNotDeployed"
    exit_code = 3


class ModelInvocationError(MlopsError):
    """The model container refused the request (SageMaker's ModelError)."""

    error_name = "Mlops.ModelInvocationFailed"


def register(group: typer.Typer) -> None:
    group.command("invoke")(invoke)
    group.command("status")(status)


def _describe(aws: Aws, dataset: str) -> dict[str, Any]:
    name = naming.endpoint(aws.config.prefix, dataset)
    try:
        described: dict[str, Any] = aws.client("sagemaker").describe_endpoint(EndpointName=name)
    except ClientError as exc:
        # SageMaker answers a missing endpoint with a ValidationException ("Could not find endpoint")
        if exc.response["Error"].get("Code") in {"ValidationException", "ResourceNotFound"}:
            hint = f"deploy one: mlops serve deploy -d {dataset}"
            raise EndpointNotDeployedError(f"no endpoint {name} for dataset {dataset} ({hint})") from exc
        raise
    return described


def _invoke(aws: Aws, endpoint: str, rows: InvocationRows) -> list[float]:
    runtime = aws.client("sagemaker-runtime")
    try:
        answer = runtime.invoke_endpoint(
            EndpointName=endpoint, ContentType=rows.content_type, Accept="application/json", Body=rows.body.encode()
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ModelError":
            status = exc.response.get("OriginalStatusCode", "")
            message = exc.response.get("OriginalMessage") or error.get("Message", "")
            raise ModelInvocationError(f"the model refused the rows ({status}): {message}") from exc
        raise
    return predictions_of(answer["Body"].read(), rows.count)


def prediction_rows(rows: InvocationRows, predictions: list[float], keys: list[str]) -> list[dict[str, Any]]:
    """One entry a row: its number, its key columns (when the rows named them) and the prediction."""
    out = []
    for index, prediction in enumerate(predictions):
        record = (rows.records or [{}] * len(predictions))[index]
        out.append({"row": index + 1, **{k: record[k] for k in keys if k in record}, "prediction": prediction})
    return out


def invoke(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name from the config.")],
    file: Annotated[Path, typer.Option("--file", help="rows.csv (with or without header) or rows.json (records).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Send rows to the dataset's endpoint and print a prediction per row."""
    aws = connect(ctx.obj)
    require_dataset(aws.config, dataset)
    rows = read_rows(file)
    described = _describe(aws, dataset)
    predictions = _invoke(aws, described["EndpointName"], rows)
    keys = id_columns(aws.config.datasets[dataset])
    listed = prediction_rows(rows, predictions, keys)
    if as_json:
        payload = {
            "endpoint": described["EndpointName"],
            "endpoint_config_name": described.get("EndpointConfigName"),
            "predictions": listed,
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    table = Table(title=f"{described['EndpointName']} ({described.get('EndpointConfigName', '')})")
    for column in listed[0]:
        table.add_column(column, justify="right" if column in {"row", "prediction"} else "left")
    for entry in listed:
        table.add_row(*(f"{v:.6f}" if k == "prediction" else str(v) for k, v in entry.items()))
    console.print(table)


def status_view(view: EndpointView) -> Group:
    lines: list[Any] = [
        Text.assemble(
            (view.name, "bold"),
            "  ",
            (view.status, _STATUS_STYLE.get(view.status, "")),
            f"  config {view.endpoint_config_name or '-'}",
            f"  model v{view.model_version}" if view.model_version else "  model version unknown",
        )
    ]
    variants = Table("fleet", "variant", "instances (now/desired)", "weight (now/desired)", "traffic %", "status")
    fleets = [("serving", view.variants)] + ([("update", view.update.variants)] if view.update else [])
    for fleet, members in fleets:
        for v in members:
            variants.add_row(
                fleet,
                v.name,
                f"{v.current_instances if v.current_instances is not None else '-'}/{v.desired_instances or '-'}",
                f"{v.current_weight if v.current_weight is not None else '-'}/{v.desired_weight or '-'}",
                "" if v.traffic_percent is None else f"{v.traffic_percent:g}",
                ", ".join(v.status),
            )
    lines.append(variants)
    if view.update:
        split = "" if view.update.new_traffic_percent is None else f": {view.update.new_traffic_percent:g}% on it"
        target = f"v{view.update.model_version}" if view.update.model_version else "?"
        lines.append(Text(f"update in progress to {view.update.endpoint_config_name} (model {target}){split}"))
    alarms = Table("alarm", "metric", "state", "reason", title="rollback alarms")
    for alarm in view.alarms:
        alarms.add_row(
            alarm.name, alarm.metric, Text(alarm.state, _STATE_STYLE.get(alarm.state, "")), alarm.reason or ""
        )
    lines.append(alarms if view.alarms else Text("no rollback alarms configured"))
    if view.failure_reason:
        lines.append(Text(f"last failure: {view.failure_reason}", style="red"))
    return Group(*lines)


def status(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name from the config.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The dataset's endpoint: status, model version, variants and traffic, an update in
    progress, the rollback alarms' states, the last failure."""
    aws = connect(ctx.obj)
    require_dataset(aws.config, dataset)
    described = _describe(aws, dataset)
    expected = list(alarm_names(aws.config, dataset))
    found = aws.client("cloudwatch").describe_alarms(AlarmNames=expected)["MetricAlarms"] if expected else []
    view = endpoint_view(aws.config, dataset, described, found)
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
        return
    console.print(status_view(view))
