"""`mlops pipeline run | status | runs | logs`: training executions on AWS or the local cloud."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError
from rich.console import Console, Group
from rich.live import Live
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from mlops import names
from mlops.cli.aws import Aws, connect
from mlops.cli.context import CliContext, dataset_problems, require_dataset
from mlops.config import DEFAULT_CONFIG_FILE, DEFAULT_ENVIRONMENT, ProjectConfig
from mlops.errors import ConfigProblem, UsageError
from mlops.pipeline.executions import (
    Executions,
    PipelineNotDeployedError,
    RunningRun,
    RunResult,
    StepView,
    execution_name,
    execution_name_problems,
    parse_overrides,
    timeline,
)
from mlops.pipeline.job_logs import JobLogs
from mlops.pipeline.leaderboard import leaderboard
from mlops.pipeline.records import RunRecord, RunRecords
from mlops.registry.data_versions import DataVersionNotFoundError, DataVersionRegistry

app = typer.Typer(help="Training pipeline: start runs, follow them, compare them.", no_args_is_help=True)
console = Console()

_STATUS_STYLE = {"running": "yellow", "succeeded": "green", "failed": "red", "caught": "red"}
_OUTCOME_STYLE = {"registered": "green", "rejected": "yellow", "failed": "red", "unchanged": "cyan", "running": "blue"}
#: the exit code of a command interrupted by Ctrl-C (128 + SIGINT)
INTERRUPTED = 130


def _executions(aws: Aws) -> Executions:
    arn = f"arn:aws:states:{aws.config.settings.region}:{aws.account}:stateMachine:"
    arn += names.training_state_machine(aws.config)
    return Executions(aws.client("stepfunctions"), _records(aws), arn)


def _records(aws: Aws) -> RunRecords:
    return RunRecords(aws.client("dynamodb"), names.registry_table(aws.config))


def _argument_problems(
    config: ProjectConfig, dataset: str, overrides: list[str], name: str | None
) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """(hyperparameter overrides, every problem with the arguments): all of them at once."""
    problems = dataset_problems(config, dataset)
    hyperparameters: dict[str, Any] = {}
    try:
        hyperparameters = parse_overrides(overrides)
    except UsageError as exc:
        problems += exc.problems
    if name is not None:
        problems += execution_name_problems(name)
    return hyperparameters, problems


def _check_data_version(aws: Aws, dataset: str, ref: str) -> None:
    """Pre-flight: the requested data version exists (else the execution would fail later)."""
    table = names.registry_table(aws.config)
    try:
        DataVersionRegistry(aws.client("dynamodb"), table).resolve(dataset, ref)
    except DataVersionNotFoundError as exc:
        hint = f"(list them: mlops data versions {dataset})"
        raise UsageError([ConfigProblem("--data-version", f"{exc} {hint}")]) from exc
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "ResourceNotFoundException":
            raise PipelineNotDeployedError(f"no registry table {table}: deploy the data stack first") from exc
        raise


def follow_command(cli: CliContext, execution: str) -> str:
    """The command that follows `execution` with the same config, environment and cloud."""
    parts = ["mlops"]
    if cli.local:
        parts.append("--local")
    if cli.config_path != Path(DEFAULT_CONFIG_FILE):
        parts += ["-f", str(cli.config_path)]
    if cli.environment != DEFAULT_ENVIRONMENT:
        parts += ["-e", cli.environment]
    return shlex.join([*parts, "pipeline", "status", execution])


def _result_payload(result: RunResult, steps: list[StepView]) -> dict[str, Any]:
    """`run --wait --json` and `status --json`: the result and the states, in one shape."""
    return dict(json.loads(result.model_dump_json())) | {"states": [json.loads(s.model_dump_json()) for s in steps]}


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
    style = _OUTCOME_STYLE.get(result.outcome or "", "")
    lines.append(Text.assemble("execution ", (result.status, "bold"), "  outcome ", (result.outcome or "-", style)))
    record = result.record
    if record is not None and record.outcome == "unchanged":
        lines.append(
            Text(
                f"unchanged: an identical run ({record.same_as_execution}) already registered this model; "
                "nothing was trained (--force trains anyway)"
            )
        )
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
    return 0 if result.outcome in {"registered", "unchanged"} else 1


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
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait with --wait.")] = 4 * 3600,
    force: Annotated[
        bool, typer.Option("--force", help="Train even when an identical run already registered a model.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Start a training run. With --wait: a live view of its states, then its result
    (exit 0 when a model was registered or an identical one already was, 1 when it was
    rejected or the run failed, 130 when interrupted: the run goes on)."""
    cli: CliContext = ctx.obj
    aws = connect(cli)
    # pre-flight, before StartExecution: every problem with the arguments, then what the cloud knows
    hyperparameters, problems = _argument_problems(aws.config, dataset, overrides or [], name)
    if problems:
        raise UsageError(problems)
    executions = _executions(aws)
    executions.ensure_deployed()
    _check_data_version(aws, dataset, data_version)
    request: dict[str, Any] = {"dataset": dataset, "data_version": data_version}
    if hyperparameters:
        request["hyperparameters"] = hyperparameters
    if force:
        request["force"] = True
    arn = executions.start(name or execution_name(dataset), request)
    run_name = arn.rsplit(":", 1)[-1]
    if not wait:
        if as_json:
            typer.echo(json.dumps({"execution_arn": arn, "status": "RUNNING"}, indent=2))
        else:
            # soft_wrap: an ARN or a command broken over two lines cannot be copied
            console.print(Text(f"started {arn}"), soft_wrap=True)
            console.print(Text(f"follow it with: {follow_command(cli, run_name)}"), soft_wrap=True)
        return
    try:
        if as_json:
            described = executions.wait(arn, timeout=timeout)
        else:
            with Live(steps_table([], run_name), console=console, refresh_per_second=4) as live:
                described = executions.wait(
                    arn, timeout=timeout, on_progress=lambda steps: live.update(steps_table(steps, run_name))
                )
    except KeyboardInterrupt:
        _interrupted(cli, arn, as_json)
        raise typer.Exit(INTERRUPTED) from None
    result = executions.result(described)
    if as_json:
        typer.echo(json.dumps(_result_payload(result, timeline(executions.history(arn))), indent=2))
    else:
        console.print()
        console.print(_summary(result, local=aws.local))
    raise typer.Exit(_exit_code(result))


