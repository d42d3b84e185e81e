"""The retraining guard: starts training once, suppresses while a run is in progress, within the
cooldown and with retrain off, and records every decision with its reason."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mlops.monitoring.guard import RetrainingGuard, decide
from mlops.monitoring.models import AlertDetail, TriggerRecord
from mlops.pipeline.executions import RunningRun

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DETAIL = AlertDetail(
    dataset="ds", endpoint="e", check_id="c-1", checked_at=NOW, report_uri="s3://b/k", baseline="ds@v1"
)


@dataclass
class FakeExecutions:
    running_runs: list[RunningRun] = field(default_factory=list)
    started: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    def running(self, dataset: str | None = None) -> list[RunningRun]:
        return [r for r in self.running_runs if r.dataset == dataset]

    def start(self, name: str, request: dict[str, object]) -> str:
        self.started.append((name, request))
        arn = f"arn:aws:states:us-east-1:1:execution:training:{name}"
        self.running_runs.append(RunningRun(execution_arn=arn, execution_name=name, dataset="ds", started_at=NOW))
        return arn


@dataclass
class FakeClaims:
    started_at: datetime | None = None
    triggers: list[TriggerRecord] = field(default_factory=list)

    def last_started(self, dataset: str) -> datetime | None:
        return self.started_at

    def claim_start(self, dataset: str, at: datetime, cooldown: timedelta) -> bool:
        if self.started_at is not None and self.started_at > at - cooldown:
            return False
        self.started_at = at
        return True

    def put_trigger(self, record: TriggerRecord) -> None:
        self.triggers.append(record)


@dataclass
class Fixed:
    value: object

    def latest(self, dataset: str) -> str | None:
        return self.value  # type: ignore[return-value]

    def last_started(self, dataset: str) -> datetime | None:
        return self.value  # type: ignore[return-value]


def guard(retrain: bool = True, hours: int = 24, last_run: datetime | None = None) -> RetrainingGuard:
    return RetrainingGuard(
        retrain=retrain,
        cooldown=timedelta(hours=hours),
        executions=FakeExecutions(),
        claims=FakeClaims(),
        versions=Fixed("v3"),
        runs=Fixed(last_run),
    )


def test_the_first_alert_starts_training_on_the_latest_version() -> None:
    g = guard()
    record = g.handle("DriftDetected", DETAIL, now=NOW)
    assert record.decision == "started" and record.data_version == "v3" and record.execution_arn
    assert g.executions.started[0][1] == {"dataset": "ds", "data_version": "v3"}  # type: ignore[attr-defined]
    assert "DriftDetected in check c-1" in record.reason
    assert g.claims.triggers == [record]  # type: ignore[attr-defined]


def test_a_run_in_progress_suppresses() -> None:
    g = guard()
    g.handle("DriftDetected", DETAIL, now=NOW)
    second = g.handle("ModelQualityDegraded", DETAIL, now=NOW + timedelta(minutes=1))
    assert second.decision == "suppressed" and "in progress" in second.reason
    assert len(g.executions.started) == 1  # type: ignore[attr-defined]


def test_the_cooldown_suppresses_also_after_the_run_ended() -> None:
    g = guard(hours=24)
    g.handle("DriftDetected", DETAIL, now=NOW)
    g.executions.running_runs.clear()  # type: ignore[attr-defined]
    later = g.handle("DriftDetected", DETAIL, now=NOW + timedelta(hours=23))
    assert later.decision == "suppressed" and "within the cooldown of 24 h" in later.reason
    after = g.handle("DriftDetected", DETAIL, now=NOW + timedelta(hours=25))
    assert after.decision == "started"
    assert [t.decision for t in g.claims.triggers] == ["started", "suppressed", "started"]  # type: ignore[attr-defined]


def test_a_manual_run_counts_for_the_cooldown() -> None:
    record = guard(last_run=NOW - timedelta(hours=2)).handle("DriftDetected", DETAIL, now=NOW)
    assert record.decision == "suppressed" and "cooldown" in record.reason


def test_retrain_false_only_records() -> None:
    g = guard(retrain=False)
    record = g.handle("DriftDetected", DETAIL, now=NOW)
    assert record.decision == "suppressed" and "retrain is false" in record.reason
    assert g.executions.started == [] and g.claims.triggers == [record]  # type: ignore[attr-defined]


def test_a_lost_claim_race_is_suppressed() -> None:
    g = guard()
    g.claims.started_at = None  # type: ignore[attr-defined]
    # another invocation claimed between this one's read and its claim
    g.claims.claim_start = lambda dataset, at, cooldown: False  # type: ignore[method-assign]
    record = g.handle("DriftDetected", DETAIL, now=NOW)
    assert record.decision == "suppressed" and "another alert" in record.reason


def test_no_data_version_suppresses() -> None:
    decision = decide(retrain=True, cooldown=timedelta(0), now=NOW, running=[], last_started=NOW, data_version=None)
    assert decision.decision == "suppressed" and "no accepted data version" in decision.reason
