"""Batch inference over a data version: which SageMaker transform jobs run, and the record of
which model and data version produced the predictions.

A data version's objects are read where training reads them, their content-addressed keys
(`objects/<dataset>/<sha256><suffix>`), through one SageMaker manifest per format, and every
job writes under one prefix, `batch/<dataset>/<batch id>/predictions/` (mlops/layout.py):
SageMaker names each output after its input relative to the manifest's prefix, so
`<sha256>.csv` gives `predictions/<sha256>.csv.out`, one prediction line per data row, in order.

One transform job per format present in the version (a job has one content type, split and
compression):

  part      content type            split  compression  batching
  csv       text/csv                Line   None         MultiRecord, at most 6 MB a request
  csv-gz    text/csv                Line   Gzip         the same, after SageMaker decompresses
  parquet   application/x-parquet   None   None         SingleRecord: one object a request (<= 100 MB)

The header row and the target/row-key columns are handled by the inference code
(training/inference.py), not by `DataProcessing`: an `InputFilter` selects columns by position
(and is capped at 63 characters), `JoinSource` needs one output per input line, which the header
line cannot give. Split by line, only the first request of an object holds its header; the job's
environment names the version's column layout (`MLOPS_INPUT_COLUMNS`, read from the objects'
headers, which must agree), so every later request's rows are named by it, and the model picks
its features by name, whatever the column order and whichever other columns there are.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops.errors import MlopsError
from mlops.layout import suffix_of

PartName = Literal["csv", "csv-gz", "parquet"]
BatchStatus = Literal["succeeded", "failed"]
#: the environment variable training/inference.py reads the input layout from
INPUT_COLUMNS_ENV = "MLOPS_INPUT_COLUMNS"
#: SageMaker's cap on one environment value
ENVIRONMENT_VALUE_LIMIT = 10240
#: what the transform jobs answer: one probability a line
ACCEPT = "text/csv"
JOB_NAME_LIMIT = 63
#: room the state machine needs for `-r<retry count>`
_RETRY_SUFFIX = len("-r99")


class BatchInputError(MlopsError):
    """The data version cannot be fed to a transform job as it is."""

    error_name = "Mlops.BatchInputInvalid"
    exit_code = 2


class ModelVersionNotFoundError(MlopsError):
    error_name = "Mlops.ModelVersionNotFound"
    exit_code = 2


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PartFormat(_Model):
    content_type: str
    split_type: Literal["Line", "None"]
    compression_type: Literal["None", "Gzip"]
    batch_strategy: Literal["MultiRecord", "SingleRecord"]
    max_payload_mb: int = Field(ge=1, le=100)


FORMATS: dict[PartName, PartFormat] = {
    "csv": PartFormat(
        content_type="text/csv",
        split_type="Line",
        compression_type="None",
        batch_strategy="MultiRecord",
        max_payload_mb=6,
    ),
    "csv-gz": PartFormat(
        content_type="text/csv",
        split_type="Line",
        compression_type="Gzip",
        batch_strategy="MultiRecord",
        max_payload_mb=6,
    ),
    "parquet": PartFormat(
        content_type="application/x-parquet",
        split_type="None",
        compression_type="None",
        batch_strategy="SingleRecord",
        max_payload_mb=100,
    ),
}
_PART_OF_SUFFIX: dict[str, PartName] = {".csv": "csv", ".csv.gz": "csv-gz", ".parquet": "parquet"}


class BatchRequest(_Model):
    dataset: str
    data_version: str = "latest"
    #: the model package version of the dataset's group; None: the newest approved one
    model_version: int | None = Field(default=None, ge=1)


class InputObject(_Model):
    key: str
    sha256: str
    rows: int
    bytes: int


class TransformPart(PartFormat):
    name: PartName
    #: the state machine appends `-r<retry count>`
    job_name: str
    manifest_uri: str
    objects: list[InputObject]

    @property
    def rows(self) -> int:
        return sum(o.rows for o in self.objects)


class BatchPlan(_Model):
    batch_id: str
    dataset: str
    data_version: str
    data_version_id: str
    data_manifest_uri: str
    model_version: int
    model_package_arn: str
    model_name: str
    #: False when the SageMaker Model of this version existed already (a deployment made it)
    model_created: bool
    #: the prefix of every manifest (`s3://<data lake>/objects/<dataset>/`)
    input_prefix: str
    output_uri: str
    record_uri: str
    environment: dict[str, str]
    parts: list[TransformPart]


def part_of(key: str) -> PartName:
    suffix = suffix_of(key)
    if suffix not in _PART_OF_SUFFIX:
        raise BatchInputError(f"{key}: no transform job reads {suffix or 'suffix-less'} objects")
    return _PART_OF_SUFFIX[suffix]


def group_objects(objects: Sequence[InputObject]) -> dict[PartName, list[InputObject]]:
    """The version's objects by the transform job that reads them, each list sorted by key."""
    if not objects:
        raise BatchInputError("the data version lists no objects")
    groups: dict[PartName, list[InputObject]] = {}
    for item in sorted(objects, key=lambda o: o.key):
        groups.setdefault(part_of(item.key), []).append(item)
    return {name: groups[name] for name in FORMATS if name in groups}


