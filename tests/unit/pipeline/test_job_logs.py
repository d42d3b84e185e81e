"""Which jobs an execution ran (from its history) and how a local job's lines become log events."""

import json
from datetime import UTC, datetime
from typing import Any

from mlops.local.job_logs import MAX_BATCH_BYTES, MAX_EVENTS, batches
from mlops.pipeline.job_logs import jobs_from_history, stream_name

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def entered(name: str) -> dict[str, object]:
    return {"type": "TaskStateEntered", "timestamp": T0, "stateEnteredEventDetails": {"name": name}}


def scheduled(resource: str, parameters: dict[str, object], resource_type: str = "sagemaker") -> dict[str, object]:
    details = {"resource": resource, "resourceType": resource_type, "parameters": json.dumps(parameters)}
    return {"type": "TaskScheduled", "timestamp": T0, "taskScheduledEventDetails": details}


def test_every_attempt_of_every_sagemaker_job_is_found_with_its_state() -> None:
    history = [
        entered("ResolveDataVersion"),
        scheduled("invoke", {"FunctionName": "f"}, "lambda"),
        entered("Train"),
        scheduled("createTrainingJob.sync", {"TrainingJobName": "p-run-t0"}),
        {"type": "TaskFailed", "timestamp": T0, "taskFailedEventDetails": {"error": "SageMaker.X"}},
        scheduled("createTrainingJob.sync", {"TrainingJobName": "p-run-t1"}),  # the retry: its own job
        entered("Evaluate"),
        scheduled("createProcessingJob.sync", {"ProcessingJobName": "p-run-e0"}),
        entered("RecordRegistered"),
    ]
    found = [(j.state, j.kind, j.job_name, j.log_group) for j in jobs_from_history(history)]
    assert found == [
        ("Train", "training", "p-run-t0", "/aws/sagemaker/TrainingJobs"),
        ("Train", "training", "p-run-t1", "/aws/sagemaker/TrainingJobs"),
        ("Evaluate", "processing", "p-run-e0", "/aws/sagemaker/ProcessingJobs"),
    ]


def test_other_tasks_and_unreadable_parameters_are_skipped() -> None:
    history: list[dict[str, Any]] = [
        entered("Other"),
        scheduled("createModel", {"ModelName": "m"}),
        scheduled("createTrainingJob", {}),
        {
            "type": "TaskScheduled",
            "taskScheduledEventDetails": {
                "resource": "createTrainingJob",
                "resourceType": "sagemaker",
                "parameters": "{",
            },
        },
    ]
    assert jobs_from_history(history) == []


def test_streams_are_named_like_sagemakers() -> None:
    assert stream_name("p-run-t0", T0) == f"p-run-t0/algo-1-{int(T0.timestamp())}"


def test_batches_keep_to_the_put_log_events_limits_in_time_order() -> None:
    lines = [(1000 + i, f"line {i}") for i in range(MAX_EVENTS + 5)][::-1]
    split = batches([*lines, (5, ""), (6, "   ")])
    assert [len(b) for b in split] == [MAX_EVENTS, 5]
    stamps = [e["timestamp"] for b in split for e in b]
    assert stamps == sorted(stamps) and 5 not in stamps and 6 not in stamps  # blank lines dropped

    big = [(i, "x" * 200_000) for i in range(12)]
    sized = batches(big)
    assert all(sum(len(e["message"]) + 26 for e in b) <= MAX_BATCH_BYTES for b in sized)
    assert sum(len(b) for b in sized) == 12

    [[huge]] = batches([(1, "é" * 300_000)])
    assert len(huge["message"].encode()) <= 256 * 1024 - 26
