"""How a deployment ended, from what the endpoint says once polling stopped."""

import pytest

from mlops.serving.outcome import EndpointState, decide

NEW, OLD = "tc-dev-bc-v2-aaaaaaaa", "tc-dev-bc-v1-bbbbbbbb"
ALARM = "tc-dev-bc-Invocation5XXErrors"


def test_in_service_on_the_new_config_is_deployed() -> None:
    decision = decide(EndpointState(status="InService", endpoint_config_name=NEW), NEW, [])
    assert decision.outcome == "deployed" and decision.reason is None and decision.serving_config == NEW


def test_in_service_on_the_old_config_is_rolled_back_and_names_the_alarm() -> None:
    state = EndpointState(status="InService", endpoint_config_name=OLD, failure_reason="alarm went off")
    decision = decide(state, NEW, [ALARM])
    assert decision.outcome == "rolled_back" and decision.serving_config == OLD
    assert decision.reason is not None and ALARM in decision.reason and OLD in decision.reason


def test_a_rollback_without_an_alarm_in_alarm_says_sagemakers_reason() -> None:
    state = EndpointState(status="InService", endpoint_config_name=OLD, failure_reason="Alarm X fired")
    assert decide(state, NEW, []).reason == "Alarm X fired"
    bare = decide(EndpointState(status="InService", endpoint_config_name=OLD), NEW, [])
    assert bare.outcome == "rolled_back" and bare.reason is not None and OLD in bare.reason


@pytest.mark.parametrize("status", ["Failed", "OutOfService"])
def test_a_failed_endpoint_is_failed_with_its_failure_reason(status: str) -> None:
    decision = decide(EndpointState(status=status, failure_reason="the container exited 1"), NEW, [ALARM])
    assert decision.outcome == "failed" and decision.reason == "the container exited 1"
    assert decision.serving_config is None


def test_a_failed_rollback_is_failed() -> None:
    state = EndpointState(status="UpdateRollbackFailed", endpoint_config_name=OLD, failure_reason="capacity")
    decision = decide(state, NEW, [])
    assert decision.outcome == "failed" and decision.reason is not None
    assert "rollback" in decision.reason and "capacity" in decision.reason


def test_polling_that_gave_up_is_failed_and_says_how_long_it_waited() -> None:
    decision = decide(EndpointState(status="Updating", endpoint_config_name=OLD), NEW, [], polled_seconds=3600)
    assert decision.outcome == "failed" and decision.reason is not None
    assert "Updating" in decision.reason and "3600 s" in decision.reason