def transform_job_name(prefix: str, batch_id: str, part: PartName) -> str:
    """`<prefix>-<readable batch id>-<digest>-<part>`: IAM scopes transform jobs on the prefix;
    the digest of the whole batch id keeps two batches apart whatever the shortening cut."""
    digest = hashlib.sha256(batch_id.encode()).hexdigest()[:8]
    tail = f"{digest}-{part}"
    room = JOB_NAME_LIMIT - _RETRY_SUFFIX - len(prefix) - len(tail) - 2
    readable = re.sub(r"[^a-zA-Z0-9]+", "-", batch_id).strip("-")[: max(room, 0)].strip("-")
    return "-".join(p for p in (prefix, readable, tail) if p)


def input_layout(headers: Mapping[str, list[str]]) -> list[str]:
    """The one column layout of the version's CSV objects (key -> header cells); a version whose
    objects disagree cannot be named by one environment and is refused, naming two of them."""
    layouts: dict[tuple[str, ...], str] = {}
    for key, header in sorted(headers.items()):
        layouts.setdefault(tuple(header), key)
    if len(layouts) > 1:
        (a, key_a), (b, key_b) = list(layouts.items())[:2]
        raise BatchInputError(
            f"the CSV objects of this data version have different column layouts ({key_a}: {len(a)} columns "
            f"starting {list(a[:3])}, {key_b}: {len(b)} columns starting {list(b[:3])}); a transform job "
            "reads one layout"
        )
    [layout] = layouts or {(): ""}
    return list(layout)


def job_environment(layout: list[str]) -> dict[str, str]:
    if not layout:
        return {}
    value = json.dumps(layout, separators=(",", ":"))
    if len(value) > ENVIRONMENT_VALUE_LIMIT:
        raise BatchInputError(
            f"the column layout takes {len(value)} characters, over SageMaker's {ENVIRONMENT_VALUE_LIMIT} for one "
            "environment value"
        )
    return {INPUT_COLUMNS_ENV: value}


def sagemaker_manifest(input_prefix: str, objects: Sequence[InputObject]) -> list[Any]:
    """`[{"prefix": ...}, relative, ...]`: outputs are named by the relative keys."""
    return [{"prefix": input_prefix}, *(_relative(input_prefix, item.key) for item in objects)]


def _relative(input_prefix: str, key: str) -> str:
    _, _, prefix_key = input_prefix.removeprefix("s3://").partition("/")
    if not key.startswith(prefix_key):
        raise BatchInputError(f"{key} is not under the manifest prefix {input_prefix}")
    return key[len(prefix_key) :]


def prediction_uri(plan: BatchPlan, item: InputObject) -> str:
    return f"{plan.output_uri}{_relative(plan.input_prefix, item.key)}.out"


# --------------------------------------------------------------------------------------------
# The record


class TransformJobResult(BaseModel):
    """What the state machine keeps of one job's Describe output."""

    model_config = ConfigDict(frozen=True)

    job_name: str
    status: str
    started_at: datetime | None = None
    ended_at: datetime | None = None


class BatchOutput(_Model):
    input_uri: str
    output_uri: str
    rows: int
    #: found under the output prefix when the batch was recorded
    written: bool


