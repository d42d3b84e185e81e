"""The Lambda error boundary (mlops/handler.py): typed errors leave a function under their
Step Functions names, malformed events are `Mlops.InvalidRequest`, results are JSON."""

from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from mlops.errors import MlopsError
from mlops.handler import StepError, step_error, step_handler
from mlops.registry.data_versions import DataVersionNotFoundError


@dataclass
class Context:
    function_name: str = "test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = "request-1"


class Ask(BaseModel):
    dataset: str
    version: int


class Answer(BaseModel):
    ref: str


@step_handler(Ask)
def handler(ask: Ask) -> Answer:
    if ask.version > 3:
        raise DataVersionNotFoundError(f"{ask.dataset}@v{ask.version} does not exist")
    if ask.version < 0:
        raise ZeroDivisionError("a bug")
    return Answer(ref=f"{ask.dataset}@v{ask.version}")


def call(event: dict[str, Any]) -> dict[str, Any]:
    return handler(event, Context())  # type: ignore[arg-type]


def test_a_result_is_returned_as_json() -> None:
    assert call({"dataset": "bc", "version": 2}) == {"ref": "bc@v2"}


def test_a_typed_error_leaves_under_its_step_functions_name() -> None:
    with pytest.raises(StepError) as raised:
        call({"dataset": "bc", "version": 9})
    # Lambda reports the exception's class name as the error: that is what Retry/Catch match
    assert type(raised.value).__name__ == DataVersionNotFoundError.error_name == "Mlops.DataVersionNotFound"
    assert str(raised.value) == "bc@v9 does not exist"
    assert isinstance(raised.value.__cause__, DataVersionNotFoundError)


def test_a_malformed_event_is_an_invalid_request_naming_the_field() -> None:
    with pytest.raises(StepError) as raised:
        call({"dataset": "bc", "version": "two"})
    assert type(raised.value).__name__ == "Mlops.InvalidRequest"
    assert "version" in str(raised.value) and "Ask" in str(raised.value)


def test_an_unnamed_error_keeps_its_own_class() -> None:
    with pytest.raises(ZeroDivisionError):
        call({"dataset": "bc", "version": -1})


def test_one_class_per_name_and_only_mlops_names() -> None:
    assert type(step_error("Mlops.X", "a")) is type(step_error("Mlops.X", "b"))
    assert not isinstance(step_error("Mlops.X", "a"), MlopsError)  # a transport, not a domain error
    with pytest.raises(ValueError, match="Mlops"):
        step_error("States.TaskFailed", "reserved")
