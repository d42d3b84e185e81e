"""CloudWatch alarms evaluated in the local cloud (moto 5.2.5), in the server process.

Gaps bridged (tests/integration/test_moto_contract.py guards every internal used):

1. moto's metric alarms start `OK` and only `SetAlarmState` moves them: nothing evaluates them
   from `PutMetricData`. Here an evaluator thread evaluates every metric alarm (one metric,
   `Statistic` or `ExtendedStatistic`; alarms on metric math and composite alarms are left
   alone) with `mlops.local.alarms.evaluate`, periods compressed by `MLOPS_LOCAL_WAIT_SCALE`
   (see that module). It runs on a tick (`TICK_SECONDS`) and is woken by every
   `CloudWatchBackend.put_metric_data` (patched), which includes the metrics our local
   endpoints emit per invocation.
2. A state change goes through moto's `Alarm.update_state` (so `StateValue`, `StateReason`,
   `StateReasonData`, `StateUpdatedTimestamp` and the alarm's history change as with
   `SetAlarmState`), and `DescribeAlarmHistory` (missing in moto) answers from that history.
3. moto emits no EventBridge event for a state change: here every transition (evaluated or set
   with `SetAlarmState`) puts `{"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm
   State Change", "resources": [alarm ARN], "detail": {"alarmName", "state": {"value",
   "reason", "reasonData", "timestamp"}, "previousState": {...}, "configuration":
   {"description", "metrics": [{"id", "metricStat": {"metric": {"namespace", "name",
   "dimensions"}, "period", "stat"}, "returnData"}]}}}` on the account's default bus through
   moto's `EventsBackend.put_events`, so rules match and their targets fire (SQS by moto,
   Step Functions and Lambda by `flows`).
4. Alarm actions: with `ActionsEnabled`, an SNS topic ARN among `AlarmActions` /
   `OKActions` / `InsufficientDataActions` of the new state gets CloudWatch's JSON
   notification (`AlarmName`, `NewStateValue`, `NewStateReason`, `OldStateValue`, `Trigger`,
   ...) through moto's `SNSBackend.publish`. Other action types are not run.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from datetime import UTC, datetime
from typing import Any

from mlops.local import alarms
from mlops.local.plugins import clock
from mlops.local.plugins._contract import require, run_once

logger = logging.getLogger("mlops.local")

TICK_SECONDS = 0.1
_CW = "moto.cloudwatch.models"
_wake = threading.Event()
_lock = threading.Lock()


@run_once
def install() -> None:
    """Call in the server process before it serves its first request."""
    backend_class = require(_CW, "CloudWatchBackend")
    alarm_class = require(_CW, "Alarm")
    put_metric_data = require(_CW, "CloudWatchBackend.put_metric_data")
    update_state = require(_CW, "Alarm.update_state")
    require(_CW, "MetricAggregatedDatum")
    require(_CW, "cloudwatch_backends")
    require("moto.events.models", "events_backends")
    require("moto.sns.models", "sns_backends")
    response_class = require("moto.cloudwatch.responses", "CloudWatchResponse")
    action_result = require("moto.core.responses", "ActionResult")

    @functools.wraps(put_metric_data)
    def put_metric_data_and_evaluate(self: Any, *args: Any, **kwargs: Any) -> None:
        put_metric_data(self, *args, **kwargs)
        _wake.set()

    @functools.wraps(update_state)
    def update_state_and_notify(self: Any, reason: str, reason_data: str, state_value: str) -> None:
        previous = (self.state_value, self.state_reason, self.state_reason_data, self.state_updated_timestamp)
        update_state(self, reason, reason_data, state_value)
        if previous[0] != state_value:
            _notify(self, previous)

    def describe_alarm_history(self: Any) -> Any:
        name = self._get_param("AlarmName")
        backend = self.cloudwatch_backend
        items = []
        for alarm in backend.alarms.values():
            if name and alarm.name != name:
                continue
            for entry in getattr(alarm, "mlops_history", []):
                items.append({"AlarmName": alarm.name, "AlarmType": "MetricAlarm", **entry})
        items.sort(key=lambda item: item["Timestamp"], reverse=True)
        return action_result({"AlarmHistoryItems": items[: int(self._get_param("MaxRecords") or 100)]})

    backend_class.put_metric_data = put_metric_data_and_evaluate
    alarm_class.update_state = update_state_and_notify
    response_class.describe_alarm_history = describe_alarm_history
    threading.Thread(target=_evaluate_forever, name="cloudwatch-alarms", daemon=True).start()


# 1 ----------------------------------------------------------------------------------------
def _aware(timestamp: Any) -> datetime:
    if isinstance(timestamp, str):
        timestamp = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if isinstance(timestamp, int | float):
        return datetime.fromtimestamp(timestamp, UTC)
    moment: datetime = timestamp
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _datapoints(backend: Any, alarm: Any) -> list[alarms.Datapoint]:
    aggregated = require(_CW, "MetricAggregatedDatum")
    wanted = {(d.name, d.value) for d in alarm.dimensions}
    points = []
    for datum in list(backend.metric_data):
        if datum.namespace != alarm.namespace or datum.name != alarm.metric_name:
            continue
        if {(d.name, d.value) for d in datum.dimensions} != wanted:
            continue
        if alarm.unit and datum.unit and datum.unit != alarm.unit:
            continue
        at = _aware(datum.timestamp)
        if isinstance(datum, aggregated):
            points.append(alarms.Datapoint(at, datum.sum, datum.sample_count, datum.min, datum.max))
        else:
            points.append(alarms.Datapoint.single(at, float(datum.value)))
    return points


def _spec(alarm: Any) -> alarms.AlarmSpec:
    return alarms.AlarmSpec(
        statistic=alarm.statistic,
        extended_statistic=alarm.extended_statistic,
        period=float(alarm.period),
        evaluation_periods=int(alarm.evaluation_periods),
        datapoints_to_alarm=int(alarm.datapoints_to_alarm) if alarm.datapoints_to_alarm else None,
        threshold=float(alarm.threshold),
        comparison=alarm.comparison_operator,
        treat_missing_data=alarm.treat_missing_data,
    )


def evaluate_all(now: datetime | None = None) -> int:
    """Evaluate every metric alarm of every account and region once; how many changed state."""
    backends = require(_CW, "cloudwatch_backends")
    now = now or datetime.now(UTC)
    changed = 0
    with _lock:
        for _account, regions in list(backends.items()):
            for _region, backend in list(regions.items()):
                for alarm in list(backend.alarms.values()):
                    if alarm.rule is not None or alarm.metric_data_queries or not alarm.metric_name:
                        continue  # composite and metric-math alarms are not evaluated locally
                    try:
                        result = alarms.evaluate(
                            _spec(alarm), _datapoints(backend, alarm), now, alarm.state_value, scale=clock.scale()
                        )
                    except (ValueError, TypeError):
                        logger.exception("cannot evaluate alarm %s", alarm.name)
                        continue
                    if result.state != alarm.state_value:
                        logger.info(
                            "alarm %s: %s -> %s (%s)", alarm.name, alarm.state_value, result.state, result.reason
                        )
                        alarm.update_state(result.reason, result.reason_data, result.state)
                        changed += 1
    return changed


def _evaluate_forever() -> None:
    while True:
        _wake.wait(TICK_SECONDS)
        _wake.clear()
        try:
            evaluate_all()
        except Exception:  # the evaluator must outlive any one bad alarm or datum
            logger.exception("alarm evaluation failed")


# 2-4 --------------------------------------------------------------------------------------
def _iso(at: datetime) -> str:
    at = _aware(at).astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def _configuration(alarm: Any) -> dict[str, Any]:
    metric = {
        "id": "m1",
        "metricStat": {
            "metric": {
                "namespace": alarm.namespace,
                "name": alarm.metric_name,
                "dimensions": {d.name: d.value for d in alarm.dimensions},
            },
            "period": int(alarm.period or 0),
            "stat": alarm.extended_statistic or alarm.statistic,
        },
        "returnData": True,
    }
    return {"description": alarm.description or "", "metrics": [metric] if alarm.metric_name else []}


def _notify(alarm: Any, previous: tuple[str, str, str, Any]) -> None:
    """History item, EventBridge event and SNS actions for one state transition."""
    from moto.utilities.arns import parse_arn

    arn = parse_arn(alarm.alarm_arn)
    state = {"value": alarm.state_value, "reason": alarm.state_reason, "timestamp": _iso(alarm.state_updated_timestamp)}
    if alarm.state_reason_data and alarm.state_reason_data != "{}":
        state["reasonData"] = alarm.state_reason_data
    before = {"value": previous[0], "reason": previous[1], "timestamp": _iso(previous[3])}
    summary = f"Alarm updated from {previous[0]} to {alarm.state_value}"
    history = {
        "Timestamp": _aware(alarm.state_updated_timestamp),
        "HistoryItemType": "StateUpdate",
        "HistorySummary": summary,
        "HistoryData": json.dumps({"version": "1.0", "oldState": before, "newState": state}),
    }
    alarm.mlops_history = [*getattr(alarm, "mlops_history", []), history]
    detail = {
        "alarmName": alarm.name,
        "state": state,
        "previousState": before,
        "configuration": _configuration(alarm),
    }
    try:
        events = require("moto.events.models", "events_backends")[arn.account][arn.region]
        events.put_events(
            [
                {
                    "Source": "aws.cloudwatch",
                    "DetailType": "CloudWatch Alarm State Change",
                    "Detail": json.dumps(detail),
                    "Resources": [alarm.alarm_arn],
                    "EventBusName": "default",
                }
            ]
        )
    except Exception:  # EventBridge delivery never fails the state change
        logger.exception("alarm %s: the state change event was not delivered", alarm.name)
    _run_sns_actions(alarm, arn.account, arn.region, previous[0])


def _run_sns_actions(alarm: Any, account: str, region: str, old_state: str) -> None:
    if not alarm.actions_enabled:
        return
    actions = {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }
    topics = [a for a in actions.get(alarm.state_value) or [] if a.startswith("arn:aws:sns:")]
    if not topics:
        return
    message = {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account,
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _iso(alarm.state_updated_timestamp),
        "Region": region,
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
            "Statistic": (alarm.statistic or "").upper() or None,
            "ExtendedStatistic": alarm.extended_statistic,
            "Dimensions": [{"name": d.name, "value": d.value} for d in alarm.dimensions],
            "Period": int(alarm.period or 0),
            "EvaluationPeriods": int(alarm.evaluation_periods or 0),
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": alarm.threshold,
            "TreatMissingData": alarm.treat_missing_data or "missing",
        },
    }
    sns = require("moto.sns.models", "sns_backends")[account][region]
    subject = f'{alarm.state_value}: "{alarm.name}" in {region}'[:99]
    for topic in topics:
        try:
            sns.publish(json.dumps(message), arn=topic, subject=subject)
        except Exception:
            logger.exception("alarm %s: action %s failed", alarm.name, topic)
