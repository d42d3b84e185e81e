"""The retraining guard: whether a drift or quality alert starts a training run.

An alert starts the training pipeline on the dataset's newest accepted data version unless
- `drift.retrain` is false (checks only report),
- a training run of the dataset is in progress, or
- one started within `drift.cooldown_hours` (by the guard, or anyone: `mlops pipeline run`),
so drift that persists across checks cannot cause a retraining storm. Every decision, start or
suppression, is recorded with its reason (`TriggerRecord`).

Two alerts of one check (drift and quality) reach two guard invocations at once: the start is
claimed with a conditional write on the dataset's last start (`RetrainClaims`), so only one of
them can start a run inside the cooldown. With `cooldown_hours: 0` only the in-progress check
applies.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from mlops.monitoring.models import AlertDetail, AlertType, Decision, TriggerRecord
from mlops.pipeline.executions import RunningRun, execution_name


@dataclass(frozen=True)
class GuardDecision:
    decision: Decision
    reason: str


def decide(
    *,
    retrain: bool,
    cooldown: timedelta,
    now: datetime,
    running: Sequence[RunningRun],
    last_started: datetime | None,
    data_version: str | None,
) -> GuardDecision:
    if not retrain:
        return GuardDecision("suppressed", "drift.retrain is false: checks only report")
    if running:
        newest = running[0]
        return GuardDecision(
            "suppressed",
            f"training run {newest.execution_name} of the dataset is in progress "
            f"(started {newest.started_at:%Y-%m-%d %H:%M:%S} UTC)",
        )
    if last_started is not None and cooldown > timedelta(0) and now - last_started < cooldown:
        hours = cooldown.total_seconds() / 3600
        return GuardDecision(
            "suppressed",
            f"a training run started at {last_started:%Y-%m-%d %H:%M:%S} UTC, within the cooldown of "
            f"{hours:g} h (until {last_started + cooldown:%Y-%m-%d %H:%M:%S} UTC)",
        )
    if data_version is None:
        return GuardDecision("suppressed", "the dataset has no accepted data version to train on")
    return GuardDecision("started", f"retraining on {data_version}")


class TrainingStarts(Protocol):
    def running(self, dataset: str | None = None) -> list[RunningRun]: ...

    def start(self, name: str, request: dict[str, object]) -> str: ...


class RetrainClaims(Protocol):
    def last_started(self, dataset: str) -> datetime | None: ...

    def claim_start(self, dataset: str, at: datetime, cooldown: timedelta) -> bool: ...

    def put_trigger(self, record: TriggerRecord) -> None: ...


class LatestVersion(Protocol):
    def latest(self, dataset: str) -> str | None: ...


class LastRun(Protocol):
    def last_started(self, dataset: str) -> datetime | None: ...


@dataclass(frozen=True)
class RetrainingGuard:
    retrain: bool
    cooldown: timedelta
    executions: TrainingStarts
    claims: RetrainClaims
    versions: LatestVersion
    runs: LastRun

    def handle(self, alert: AlertType, detail: AlertDetail, *, now: datetime) -> TriggerRecord:
        dataset = detail.dataset
        running = self.executions.running(dataset) if self.retrain else []
        starts = [t for t in (self.claims.last_started(dataset), self.runs.last_started(dataset)) if t is not None]
        last_started = max(starts) if starts else None
        version = self.versions.latest(dataset) if self.retrain else None
        decision = decide(
            retrain=self.retrain,
            cooldown=self.cooldown,
            now=now,
            running=running,
            last_started=last_started,
            data_version=version,
        )
        execution_arn = None
        reason = decision.reason
        outcome = decision.decision
        if outcome == "started" and not self.claims.claim_start(dataset, now, self.cooldown):
            outcome = "suppressed"
            reason = "another alert started a training run of the dataset within the cooldown a moment ago"
        if outcome == "started":
            name = execution_name(dataset, now=now)
            execution_arn = self.executions.start(name, {"dataset": dataset, "data_version": version})
            reason = f"{reason} ({alert} in check {detail.check_id})"
        record = TriggerRecord(
            trigger_id=secrets.token_hex(6),
            dataset=dataset,
            at=now,
            alert=alert,
            check_id=detail.check_id,
            decision=outcome,
            reason=reason,
            execution_arn=execution_arn,
            data_version=version,
        )
        self.claims.put_trigger(record)
        return record
