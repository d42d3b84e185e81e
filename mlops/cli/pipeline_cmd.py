"""`mlops pipeline run | status | runs | logs`: training executions on AWS or the local cloud."""

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
from mlops.config import MetricDirection, ProjectConfig
from mlops.errors import ConfigError, ConfigProblem
from mlops.pipeline.executions import Executions, RunResult, StepView, execution_name, parse_overrides, timeline
from mlops.pipeline.job_logs import JobLogs
from mlops.pipeline.records import RunRecord, RunRecords

app = typer.Typer(help="Training pipeline: start runs, follow them, compare them.", no_args_is_help=True)
console = Console()

_STATUS_STYLE = {"running": "yellow", "succeeded": "green", "failed": "red", "caught": "red"}


def _executions(aws: Aws) -> Executions:
    arn = f"arn:aws:states:{aws.config.settings.region}:{aws.account}:stateMachine:"
    arn += names.training_state_machine(aws.config)
    return Executions(aws.client("stepfunctions"), _records(aws), arn)


def _records(aws: Aws) -> RunRecords:
    return RunRecords(aws.client("dynamodb"), names.registry_table(aws.config))


def _known_dataset(config: ProjectConfig, dataset: str) -> None:
    if dataset not in config.datasets:
        known = ", ".join(sorted(config.datasets))
        raise ConfigError([ConfigProblem("--dataset", f"no dataset {dataset!r} in the config (known: {known})")])


def steps_table(steps: list[StepView], title: str) -> Table:
    table = Table("state", "type", "status", "seconds", "attempts", "error", title=title)
    for step in steps:
        seconds = step.seconds
        table.add_row(
            step.name,
            step.type,
            Text(step.status, style=_STATUS_STYLE.get(step.status, "")),
            "" if seconds is None else f"{seconds:.1f}",
            str(step.attempts) if step.attempts > 1 else "",
            step.error or "",
        )
    return table


def _summary(result: RunResult, *, local: bool = False) -> Group:
    lines: list[Any] = []
    style = {"registered": "green", "rejected": "yellow", "failed": "red"}.get(result.outcome or "", "")
    lines.append(Text.assemble("execution ", (result.status, "bold"), "  outcome ", (result.outcome or "-", style)))
    if result.data_version:
        lines.append(Text(f"data version {result.data_version}"))
    if result.metrics:
        lines.append(Text("metrics " + "  ".join(f"{k}={v:.4f}" for k, v in sorted(result.metrics.items()))))
    if result.gate.get("reason"):
        lines.append(Text(f"gate: {result.gate['reason']}"))
    if result.model_package_arn:
        lines.append(Text(f"model package {result.model_package_arn} ({result.approval_status})"))
    lines.extend(cost_lines(result.record, local=local))
    if result.error:
        lines.append(Text(f"{result.error}: {result.cause or ''}", style="red"))
    return Group(*lines)


def cost_lines(record: RunRecord | None, *, local: bool) -> list[Text]:
    """The run's estimated cost: training plus evaluation, spot savings, and what is not known."""
    if record is None or record.cost_usd is None:
        return [Text(f"not priced: {why}", style="yellow") for why in (record.cost_unpriced if record else [])]
    parts = []
    if record.cost:
        parts.append(f"training {record.cost.actual_usd:.4f}")
    if record.evaluation_cost:
        parts.append(f"evaluation {record.evaluation_cost.actual_usd:.4f}")
    lines = [Text(f"cost ~${record.cost_usd:.4f} at list price ({', '.join(parts)})")]
    if record.spot and local:
        # the local cloud bills every second a job runs: managed spot is not simulated
        lines.append(Text("spot savings: not known locally (the local cloud does not simulate managed spot)"))
    elif record.spot and record.cost and record.spot_savings_usd is not None:
        lines.append(Text(f"spot savings ${record.spot_savings_usd:.4f} (on demand ${record.cost.on_demand_usd:.4f})"))
    lines.extend(Text(f"not priced: {why}", style="yellow") for why in record.cost_unpriced)
    return lines


def _exit_code(result: RunResult) -> int:
    return 0 if result.outcome == "registered" else 1


