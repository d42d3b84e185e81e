"""EventBridge Scheduler and CloudWatch alarms from CloudFormation, and schedules that fire, in
the local cloud's server process (moto 5.2.5).

Gaps bridged (tests/integration/test_moto_contract.py guards every internal used):

1. `AWS::Scheduler::Schedule` and `AWS::CloudWatch::Alarm` are not CloudFormation types moto
   knows (it skips them with a warning): plugins/monitoring_resources.py creates them through
   moto's scheduler and CloudWatch backends, so `GetSchedule` / `DescribeAlarms` answer for what
   the stacks declare (and the alarms plugin of the local endpoints can evaluate them).
2. moto stores schedules and never fires them. A thread here fires every ENABLED schedule when
   it is due, on a clock compressed like Step Functions waits (`MLOPS_LOCAL_WAIT_SCALE`, default
   0.02, plugins/clock.py): time since the schedule was created runs 1/scale times faster, so
   `rate(1 day)` fires every 86400 s x 0.02 = 28.8 min, `rate(5 minutes)` every 6 s, and a
   `cron(...)` at its occurrences on that fast clock. A missed occurrence is not caught up (as
   Scheduler with its flexible window off). Scale 0 fires nothing by itself: only `tick`.
3. Delivery to the schedule's `Target`: a Lambda function is invoked with the target's `Input`
   (the handler runs for real, plugins/flows.py), a Step Functions state machine gets
   StartExecution with it. Other target types are logged and skipped.
4. `tick`: `POST /_mlops/scheduler/tick` (body `{"name": ...}` optional, to fire one schedule)
   fires every ENABLED schedule now and answers when each target has run: a Lambda target's
   answer or error, a state machine's execution ARN. `mlops local tick` calls it.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from mlops.local.plugins import clock
from mlops.local.plugins._contract import MotoContractError, require, run_once
from mlops.local.plugins.monitoring_resources import AlarmResource, ScheduleResource
from mlops.monitoring import schedule as expressions

logger = logging.getLogger("mlops.local")

PATH = "/_mlops/scheduler/tick"
POLL_SECONDS = 0.25
_SCHEDULER = "moto.scheduler.models"


@dataclass
class Fired:
    schedule: str
    group: str
    target: str
    at: str
    trigger: str  # "schedule" | "tick"
    status: str  # "delivered" | "failed" | "skipped"
    detail: Any = None


#: the recent firings, oldest first
fired: collections.deque[Fired] = collections.deque(maxlen=200)
_lock = threading.Lock()
#: schedule ARN -> the virtual time it last fired at (its creation time until then)
_last_fired: dict[str, datetime] = {}


@run_once
def install() -> None:
    """Call in the server process before it serves its first request."""
    require(_SCHEDULER, "scheduler_backends")
    require(_SCHEDULER, "EventBridgeSchedulerBackend.create_schedule")
    require(_SCHEDULER, "EventBridgeSchedulerBackend.delete_schedule")
    require("moto.cloudwatch.models", "CloudWatchBackend.put_metric_alarm")
    require("moto.awslambda.models", "lambda_backends")
    parsing = require("moto.cloudformation.parsing", "get_model_list")
    for cached in ("get_model_list", "get_model_map", "get_name_type_map"):
        require("moto.cloudformation.parsing", f"{cached}.cache_clear")()
    registered = {model.cloudformation_type() for model in parsing()}
    missing = {ScheduleResource.cloudformation_type(), AlarmResource.cloudformation_type()} - registered
    if missing:
        raise MotoContractError(f"moto's CloudFormation registry did not pick up {sorted(missing)}")
    threading.Thread(target=_fire_due_forever, name="mlops-scheduler", daemon=True).start()


# --------------------------------------------------------------------------------------------
# Firing


def _all_schedules() -> list[Any]:
    backends = require(_SCHEDULER, "scheduler_backends")
    found = []
    for _account, _region, backend in _existing(backends):
        for group in list(backend.schedule_groups.values()):
            found.extend(list(group.schedules.values()))
    return found


def _existing(backends: Any) -> list[tuple[str, str, Any]]:
    """The (account, region) backends created so far (looking creates none)."""
    out = []
    for account in list(backends.keys()):
        regional = backends[account]
        for region in list(regional.keys()):
            out.append((account, region, regional[region]))
    return out


def _virtual_now(created: datetime, now: datetime, factor: float) -> datetime:
    return created + (now - created) / factor


def due(schedule: Any, now: datetime, factor: float) -> datetime | None:
    """The occurrence `schedule` is due for at `now` (real time), or None."""
    if factor <= 0 or schedule.state != "ENABLED":
        return None
    created = datetime.fromtimestamp(float(schedule.creation_date), UTC)
    try:
        expression = expressions.parse(schedule.schedule_expression)
    except expressions.ScheduleExpressionError:
        return None
    # a schedule deleted and created again under the same ARN starts over
    last = max(_last_fired.get(schedule.arn, created), created)
    occurrence = expression.next_after(last, created)
    virtual = _virtual_now(created, now, factor)
    return occurrence if occurrence is not None and occurrence <= virtual else None


def _fire_due_forever() -> None:
    while True:
        time.sleep(POLL_SECONDS)
        try:
            factor = clock.scale()
            now = datetime.now(UTC)
            for schedule in _all_schedules():
                occurrence = due(schedule, now, factor)
                if occurrence is not None:
                    created = datetime.fromtimestamp(float(schedule.creation_date), UTC)
                    _last_fired[schedule.arn] = max(occurrence, _virtual_now(created, now, factor))
                    threading.Thread(target=deliver, args=(schedule, "schedule", False), daemon=True).start()
        except Exception:  # the firing thread must survive anything one schedule does
            logger.exception("firing due schedules failed")


def deliver(schedule: Any, trigger: str, wait: bool) -> Fired:
    from moto.utilities.arns import parse_arn

    target = schedule.target
    arn = str(target.get("Arn", ""))
    payload = target.get("Input") or "{}"
    record = Fired(schedule.name, schedule.group_name, arn, datetime.now(UTC).isoformat(), trigger, "delivered")
    try:
        parsed = parse_arn(arn)
        if parsed.service == "lambda":
            from moto.awslambda.models import lambda_backends

            headers: dict[str, str] = {}
            invocation = "RequestResponse" if wait else "Event"
            answer = lambda_backends[parsed.account][parsed.region].invoke(
                arn, None, payload, {"x-amz-invocation-type": invocation}, headers
            )
            if headers.get("x-amz-function-error"):
                record.status = "failed"
            if wait and answer is not None:
                text = answer.decode() if isinstance(answer, bytes) else str(answer)
                try:
                    record.detail = json.loads(text)
                except ValueError:
                    record.detail = text
        elif parsed.service == "states":
            from mlops.local.plugins.flows import parser_backend

            execution = parser_backend(parsed.account, parsed.region).start_execution(
                arn, name=str(uuid.uuid4()), execution_input=payload
            )
            record.detail = {"executionArn": execution.execution_arn}
        else:
            record.status, record.detail = "skipped", f"targets of {parsed.service} are not delivered locally"
    except Exception as exc:  # as on AWS: a failed delivery never breaks the scheduler
        logger.exception("schedule %s: delivering to %s failed", schedule.name, arn)
        record.status, record.detail = "failed", f"{type(exc).__name__}: {exc}"
    logger.info("schedule %s fired (%s) -> %s: %s", schedule.name, trigger, arn, record.status)
    with _lock:
        fired.append(record)
    return record


def tick(name: str | None = None) -> list[Fired]:
    """Fire every ENABLED schedule (or the one named) now, each target run to its end."""
    chosen = [s for s in _all_schedules() if s.state == "ENABLED" and (name is None or s.name == name)]
    threads = []
    slots: list[Fired | None] = [None] * len(chosen)

    def run(index: int, schedule: Any) -> None:
        slots[index] = deliver(schedule, "tick", True)

    for index, schedule in enumerate(chosen):
        thread = threading.Thread(target=run, args=(index, schedule), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return [slot for slot in slots if slot is not None]


def middleware(app: Any) -> Any:
    """Wrap a WSGI app: `POST /_mlops/scheduler/tick` is answered here."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != PATH:
            return app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            body, status = json.dumps({"error": "POST to fire the schedules"}).encode(), "405 Method Not Allowed"
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                request = json.loads(environ["wsgi.input"].read(length) or b"{}")
                name = request.get("name") if isinstance(request, dict) else None
                body, status = json.dumps({"fired": [asdict(f) for f in tick(name)]}).encode(), "200 OK"
            except ValueError as exc:
                body, status = json.dumps({"error": str(exc)}).encode(), "400 Bad Request"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return wsgi


def request_tick(endpoint_url: str, *, name: str | None = None, timeout: float = 900) -> list[dict[str, Any]]:
    """Client side: fire the local cloud's schedules now; what each delivery did."""
    request = urllib.request.Request(  # noqa: S310 - the local cloud's own http endpoint
        endpoint_url.rstrip("/") + PATH,
        data=json.dumps({"name": name} if name else {}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        answer: list[dict[str, Any]] = json.loads(response.read())["fired"]
        return answer


__all__ = ["PATH", "Fired", "deliver", "due", "fired", "request_tick", "tick"]
