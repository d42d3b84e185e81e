"""CloudWatch metric alarm evaluation, as pure functions (the local cloud's alarms plugin runs them).

An alarm watches `EvaluationPeriods` (N) consecutive periods of `Period` seconds, the newest
ending at the evaluation time; each period's value is the alarm's `Statistic` (SampleCount,
Sum, Average, Minimum, Maximum) or `ExtendedStatistic` (`pNN`, `pNN.N`: nearest-rank
percentile) over the datapoints whose timestamp falls in it. A period with no datapoint is
missing. A present period breaches when `value <op> Threshold` holds
(`GreaterThanThreshold`, `GreaterThanOrEqualToThreshold`, `LessThanThreshold`,
`LessThanOrEqualToThreshold`). Missing periods are treated per `TreatMissingData`:
`breaching`/`notBreaching` count them as such; `ignore` and `missing` (the default) leave them
out. Then, with M = `DatapointsToAlarm` (default N):

- ALARM when at least M periods breach;
- OK when fewer than M can breach even if every undecided period did (no ALARM possible);
- otherwise (too many periods missing to decide): `missing` -> INSUFFICIENT_DATA when no period
  has data at all, else the state stays; `ignore` -> the state stays.

Time compression: locally every `Period` is multiplied by the wait scale
(`MLOPS_LOCAL_WAIT_SCALE`, default 0.02, as Step Functions waits are; `local_period`), with
a floor of `MIN_LOCAL_PERIOD_S`: a 60 s x 2 alarm decides on the last 2 x 1.2 s = 2.4 s of
datapoints, stamped with their real (wall clock) timestamps. Reasons and reason data read as
CloudWatch's, with the deployed period.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MIN_LOCAL_PERIOD_S = 0.2
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")

_COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}


@dataclass(frozen=True)
class Datapoint:
    """One stored datum: a single value (count 1) or a statistic set."""

    timestamp: datetime
    sum: float
    count: float
    minimum: float
    maximum: float
    values: tuple[float, ...] = ()

    @classmethod
    def single(cls, timestamp: datetime, value: float) -> Datapoint:
        number = float(value)
        return cls(timestamp, number, 1.0, number, number, (number,))


@dataclass(frozen=True)
class AlarmSpec:
    statistic: str | None
    extended_statistic: str | None
    period: float
    evaluation_periods: int
    datapoints_to_alarm: int | None
    threshold: float
    comparison: str
    treat_missing_data: str | None = None

    @property
    def stat_name(self) -> str:
        return self.extended_statistic or self.statistic or "Average"


@dataclass(frozen=True)
class Evaluation:
    state: str
    reason: str
    reason_data: str


def local_period(period: float, scale: float) -> float:
    """The length of a period in the local cloud: the deployed one compressed by the wait scale."""
    return max(period * scale, MIN_LOCAL_PERIOD_S)


def statistic(name: str, points: Sequence[Datapoint]) -> float | None:
    """One period's value; None when the period has no datapoint."""
    value = _statistic(name, points)
    return None if value is None else float(value)


def _statistic(name: str, points: Sequence[Datapoint]) -> float | None:
    if not points:
        return None
    if name == "SampleCount":
        return sum(p.count for p in points)
    if name == "Sum":
        return sum(p.sum for p in points)
    if name == "Average":
        count = sum(p.count for p in points)
        return sum(p.sum for p in points) / count if count else None
    if name == "Minimum":
        return min(p.minimum for p in points)
    if name == "Maximum":
        return max(p.maximum for p in points)
    if name.startswith("p"):
        values = sorted(v for p in points for v in p.values)
        if not values:
            return None
        rank = math.ceil(float(name[1:]) / 100 * len(values))
        return values[min(max(rank, 1), len(values)) - 1]
    raise ValueError(f"unsupported statistic {name!r}")


def period_values(
    spec: AlarmSpec, points: Sequence[Datapoint], now: datetime, period_s: float
) -> list[tuple[datetime, float | None]]:
    """(start, value) of the N evaluated periods, oldest first; the newest ends at `now`."""
    out = []
    for index in range(spec.evaluation_periods, 0, -1):
        start = now - timedelta(seconds=index * period_s)
        end = start + timedelta(seconds=period_s)
        inside = [p for p in points if start <= p.timestamp < end]
        out.append((start, statistic(spec.stat_name, inside)))
    return out


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%d/%m/%y %H:%M:%S")


def evaluate(
    spec: AlarmSpec, points: Sequence[Datapoint], now: datetime, current_state: str, *, scale: float
) -> Evaluation:
    """The alarm's state at `now` from its datapoints (timestamps timezone-aware)."""
    if spec.comparison not in _COMPARISONS:
        raise ValueError(f"unsupported ComparisonOperator {spec.comparison!r}")
    compare, words = _COMPARISONS[spec.comparison]
    periods = period_values(spec, points, now, local_period(spec.period, scale))
    n = spec.evaluation_periods
    m = spec.datapoints_to_alarm or n
    treat = spec.treat_missing_data or "missing"
    present = [(start, v) for start, v in periods if v is not None]
    missing = n - len(present)
    breaching = sum(1 for _, v in present if compare(v, spec.threshold))
    not_breaching = len(present) - breaching
    if treat == "breaching":
        breaching += missing
    elif treat == "notBreaching":
        not_breaching += missing
    undecided = n - breaching - not_breaching
    shown = ", ".join(f"{v} ({_stamp(start)})" for start, v in reversed(present)) or "no datapoints"
    data = json.dumps(
        {
            "version": "1.0",
            "queryDate": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "statistic": spec.stat_name,
            "period": int(spec.period),
            "recentDatapoints": [v for _, v in present],
            "threshold": spec.threshold,
            "evaluatedDatapoints": [
                {"timestamp": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "value": v}
                for start, v in reversed(present)
            ],
        }
    )
    if breaching >= m:
        state = "ALARM"
    elif breaching + undecided < m:
        state = "OK"
    elif treat == "missing" and not present:
        state = "INSUFFICIENT_DATA"
    else:
        return Evaluation(current_state, "", data)
    if state == "INSUFFICIENT_DATA":
        reason = f"Insufficient Data: {n} datapoint{'s were' if n > 1 else ' was'} unknown."
    else:
        count = breaching if state == "ALARM" else not_breaching
        verb = "was" if count == 1 else "were"
        relation = words if state == "ALARM" else f"not {words}"
        reason = (
            f"Threshold Crossed: {count} out of the last {n} datapoints [{shown}] {verb} {relation} "
            f"the threshold ({spec.threshold}) (minimum {m} datapoint{'s' if m > 1 else ''} for "
            f"{current_state} -> {state} transition)."
        )
    return Evaluation(state, reason, data)