@app.command()
def run(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name from the config.")],
    data_version: Annotated[str, typer.Option("--data-version", help="vN, a version id prefix, or latest.")] = "latest",
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Hyperparameter override key=value (repeatable).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Execution name (default: generated).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the run to its end.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait.")] = 4 * 3600,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Start a training run. With --wait: a live view of its states, then its result
    (exit 0 when a model was registered, 1 when it was rejected or the run failed)."""
    aws = connect(ctx.obj)
    _known_dataset(aws.config, dataset)
    hyperparameters = parse_overrides(overrides or [])
    executions = _executions(aws)
    request: dict[str, Any] = {"dataset": dataset, "data_version": data_version}
    if hyperparameters:
        request["hyperparameters"] = hyperparameters
    arn = executions.start(name or execution_name(dataset), request)
    if not wait:
        if as_json:
            typer.echo(json.dumps({"execution_arn": arn, "status": "RUNNING"}, indent=2))
        else:
            console.print(f"started {arn}")
            console.print(f"follow it with: mlops pipeline status {arn.rsplit(':', 1)[-1]}")
        return
    if as_json:
        described = executions.wait(arn, timeout=timeout)
    else:
        with Live(steps_table([], arn.rsplit(":", 1)[-1]), console=console, refresh_per_second=4) as live:
            described = executions.wait(
                arn, timeout=timeout, on_progress=lambda steps: live.update(steps_table(steps, arn.rsplit(":", 1)[-1]))
            )
    result = executions.result(described)
    _print_result(result, as_json, local=aws.local)
    raise typer.Exit(_exit_code(result))


def _print_result(result: RunResult, as_json: bool, *, local: bool = False) -> None:
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        console.print()
        console.print(_summary(result, local=local))


@app.command()
def status(
    ctx: typer.Context,
    execution: Annotated[str, typer.Argument(help="Execution name or ARN.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A run's states so far and, once it ended, its result."""
    aws = connect(ctx.obj)
    executions = _executions(aws)
    arn = executions.arn(execution)
    described = executions.describe(arn)
    steps = timeline(executions.history(arn))
    result = executions.result(described)
    if as_json:
        payload = json.loads(result.model_dump_json()) | {"states": [json.loads(s.model_dump_json()) for s in steps]}
        typer.echo(json.dumps(payload, indent=2))
        return
    console.print(steps_table(steps, arn.rsplit(":", 1)[-1]))
    console.print(_summary(result, local=aws.local))


def leaderboard(records: list[RunRecord], config: ProjectConfig) -> list[RunRecord]:
    """Best first by the gate's metric (in its direction); runs without it (failed) last, newest first."""
    metric, maximize = config.quality_gate.metric, config.quality_gate.direction is MetricDirection.MAXIMIZE
    scored = [r for r in records if metric in r.metrics]
    unscored = [r for r in records if metric not in r.metrics]
    scored.sort(key=lambda r: (-r.metrics[metric] if maximize else r.metrics[metric], -r.started_at.timestamp()))
    unscored.sort(key=lambda r: r.started_at, reverse=True)
    return scored + unscored


@app.command()
def runs(
    ctx: typer.Context,
    dataset: Annotated[str | None, typer.Option("--dataset", "-d", help="One dataset (default: all).")] = None,
    limit: Annotated[int, typer.Option(help="Newest runs considered per dataset.")] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Leaderboard of recorded runs: best by the gate's metric first, failed runs last."""
    aws = connect(ctx.obj)
    datasets = [dataset] if dataset else sorted(aws.config.datasets)
    if dataset:
        _known_dataset(aws.config, dataset)
    store = _records(aws)
    records = leaderboard([r for d in datasets for r in store.list(d, limit=limit)], aws.config)
    if as_json:
        typer.echo(json.dumps([json.loads(r.model_dump_json()) for r in records], indent=2))
        return
    metric = aws.config.quality_gate.metric
    table = Table(title=f"training runs, best {metric} first ({aws.config.quality_gate.direction.value})")
    table.add_column("#", justify="right")
    table.add_column("execution", overflow="fold")
    table.add_column("data")
    table.add_column("outcome")
    table.add_column(metric, justify="right")
    table.add_column("gate / error", max_width=60, overflow="ellipsis")
    table.add_column("billable s", justify="right")
    table.add_column("cost $", justify="right")
    for rank, r in enumerate(records, 1):
        style = {"registered": "green", "rejected": "yellow", "failed": "red"}[r.outcome]
        table.add_row(
            str(rank),
            r.execution_name,
            f"{r.dataset}@{r.data_version}" if r.data_version else r.dataset,
            Text(r.outcome, style=style),
            f"{r.metrics[metric]:.4f}" if metric in r.metrics else "",
            (r.gate.reason or "") if r.outcome != "failed" else f"{r.error}: {r.cause or ''}",
            "" if r.billable_seconds is None else str(r.billable_seconds),
            "" if r.cost_usd is None else f"{r.cost_usd:.4f}",
        )
    console.print(table)


@app.command()
def logs(
    ctx: typer.Context,
    execution: Annotated[str, typer.Argument(help="Execution name or ARN.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The CloudWatch logs of every SageMaker job a run started (training, evaluation, each retry),
    read where SageMaker writes them (/aws/sagemaker/TrainingJobs, /aws/sagemaker/ProcessingJobs)."""
    aws = connect(ctx.obj)
    executions = _executions(aws)
    arn = executions.arn(execution)
    described = executions.describe(arn)
    jobs = JobLogs(aws.client("logs")).of_execution(executions.history(arn))
    if as_json:
        listed = [job.model_dump(mode="json") for job in jobs]
        payload = {"execution_arn": arn, "status": described["status"], "jobs": listed}
        typer.echo(json.dumps(payload, indent=2))
        return
    name = arn.rsplit(":", 1)[-1]
    if not jobs:
        console.print(Text(f"{name} ({described['status']}) has started no SageMaker job"))
        return
    for job in jobs:
        # Text, not markup: job names and log lines are not ours to interpret
        console.print(Text(f"== {job.state}: {job.kind} job {job.job_name} ({job.log_group})", style="bold"))
        if not job.streams:
            console.print(Text("   no log stream: the job has written nothing yet, or never started", style="yellow"))
        for stream in job.streams:
            console.print(Text(f"-- {stream.name}", style="dim"))
            for line in stream.events:
                typer.echo(f"{line.timestamp.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z {line.message}")
