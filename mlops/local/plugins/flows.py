"""Plugins that make our *flows* run in the local cloud (moto 5.2.5), in the server process.

Each patch fills a gap our flows hit; production definitions are never changed for them.
tests/integration/test_moto_contract.py fails loudly if a moto upgrade moves what we patch.

(Bucket properties moto's CloudFormation ignores are applied by `resources`.)

1. With `execute_state_machine` on, moto's Step Functions API reads the ASL-interpreter
   backend while CloudFormation creates state machines in the plain one: make them one.
2. EventBridge rule targets: moto delivers to SQS/logs/buses only; add Step Functions state
   machines (StartExecution with the event as input, as EventBridge does) and Lambda functions,
   with the target's `Input` or `InputTransformer` applied as EventBridge applies them.
3. Lambda invoke without Docker: run the deployed handler for real (mlops.local.lambda_runtime).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from mlops.local.plugins._contract import run_once

logger = logging.getLogger("mlops.local")


@run_once
def install(endpoint_url: str) -> None:
    """Call in the server process before it serves its first request."""
    _unify_step_functions_backends()
    _route_eventbridge_targets()
    _run_lambdas_for_real(endpoint_url)


# 2 ----------------------------------------------------------------------------------------
def _unify_step_functions_backends() -> None:
    from moto.stepfunctions import models as sfn_models
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    sfn_models.stepfunctions_backends = stepfunctions_parser_backends  # type: ignore[assignment]


def parser_backend(account_id: str, region: str) -> Any:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    return stepfunctions_parser_backends[account_id][region]


# 3 ----------------------------------------------------------------------------------------
def _route_eventbridge_targets() -> None:
    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        ours: list[dict[str, Any]] = []
        theirs: list[dict[str, Any]] = []
        for target in self.targets:
            service = parse_arn(target["Arn"]).service
            (ours if service in {"states", "lambda"} else theirs).append(target)
        if theirs:
            saved = self.targets
            self.targets = theirs
            try:
                original(self, original_event, transform_input)  # type: ignore[arg-type]
            finally:
                self.targets = saved
        for target in ours:
            _deliver(target, _as_delivered(original_event))

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]


def _as_delivered(event: dict[str, Any]) -> dict[str, Any]:
    """EventBridge delivers `time` as an ISO-8601 string; moto keeps a unix timestamp."""
    delivered = dict(event)
    if isinstance(delivered.get("time"), int | float):
        delivered["time"] = datetime.fromtimestamp(delivered["time"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return delivered


def _deliver(target: dict[str, Any], event: dict[str, Any]) -> None:
    from moto.utilities.arns import parse_arn

    arn = parse_arn(target["Arn"])
    payload = _target_input(target, event)
    try:
        if arn.service == "states":
            parser_backend(arn.account, arn.region).start_execution(
                target["Arn"], name=str(uuid.uuid4()), execution_input=json.dumps(payload)
            )
        else:
            from moto.awslambda.models import lambda_backends

            backend = lambda_backends[arn.account][arn.region]
            threading.Thread(
                target=backend.invoke,
                args=(target["Arn"], None, json.dumps(payload), {"x-amz-invocation-type": "Event"}, {}),
                daemon=True,
            ).start()
    except Exception:  # EventBridge delivery is asynchronous: a failed target never fails the put
        logger.exception("delivering %s to %s failed", event.get("detail-type"), target["Arn"])


def _target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What the target receives: its constant `Input`, its `InputTransformer` applied to the
    event, or the event."""
    if "Input" in target:
        return json.loads(target["Input"])
    transformer = target.get("InputTransformer")
    if transformer:
        return json.loads(transform_input(transformer, event))
    return event


def transform_input(transformer: dict[str, Any], event: dict[str, Any]) -> str:
    """An InputTransformer applied as EventBridge applies it: each `<name>` of the template
    becomes the value at its path, as JSON outside string quotes (a string gets its quotes,
    `"arn":<arn>` is valid JSON) and as bare text inside them (`"x-<arn>"`); a path that
    matches nothing is null. moto's own parser inserts strings without quotes, which breaks
    the JSON of every template CDK renders with `EventField`."""
    from jsonpath_ng.ext import parse  # type: ignore[attr-defined]

    values: dict[str, Any] = {}
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        matches = parse(path).find(event)
        values[name] = matches[0].value if matches else None
    out: list[str] = []
    in_string = False
    for token in _TEMPLATE_TOKENS.finditer(str(transformer.get("InputTemplate") or "")):
        text = token.group(0)
        name = token.group("name")
        if name is not None and name in values:
            as_json = json.dumps(values[name])
            out.append(as_json[1:-1] if in_string and isinstance(values[name], str) else as_json)
            continue
        if text == '"':
            in_string = not in_string
        out.append(text)
    return "".join(out)


#: a placeholder, an escaped character, a quote, or any other character
_TEMPLATE_TOKENS = re.compile(r'<(?P<name>[A-Za-z0-9_.\-]+)>|\\.|"|.', re.S)


# 4 ----------------------------------------------------------------------------------------
def _run_lambdas_for_real(endpoint_url: str) -> None:
    from moto.awslambda.models import LambdaFunction

    from mlops.local import lambda_runtime

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        self.logs_backend.ensure_log_group(self.logs_group_name)
        result = lambda_runtime.invoke(
            code_zip=self.code_bytes,
            handler=self.handler,
            function_name=self.function_name,
            function_arn=self.function_arn,
            environment=dict(self.environment_vars or {}),
            event=event if event is not None else {},
            timeout_seconds=int(self.timeout),
            memory_mb=int(self.memory_size),
            endpoint_url=endpoint_url,
            region=self.region,
        )
        self.save_logs(result.logs or "(no output)")
        return result.payload, result.errored, result.logs

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