def _interrupted(cli: CliContext, arn: str, as_json: bool) -> None:
    """Ctrl-C stops the waiting, not the run: say which execution goes on and how to follow it."""
    follow = follow_command(cli, arn.rsplit(":", 1)[-1])
    if as_json:
        payload = {"execution_arn": arn, "status": "RUNNING", "interrupted": True, "follow": follow}
        typer.echo(json.dumps(payload, indent=2))
    err = Console(stderr=True)
    err.print(Text(f"interrupted: stopped waiting; the execution goes on: {arn}"), soft_wrap=True)
    err.print(Text(f"follow it with: {follow}"), soft_wrap=True)


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
        typer.echo(json.dumps(_result_payload(result, steps), indent=2))
        return
    console.print(steps_table(steps, arn.rsplit(":", 1)[-1]))
    console.print(_summary(result, local=aws.local))


@app.command()
def runs(
    ctx: typer.Context,
    dataset: Annotated[str | None, typer.Option("--dataset", "-d", help="One dataset (default: all).")] = None,
    limit: Annotated[int, typer.Option(help="Newest runs considered per dataset.")] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Leaderboard of recorded runs (best by the gate's metric first, failed runs last), after
    the executions still running."""
    aws = connect(ctx.obj)
    datasets = [dataset] if dataset else sorted(aws.config.datasets)
    if dataset:
        require_dataset(aws.config, dataset)
    store = _records(aws)
    records = leaderboard([r for d in datasets for r in store.list(d, limit=limit)], aws.config)
    recorded = {r.execution_name for r in records}
    # a run is recorded in its last steps: until then only Step Functions knows it
    running = [r for r in _executions(aws).running(dataset) if r.execution_name not in recorded]
    if as_json:
        rows: list[RunningRun | RunRecord] = [*running, *records]
        typer.echo(json.dumps([json.loads(r.model_dump_json()) for r in rows], indent=2))
        return
    _print_wide(_runs_table(aws.config, running, records))


def _package_ref(arn: str | None) -> str:
    """`group@version` of a model package ARN (`...:model-package/<group>/<version>`)."""
    if not arn:
        return ""
    group, _, version = arn.split(":model-package/", 1)[-1].partition("/")
    return f"{group}@{version}" if version else group


def _hyperparameter_text(values: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(values.items()) if not k.startswith("sagemaker_"))


def _runs_table(config: ProjectConfig, running: list[RunningRun], records: list[RunRecord]) -> Table:
    metric = config.quality_gate.metric
    table = Table(title=f"training runs, best {metric} first ({config.quality_gate.direction.value})")
    table.add_column("#", justify="right")
    for column in ("execution", "data", "outcome"):
        table.add_column(column, overflow="fold")
    table.add_column(metric, justify="right")
    for column in ("model package", "hyperparameters", "gate / error"):
        table.add_column(column, overflow="fold")
    table.add_column("billable s", justify="right")
    table.add_column("cost $", justify="right")
    for run in running:
        data = f"{run.dataset}@{run.data_version}" if run.data_version else run.dataset
        table.add_row(
            "",
            Text(run.execution_name),
            Text(data),
            Text("running", style=_OUTCOME_STYLE["running"]),
            "",
            "",
            Text(_hyperparameter_text(run.hyperparameters)),
            Text(f"started {run.started_at:%Y-%m-%d %H:%M:%S}"),
            "",
            "",
        )
    for rank, r in enumerate(records, 1):
        if r.outcome == "failed":
            note = f"{r.error}: {r.cause or ''}"
        elif r.outcome == "unchanged":
            note = f"same as {r.same_as_execution}: nothing trained"
        else:
            note = r.gate.reason or ""
        table.add_row(
            str(rank),
            Text(r.execution_name),
            Text(f"{r.dataset}@{r.data_version}" if r.data_version else r.dataset),
            Text(r.outcome, style=_OUTCOME_STYLE[r.outcome]),
            f"{r.metrics[metric]:.4f}" if metric in r.metrics else "",
            Text(_package_ref(r.model_package_arn)),
            Text(_hyperparameter_text(r.hyperparameters)),
            Text(note),
            "" if r.billable_seconds is None else str(r.billable_seconds),
            "" if r.cost_usd is None else f"{r.cost_usd:.4f}",
        )
    return table


def _print_wide(table: Table) -> None:
    """On a terminal, columns fold to its width; elsewhere (a pipe, a file, CI logs) there is no
    width to fit, so the table gets all the width it needs instead of being cut at 80."""
    if console.is_terminal:
        console.print(table)
        return
    needed = Measurement.get(console, console.options.update(width=10_000), table).maximum
    # print(width=...) never exceeds the console's own width, so the table gets a console of its own
    Console(width=max(needed, console.width), file=console.file).print(table)


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
