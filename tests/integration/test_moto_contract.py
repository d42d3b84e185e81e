"""Fails loudly when a moto upgrade moves the internals mlops.local.plugins.flows plugs into.

If one of these fails after changing the moto pin, re-read the named moto module and adapt
mlops/local/plugins/flows.py (and the DESIGN notes) before anything else.
"""

import inspect
from importlib.metadata import version

import moto


def test_moto_is_pinned_to_the_version_the_plugins_were_written_for() -> None:
    assert version("moto") == "5.2.5", "re-verify every contract below, then update this pin"
    assert moto.__version__ == "5.2.5"


def test_step_functions_backends_and_execute_switch() -> None:
    from moto.stepfunctions import models, responses
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend, stepfunctions_parser_backends

    assert hasattr(models, "stepfunctions_backends")
    source = inspect.getsource(responses.get_backend)
    assert "execute_state_machine" in source and "stepfunctions_parser_backends" in source
    assert "stepfunctions_backends" in inspect.getsource(models.StateMachine.create_from_cloudformation_json)
    params = inspect.signature(StepFunctionsParserBackend.start_execution).parameters
    assert {"state_machine_arn", "name", "execution_input"} <= set(params)
    assert stepfunctions_parser_backends is not None


def test_eventbridge_rule_delivery_hook() -> None:
    from moto.events.models import Rule

    assert list(inspect.signature(Rule.send_to_targets).parameters) == ["self", "original_event", "transform_input"]
    assert "NotImplementedError" in inspect.getsource(Rule.send_to_targets), "moto may now route more targets itself"


def test_lambda_invoke_hook() -> None:
    from moto.awslambda.models import LambdaFunction

    assert list(inspect.signature(LambdaFunction._invoke_lambda).parameters) == ["self", "event"]
    source = inspect.getsource(LambdaFunction.__init__)
    for attribute in ("self.handler", "self.environment_vars", "self.timeout", "self.memory_size", "self.function_arn"):
        assert attribute in source, attribute
    assert "save_logs" in dir(LambdaFunction)
