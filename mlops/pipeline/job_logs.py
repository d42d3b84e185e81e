"""The logs of a training execution's SageMaker jobs, where SageMaker writes them.

SageMaker sends a job's stdout and stderr to CloudWatch Logs: training jobs to the group
`/aws/sagemaker/TrainingJobs`, processing jobs to `/aws/sagemaker/ProcessingJobs`, one stream
per instance named `<job name>/algo-<n>-<epoch seconds>`. The local cloud writes them the same
way (mlops/local/job_logs.py), so `mlops pipeline logs` reads both alike.

Which jobs an execution ran comes from its history (`jobs_from_history`, pure): every
`TaskScheduled` event of a SageMaker create-job task names its job in the resolved parameters,
so retried attempts (each with its own job) are all found, and a running execution's jobs too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

JobKind = Literal["training", "processing"]
LOG_GROUPS: dict[JobKind, str] = {
    "training": "/aws/sagemaker/TrainingJobs",
    "processing": "/aws/sagemaker/ProcessingJobs",
}
#: Step Functions resource (the API action, lower-cased, without `.sync`) -> (kind, job name parameter)
_ACTIONS: dict[str, tuple[JobKind, str]] = {
    "createtrainingjob": ("training", "TrainingJobName"),
    "createprocessingjob": ("processing", "ProcessingJobName"),
}


def stream_name(job_name: str, started: datetime, host: int = 1) -> str:
    """The stream SageMaker names for one instance of a job."""
    return f"{job_name}/algo-{host}-{int(started.timestamp())}"


class JobRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: str
    kind: JobKind
    job_name: str

    @property
    def log_group(self) -> str:
        return LOG_GROUPS[self.kind]


class LogLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    timestamp: datetime
    message: str


class StreamLog(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    events: list[LogLine]


class JobLog(BaseModel):
    """`mlops pipeline logs --json`: one per job the execution started."""

    model_config = ConfigDict(frozen=True)

    state: str
    kind: JobKind
    job_name: str
    log_group: str
    #: empty when the job wrote nothing (yet), or never started
    streams: list[StreamLog]


def jobs_from_history(events: Iterable[Mapping[str, Any]]) -> list[JobRef]:
    """The SageMaker jobs an execution started, in order, with the state that started each."""
    found: list[JobRef] = []
    state = "?"
    for event in events:
        kind = str(event.get("type", ""))
        if kind.endswith("StateEntered"):
            state = str((event.get("stateEnteredEventDetails") or {}).get("name", "?"))
            continue
        if kind != "TaskScheduled":
            continue
        details = event.get("taskScheduledEventDetails") or {}
        action = str(details.get("resource", "")).split(".", 1)[0].lower()
        if details.get("resourceType") != "sagemaker" or action not in _ACTIONS:
            continue
        job_kind, name_key = _ACTIONS[action]
        try:
            parameters = json.loads(str(details.get("parameters") or "{}"))
        except ValueError:
            continue
        name = parameters.get(name_key) if isinstance(parameters, dict) else None
        if isinstance(name, str) and name:
            found.append(JobRef(state=state, kind=job_kind, job_name=name))
    return found


class JobLogs:
    """Reads job log streams from CloudWatch Logs (boto3 `logs` client)."""

    def __init__(self, client: Any) -> None:
        self._logs = client

    def streams(self, group: str, job_name: str) -> list[str]:
        names: list[str] = []
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamNamePrefix": f"{job_name}/"}
        while True:
            try:
                page = self._logs.describe_log_streams(**kwargs)
            except ClientError as exc:
                if exc.response["Error"].get("Code") == "ResourceNotFoundException":
                    return names  # no job has logged to this group yet
                raise
            names.extend(str(s["logStreamName"]) for s in page.get("logStreams", []))
            if not page.get("nextToken"):
                return sorted(names)
            kwargs["nextToken"] = page["nextToken"]

    def events(self, group: str, stream: str) -> list[LogLine]:
        lines: list[LogLine] = []
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        while True:
            page = self._logs.get_log_events(**kwargs)
            for event in page.get("events", []):
                stamp = datetime.fromtimestamp(int(event["timestamp"]) / 1000, tz=UTC)
                lines.append(LogLine(timestamp=stamp, message=str(event["message"])))
            token = page.get("nextForwardToken")
            # the forward token repeats once the end of the stream is reached
            if not page.get("events") or not token or token == kwargs.get("nextToken"):
                return lines
            kwargs["nextToken"] = token

    def of(self, job: JobRef) -> JobLog:
        streams = [
            StreamLog(name=s, events=self.events(job.log_group, s)) for s in self.streams(job.log_group, job.job_name)
        ]
        return JobLog(state=job.state, kind=job.kind, job_name=job.job_name, log_group=job.log_group, streams=streams)

    def of_execution(self, history: Iterable[Mapping[str, Any]]) -> list[JobLog]:
        return [self.of(job) for job in jobs_from_history(history)]
