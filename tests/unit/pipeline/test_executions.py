"""Following an execution: the state timeline from its history, overrides, names, leaderboard."""

from datetime import UTC, datetime, timedelta

import pytest

from mlops import config as config_module
from mlops.errors import UsageError
from mlops.pipeline.executions import execution_name, parse_overrides, timeline
from mlops.pipeline.leaderboard import leaderboard
from mlops.pipeline.records import GateSummary, RunRecord
from tests.unit.test_config import EXAMPLE

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def event(second: float, kind: str, **details: object) -> dict[str, object]:
    return {"timestamp": T0 + timedelta(seconds=second), "type": kind, **details}


def entered(second: float, kind: str, name: str) -> dict[str, object]:
    return event(second, f"{kind}StateEntered", stateEnteredEventDetails={"name": name})


def exited(second: float, kind: str, name: str) -> dict[str, object]:
    return event(second, f"{kind}StateExited", stateExitedEventDetails={"name": name})


def test_timeline_shows_retries_caught_failures_and_the_running_state() -> None:
    events = [
        event(0, "ExecutionStarted"),
        entered(0, "Task", "ResolveDataVersion"),
        event(0.1, "LambdaFunctionScheduled"),
        event(1, "LambdaFunctionSucceeded"),
        exited(1, "Task", "ResolveDataVersion"),
        entered(1, "Task", "Train"),
        event(1, "TaskScheduled"),
        event(2, "TaskFailed", taskFailedEventDetails={"error": "SageMaker.ResourceLimitExceededException"}),
        event(3, "TaskScheduled"),
        event(9, "TaskSucceeded"),
        exited(9, "Task", "Train"),
        entered(9, "Task", "Evaluate"),
        event(9, "TaskScheduled"),
        event(12, "TaskFailed", taskFailedEventDetails={"error": "States.TaskFailed"}),
        exited(12, "Task", "Evaluate"),
        entered(12, "Task", "RecordFailure"),
    ]
    steps = timeline(events)
    assert [(s.name, s.status, s.attempts) for s in steps] == [
        ("ResolveDataVersion", "succeeded", 1),
        ("Train", "succeeded", 2),
        ("Evaluate", "caught", 1),
        ("RecordFailure", "running", 1),
    ]
    assert steps[1].seconds == 8 and steps[1].error == "SageMaker.ResourceLimitExceededException"
    assert steps[2].error == "States.TaskFailed" and steps[3].seconds is None


def test_an_uncaught_failure_fails_the_state_it_happened_in() -> None:
    steps = timeline(
        [
            entered(0, "Task", "NotifyFailure"),
            event(1, "TaskFailed", taskFailedEventDetails={"error": "SNS.X"}),
            event(1, "ExecutionFailed"),
        ]
    )
    assert [(s.name, s.status) for s in steps] == [("NotifyFailure", "failed")]


def test_overrides_get_the_declared_types_and_every_bad_item_is_named() -> None:
    assert parse_overrides(["max_depth=6", "eta=0.05", "num_round=300", "objective=binary:logistic"]) == {
        "max_depth": 6,
        "eta": 0.05,
        "num_round": 300,
        "objective": "binary:logistic",
    }
    with pytest.raises(UsageError) as caught:
        parse_overrides(
            [
                "novalue",
                "=3",
                "sagemaker_program=evil.py",
                "bogus_param=1",
                "num_round=abc",
                "eta=-0.1",
                "target=y",
                "seed=1",
            ]
        )
    assert [p.path for p in caught.value.problems] == [
        "--set novalue",
        "--set =3",
        "--set sagemaker_program=evil.py",
        "--set bogus_param=1",
        "--set num_round=abc",
        "--set eta=-0.1",
        "--set target=y",
    ]
    messages = {p.path: p.message for p in caught.value.problems}
    assert "unknown hyperparameter" in messages["--set bogus_param=1"]
    assert "integer" in messages["--set num_round=abc"]
    assert "at least 0" in messages["--set eta=-0.1"]
    assert "set by the pipeline" in messages["--set target=y"]


def test_execution_names_are_valid_and_unique() -> None:
    first, second = execution_name("breast cancer/v2", now=T0), execution_name("breast cancer/v2", now=T0)
    assert first != second
    assert first.startswith("breast-cancer-v2-20261122T100000Z-")
    assert len(first) <= 80 and all(c.isalnum() or c in "-_" for c in first)


def _record(name: str, outcome: str, auc: float | None, minute: int) -> RunRecord:
    return RunRecord(
        execution_arn=f"arn:{name}",
        execution_name=name,
        dataset="breast-cancer",
        outcome=outcome,
        started_at=T0 + timedelta(minutes=minute),
        finished_at=T0 + timedelta(minutes=minute + 1),
        code_version="c",
        metrics={} if auc is None else {"auc": auc},
        gate=GateSummary(),
        instance_type="ml.g5.xlarge",
        instance_count=1,
        spot=True,
    )


def test_the_leaderboard_ranks_by_the_gate_metric_and_puts_failures_last() -> None:
    config = config_module.load(EXAMPLE, "dev")
    runs = [
        _record("failed-old", "failed", None, 0),
        _record("good", "registered", 0.99, 1),
        _record("bad", "rejected", 0.5, 2),
        _record("best", "registered", 0.995, 3),
        _record("failed-new", "failed", None, 4),
    ]
    ranked = [r.execution_name for r in leaderboard(runs, config)]
    assert ranked == ["best", "good", "bad", "failed-new", "failed-old"]