class BatchRecord(_Model):
    """`batch/<dataset>/<batch id>/record.json`: which model and data version produced what."""

    batch_id: str
    execution_arn: str
    dataset: str
    status: BatchStatus
    started_at: datetime
    finished_at: datetime
    data_version: str | None = None
    data_version_id: str | None = None
    data_manifest_uri: str | None = None
    model_version: int | None = None
    model_package_arn: str | None = None
    model_name: str | None = None
    output_uri: str | None = None
    rows: int = 0
    outputs: list[BatchOutput] = Field(default_factory=list)
    jobs: list[TransformJobResult] = Field(default_factory=list)
    error: str | None = None
    cause: str | None = None
    #: SageMaker's FailureReason of a failed transform job
    failure_reason: str | None = None


class RecordRequest(BaseModel):
    """The record step's input: the execution's state on the success path or after a Catch."""

    model_config = ConfigDict(frozen=True)

    outcome: BatchStatus
    #: the execution's input (a `BatchRequest`) with what the steps added: `plan`, `jobs`, `failure`
    state: dict[str, Any]
    execution_id: str
    execution_name: str
    started_at: datetime


def _failure_reason(cause: str | None) -> str | None:
    """A failed `.sync` job's cause is its Describe output as JSON."""
    if not cause:
        return None
    try:
        described = json.loads(cause)
    except ValueError:
        return None
    reason = described.get("FailureReason") if isinstance(described, dict) else None
    return str(reason) if reason else None


def _failure_fields(error: str, cause: str | None) -> dict[str, Any]:
    """A failed transform job's `.sync` error is `States.TaskFailed` with its Describe output as
    cause: recorded as `Mlops.TransformJobFailed` with SageMaker's FailureReason as the cause (a
    Fail state may not raise a reserved `States.*` name, and the reason is what one acts on).
    Other `States.*` errors keep their name at the head of the cause."""
    reason = _failure_reason(cause)
    if not error.startswith("States."):
        return {"error": error, "cause": cause or "", "failure_reason": reason}
    if reason:
        return {"error": "Mlops.TransformJobFailed", "cause": reason, "failure_reason": reason}
    return {"error": "Mlops.BatchFailed", "cause": f"{error}: {cause or ''}", "failure_reason": None}


def build_record(request: RecordRequest, written: set[str], finished_at: datetime) -> BatchRecord:
    """The record of a batch from the execution's state; `written`: the output URIs that exist."""
    state = request.state
    # the execution's input is the request; the steps add `plan`, `jobs`, `failure` beside it
    asked = BatchRequest.model_validate({k: state[k] for k in BatchRequest.model_fields if k in state})
    plan = BatchPlan.model_validate(state["plan"]) if state.get("plan") else None
    jobs = [TransformJobResult.model_validate(j) for j in state.get("jobs") or []]
    failure = state.get("failure") or {}
    fields: dict[str, Any] = {
        "batch_id": request.execution_name,
        "execution_arn": request.execution_id,
        "dataset": asked.dataset,
        "status": request.outcome,
        "started_at": request.started_at,
        "finished_at": finished_at,
        "jobs": jobs,
        "data_version": asked.data_version,
        "model_version": asked.model_version,
    }
    if request.outcome == "failed":
        fields |= _failure_fields(str(failure.get("Error") or "Mlops.Unknown"), failure.get("Cause"))
    if plan is not None:
        outputs = [
            BatchOutput(
                input_uri=f"{plan.input_prefix}{_relative(plan.input_prefix, item.key)}",
                output_uri=prediction_uri(plan, item),
                rows=item.rows,
                written=prediction_uri(plan, item) in written,
            )
            for part in plan.parts
            for item in part.objects
        ]
        fields |= {
            "data_version": plan.data_version,
            "data_version_id": plan.data_version_id,
            "data_manifest_uri": plan.data_manifest_uri,
            "model_version": plan.model_version,
            "model_package_arn": plan.model_package_arn,
            "model_name": plan.model_name,
            "output_uri": plan.output_uri,
            "rows": sum(part.rows for part in plan.parts),
            "outputs": outputs,
        }
    return BatchRecord.model_validate(fields)
