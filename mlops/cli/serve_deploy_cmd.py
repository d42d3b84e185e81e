"""`mlops serve deploy | history | rollback`: deployments of a dataset's endpoint through the
deploy workflow, on AWS or the local cloud.

Exit codes: 0 deployed (or nothing to do), 1 rolled back or failed, 2 usage, 3 the serving
stack is not deployed, 4 refused (no such or unapproved version, no rollback target),
5 another deployment is in progress, 130 interrupted (the deployment goes on).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from mlops import names
from mlops.cli.aws import Aws, connect
from mlops.cli.context import CliContext
from mlops.config import DeploymentStrategy
from mlops.serving.deployments import DeploymentResult, Deployments, ModelRef, TrafficView, parse_model_ref
from mlops.serving.models import DeploymentRecord, Trigger

console = Console()
INTERRUPTED = 130
_STYLE = {"deployed": "green", "rolled_back": "yellow", "failed": "red", "in_progress": "blue"}

ModelArgument = Annotated[
    str | None, typer.Argument(metavar="[NAME@N]", help="Dataset (or its model package group) and version.")
]
DatasetOption = Annotated[str | None, typer.Option("--dataset", "-d", help="Dataset (default: the only one).")]
StrategyOption = Annotated[
    DeploymentStrategy | None, typer.Option("--strategy", help="Override deployment.strategy for this deployment.")
]
WaitOption = Annotated[bool, typer.Option("--wait", help="Follow the traffic shift to the outcome.")]
TimeoutOption = Annotated[float, typer.Option(min=1, help="Seconds to wait with --wait.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def deployments(aws: Aws) -> Deployments:
    arn = f"arn:aws:states:{aws.config.settings.region}:{aws.account}:stateMachine:"
    arn += names.deploy_state_machine(aws.config)
    return Deployments(aws.config, aws.client("sagemaker"), aws.client("stepfunctions"), aws.client("dynamodb"), arn)


def who(aws: Aws) -> str:
    if aws.local:
        return "local"
    try:
        return str(aws.client("sts").get_caller_identity()["Arn"])
    except Exception:
        return "unknown"


def traffic_table(view: TrafficView, title: str) -> Table:
    table = Table("fleet", "endpoint config", "version", "weight", "desired", "instances", "status", title=title)
    for row in view.fleets:
        table.add_row(
            row["fleet"],
            Text(str(row["endpoint_config"] or "")),
            str(row["model_version"] or ""),
            "" if row["current_weight"] is None else f"{row['current_weight']:g}",
            "" if row["desired_weight"] is None else f"{row['desired_weight']:g}",
            "" if row["instances"] is None else str(row["instances"]),
            row["status"] or "",
        )
    table.caption = f"execution {view.execution_status}, endpoint {view.endpoint_status or 'not created yet'}"
    return table


def _summary(result: DeploymentResult) -> Group:
    lines: list[Any] = []
    if result.skipped:
        lines.append(Text(f"nothing to do: {result.skipped}", style="cyan"))
    record = result.record
    status = result.status or ("skipped" if result.skipped else result.execution_status.lower())
    lines.append(Text.assemble("deployment ", (result.deployment_id, "bold"), "  ", (status, _STYLE.get(status, ""))))
    if record is not None:
        previous = f" (was v{record.previous_model_version})" if record.previous_model_version else ""
        lines.append(
            Text(f"{record.dataset} v{record.model_version}{previous} on {record.endpoint_name}, {record.strategy}")
        )
        if record.reason:
            lines.append(Text(record.reason, style=_STYLE.get(record.status, "")))
    if result.error and (record is None or not record.reason):
        lines.append(Text(f"{result.error}: {result.cause or ''}", style="red"))
    return Group(*lines)


def _exit_code(result: DeploymentResult) -> int:
    return 0 if result.status == "deployed" or result.skipped else 1


def _run(
    cli: CliContext,
    aws: Aws,
    client: Deployments,
    ref: ModelRef,
    package_arn: str,
    *,
    trigger: Trigger,
    strategy: DeploymentStrategy | None,
    wait: bool,
    timeout: float,
    as_json: bool,
) -> None:
    arn = client.start(ref.dataset, package_arn, trigger=trigger, triggered_by=who(aws), strategy=strategy)
    name = arn.rsplit(":", 1)[-1]
    if not wait:
        if as_json:
            typer.echo(json.dumps({"execution_arn": arn, "deployment_id": name, "status": "RUNNING"}, indent=2))
        else:
            console.print(Text(f"started {arn}"), soft_wrap=True)
            local = "--local " if cli.local else ""
            console.print(Text(f"follow it with: mlops {local}serve history {ref.dataset}"), soft_wrap=True)
        return
    try:
        if as_json:
            result = client.wait(arn, ref.dataset, timeout=timeout)
        else:
            with Live(traffic_table(TrafficView(execution_status="RUNNING"), name), console=console) as live:
                result = client.wait(
                    arn, ref.dataset, timeout=timeout, on_progress=lambda v: live.update(traffic_table(v, name))
                )
    except KeyboardInterrupt:
        Console(stderr=True).print(Text(f"interrupted: the deployment goes on: {arn}"), soft_wrap=True)
        raise typer.Exit(INTERRUPTED) from None
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        console.print(_summary(result))
    raise typer.Exit(_exit_code(result))


def deploy(
    ctx: typer.Context,
    model: ModelArgument = None,
    dataset: DatasetOption = None,
    strategy: StrategyOption = None,
    wait: WaitOption = False,
    timeout: TimeoutOption = 4 * 3600,
    as_json: JsonOption = False,
) -> None:
    """Deploy a model version (default: the dataset's newest approved one) to the dataset's
    endpoint: created on the first deployment, else updated blue/green with the configured
    (or --strategy) traffic shift and automatic rollback on the endpoint's alarms."""
    cli: CliContext = ctx.obj
    aws = connect(cli)
    ref = parse_model_ref(aws.config, model, dataset)
    client = deployments(aws)
    client.ensure_deployed()
    package = client.package_arn(ref)
    client.refuse_if_in_progress(ref.dataset)
    _run(
        cli, aws, client, ref, package, trigger="manual", strategy=strategy, wait=wait, timeout=timeout, as_json=as_json
    )


def rollback(
    ctx: typer.Context,
    dataset: DatasetOption = None,
    to: Annotated[int | None, typer.Option("--to", min=1, help="The version to go back to.")] = None,
    strategy: StrategyOption = None,
    wait: WaitOption = False,
    timeout: TimeoutOption = 4 * 3600,
    as_json: JsonOption = False,
) -> None:
    """Go back to an earlier version that was deployed successfully (default: the one deployed
    before the current one), through the same deploy workflow."""
    cli: CliContext = ctx.obj
    aws = connect(cli)
    ref = parse_model_ref(aws.config, None, dataset)
    client = deployments(aws)
    client.ensure_deployed()
    client.refuse_if_in_progress(ref.dataset)
    target = client.rollback_package(ref.dataset, to)
    package = client.package_arn(ModelRef(dataset=ref.dataset, version=target.model_version))
    _run(
        cli,
        aws,
        client,
        ref,
        package,
        trigger="rollback",
        strategy=strategy,
        wait=wait,
        timeout=timeout,
        as_json=as_json,
    )


def history(
    ctx: typer.Context,
    dataset: Annotated[str | None, typer.Argument(help="Dataset (default: the only one).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Newest deployments shown.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The dataset's deployments, newest first, and what its endpoint serves now."""
    aws = connect(ctx.obj)
    ref = parse_model_ref(aws.config, None, dataset)
    client = deployments(aws)
    records = client.history.list(ref.dataset, limit=limit)
    current = client.history.current(ref.dataset)
    lock = client.history.lock(ref.dataset)
    if as_json:
        payload = {
            "dataset": ref.dataset,
            "serving": current.model_dump(mode="json") if current else None,
            "in_progress": lock.model_dump(mode="json") if lock else None,
            "deployments": [r.model_dump(mode="json") for r in records],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    if current:
        since = f"{current.since:%Y-%m-%d %H:%M:%S}"
        console.print(Text(f"serving v{current.model_version} ({current.endpoint_config_name}) since {since}"))
    else:
        console.print(Text(f"{ref.dataset}: nothing serves yet"))
    console.print(_history_table(ref.dataset, records))


def _history_table(dataset: str, records: list[DeploymentRecord]) -> Table:
    table = Table(title=f"deployments of {dataset}, newest first")
    for column in ("started", "deployment", "version", "strategy", "trigger", "status", "reason"):
        table.add_column(column, overflow="fold")
    for r in records:
        previous = f" (from v{r.previous_model_version})" if r.previous_model_version else ""
        table.add_row(
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            Text(r.deployment_id),
            f"v{r.model_version}{previous}",
            r.strategy,
            Text(f"{r.trigger} by {r.triggered_by}"),
            Text(r.status, style=_STYLE.get(r.status, "")),
            Text(r.reason or ""),
        )
    return table


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("history")(history)
    app.command("rollback")(rollback)
