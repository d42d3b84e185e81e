"""The one error boundary of every Lambda handler.

`@step_handler(RequestModel)` gives a handler Powertools' Logger, Tracer and Metrics, parses the
event into `RequestModel`, calls the handler with it and returns the result model as JSON.

Errors leave the function under their stable Step Functions names, so a state machine can
Retry or Catch on them at the step where they happen: Lambda reports the raised exception's
class name as the error, so the boundary re-raises a typed error as an exception whose class
is *named* `Mlops.<Name>` (its `error_name`), with the original chained as `__cause__`. A
malformed event is `Mlops.InvalidRequest`. Anything else (a bug, an SDK error) is not ours to
name and keeps its class name; the run record step classifies it by the step it happened in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from mlops.errors import MlopsError

RequestT = TypeVar("RequestT", bound=BaseModel)
INVALID_REQUEST = "Mlops.InvalidRequest"
METRICS_NAMESPACE = "serverless-mlops"

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


class StepError(Exception):
    """Base of the exceptions the boundary raises; each concrete class is named after the
    Step Functions error it stands for (see `step_error`)."""

    error_name = "Mlops.Error"


@functools.cache
def _error_class(name: str) -> type[StepError]:
    # one class per name, so `except` and identity checks behave
    return type(name, (StepError,), {"error_name": name, "__module__": __name__})


def step_error(name: str, message: str) -> StepError:
    """An exception Lambda reports as `name` (its class name), carrying `message`."""
    if not name.startswith("Mlops."):
        raise ValueError(f"step errors are named Mlops.*, not {name!r}")
    return _error_class(name)(message)


def step_handler(request_model: type[RequestT]) -> Callable[[Callable[[RequestT], BaseModel]], LambdaHandler]:
    def decorate(function: Callable[[RequestT], BaseModel]) -> LambdaHandler:
        @functools.wraps(function)
        def run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            try:
                request = request_model.model_validate(event)
            except ValidationError as exc:
                metrics.add_metric(name="InvalidRequests", unit=MetricUnit.Count, value=1)
                raise step_error(INVALID_REQUEST, f"{request_model.__name__}: {exc}") from exc
            try:
                result = function(request)
            except MlopsError as exc:
                logger.warning("step failed", extra={"error": exc.error_name, "cause": str(exc)})
                metrics.add_metric(name="StepErrors", unit=MetricUnit.Count, value=1)
                raise step_error(exc.error_name, str(exc)) from exc
            except Exception:
                metrics.add_metric(name="StepErrors", unit=MetricUnit.Count, value=1)
                raise
            metrics.add_metric(name="StepSucceeded", unit=MetricUnit.Count, value=1)
            return result.model_dump(mode="json")

        # outermost first: context in every log line, a trace segment, metrics flushed even on error
        traced = tracer.capture_lambda_handler(run)
        logged = logger.inject_lambda_context(traced)
        return metrics.log_metrics(logged)

    return decorate
