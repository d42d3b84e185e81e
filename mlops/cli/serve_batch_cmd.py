"""`mlops serve batch`: a model version over a data version, on AWS or the local cloud.

Starts the batch inference state machine (stacks/constructs/batch_inference.py); with --wait,
follows it and prints its record (`batch/<dataset>/<batch id>/record.json`). Exit 0 when the
batch succeeded, 1 when it failed, 2 for bad arguments, 3 when the workflow is not deployed.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mlops import names
from mlops.adapters.s3 import ObjectStore, ObjectUnavailableError
from mlops.cli.aws import Aws, connect
from mlops.cli.context import require_dataset
from mlops.errors import ConfigProblem, MlopsError, UsageError
from mlops.layout import batch_record_key, s3_uri
from mlops.registry.data_versions import DataVersionNotFoundError, DataVersionRegistry
from mlops.serving.batch import BatchRecord, BatchRequest, ModelVersionNotFoundError
from mlops.serving.batch_adapters import BatchRecords, ModelPackages

console = Console()
POLL_SECONDS = 1.0
_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class BatchNotDeployedError(MlopsError):
    error_name = "Mlops.BatchNotDeployed"
    exit_code = 3


class BatchWaitTimeoutError(MlopsError):
    error_name = "Mlops.BatchWaitTimeout"
    exit_code = 4


def register(group: typer.Typer) -> None:
    group.command("batch")(batch)


def parse_dataset_ref(ref: str) -> tuple[str, str]:
    """`NAME@vN` (or a version id prefix, or `latest`); `NAME` alone is the latest version."""
    dataset, _, version = ref.partition("@")
    if not dataset or ref.count("@") > 1:
        raise UsageError([ConfigProblem("--dataset", f"{ref!r} is not NAME[@VERSION], e.g. breast-cancer@v3")])
    return dataset, version or "latest"


def batch_id(dataset: str, version: str, now: datetime, suffix: str) -> str:
    """An execution name (<= 80 of [A-Za-z0-9_-]) that reads as what it is."""
    readable = _NAME.sub("-", f"{dataset}-{version}")[:50].strip("-")
    return f"{readable}-{now:%Y%m%dT%H%M%SZ}-{suffix}"


def _state_machine_arn(aws: Aws) -> str:
    region = aws.config.settings.region
    return f"arn:aws:states:{region}:{aws.account}:stateMachine:{names.batch_state_machine(aws.config)}"


def _preflight(aws: Aws, request: BatchRequest) -> None:
    """Every argument problem before anything starts: the data version and the model version exist."""
    problems = []
    try:
        DataVersionRegistry(aws.client("dynamodb"), names.registry_table(aws.config)).resolve(
            request.dataset, request.data_version
        )
    except DataVersionNotFoundError as exc:
        problems.append(ConfigProblem("--dataset", f"{exc} (list them: mlops data versions {request.dataset})"))
    try:
        ModelPackages(aws.client("sagemaker")).find(
            names.model_package_group(aws.config, request.dataset), request.model_version
        )
    except ModelVersionNotFoundError as exc:
        problems.append(ConfigProblem("--model", str(exc)))
    except ClientError as exc:
        problems.append(ConfigProblem("--model", f"cannot read the model registry: {exc}"))
    if problems:
        raise UsageError(problems)


def _wait(aws: Aws, arn: str, timeout: float) -> dict[str, Any]:
    sfn = aws.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() >= deadline:
            raise BatchWaitTimeoutError(f"{arn} still runs after {timeout:.0f} s; it goes on")
        time.sleep(POLL_SECONDS)


def _record(aws: Aws, described: dict[str, Any], dataset: str, name: str) -> BatchRecord:
    """The execution's output on success; the record in S3 after a failure (a Fail state has no output)."""
    if described["status"] == "SUCCEEDED":
        return BatchRecord.model_validate_json(described["output"])
    store = BatchRecords(aws.client("s3"), ObjectStore(aws.client("s3")))
    try:
        return store.get(names.artifacts_bucket(aws.config, aws.account), dataset, name)
    except ObjectUnavailableError:  # not even the failure could be recorded: what Step Functions says
        stopped = described.get("stopDate") or datetime.now(UTC)
        return BatchRecord(
            batch_id=name,
            execution_arn=described["executionArn"],
            dataset=dataset,
            status="failed",
            started_at=described["startDate"],
            finished_at=stopped,
            error=described.get("error") or described["status"],
            cause=described.get("cause"),
        )


def record_table(record: BatchRecord) -> Table:
    table = Table(show_header=False, title=f"batch {record.batch_id}")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    style = "green" if record.status == "succeeded" else "red"
    table.add_row("status", Text(record.status, style=style))
    table.add_row(
        "data version", Text(f"{record.dataset}@{record.data_version} ({(record.data_version_id or '')[:12]})")
    )
    table.add_row("model", Text(f"v{record.model_version} {record.model_package_arn or ''}"))
    table.add_row("rows", str(record.rows))
    written = sum(o.written for o in record.outputs)
    table.add_row("outputs", f"{written} of {len(record.outputs)} written under {record.output_uri or '-'}")
    for job in record.jobs:
        table.add_row("job", Text(f"{job.job_name} {job.status}"))
    if record.error:
        table.add_row("error", Text(f"{record.error}: {record.cause or ''}", style="red"))
    return table


def batch(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="NAME@VERSION (vN, id prefix, latest).")],
    model: Annotated[
        int | None, typer.Option("--model", min=1, help="Model package version (default: newest approved).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Batch id / execution name (default: generated).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the batch to its end.")] = False,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait with --wait.")] = 4 * 3600,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Predict every row of a data version with a model version (SageMaker Batch Transform, the
    endpoint's inference code); predictions land beside a record of what produced them."""
    aws = connect(ctx.obj)
    dataset_name, version = parse_dataset_ref(dataset)
    require_dataset(aws.config, dataset_name)
    request = BatchRequest(dataset=dataset_name, data_version=version, model_version=model)
    machine = _state_machine_arn(aws)
    sfn = aws.client("stepfunctions")
    try:
        sfn.describe_state_machine(stateMachineArn=machine)
    except ClientError as exc:
        raise BatchNotDeployedError(f"no batch inference state machine {machine}: deploy the serving stack") from exc
    _preflight(aws, request)
    execution = name or batch_id(dataset_name, version, datetime.now(UTC), secrets.token_hex(2))
    arn = sfn.start_execution(
        stateMachineArn=machine, name=execution, input=request.model_dump_json(exclude_none=True)
    )["executionArn"]
    record_uri = s3_uri(names.artifacts_bucket(aws.config, aws.account), batch_record_key(dataset_name, execution))
    if not wait:
        started = {"execution_arn": arn, "batch_id": execution, "status": "RUNNING", "record_uri": record_uri}
        if as_json:
            typer.echo(json.dumps(started, indent=2))
        else:
            console.print(Text(f"started {arn}"), soft_wrap=True)
            console.print(Text(f"its record will be {record_uri}"), soft_wrap=True)
        return
    described = _wait(aws, arn, timeout)
    record = _record(aws, described, dataset_name, execution)
    if as_json:
        typer.echo(json.dumps(record.model_dump(mode="json") | {"record_uri": record_uri}, indent=2))
    else:
        console.print(record_table(record))
    raise typer.Exit(0 if record.status == "succeeded" else 1)
