"""Fails loudly when a moto upgrade moves the internals mlops.local.plugins (flows, sagemaker) plug into.

If one of these fails after changing the moto pin, re-read the named moto module and adapt
mlops/local/plugins/flows.py or sagemaker.py (and the DESIGN notes) before anything else.
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


# mlops/local/plugins/sagemaker.py ----------------------------------------------------------
_SERVICE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"


def test_step_functions_task_service_factory_hook() -> None:
    import importlib

    factory = importlib.import_module(f"{_SERVICE}.state_task_service_factory")
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

    assert list(inspect.signature(factory.state_task_service_for).parameters) == ["service_name"]
    assert "sagemaker" in factory._UNSUPPORTED_SERVICE_NAMES, "moto may now integrate SageMaker itself"
    # state_task_factory calls the name it imported: the plugin patches it there too
    assert "state_task_service_for(" in inspect.getsource(state_task_factory.state_task_for)
    assert hasattr(state_task_factory, "state_task_service_for")


def test_step_functions_callback_service_hooks() -> None:
    import importlib

    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    callback = importlib.import_module(f"{_SERVICE}.state_task_service_callback").StateTaskServiceCallback
    resource = importlib.import_module(f"{_SERVICE}.resource")
    hook = ["self", "env", "resource_runtime_part", "normalised_parameters", "state_credentials"]
    assert list(inspect.signature(callback.__init__).parameters) == ["self", "supported_integration_patterns"]
    for name in ("_eval_service_task", "_build_sync_resolver", "_eval_integration_pattern"):
        assert list(inspect.signature(getattr(callback, name)).parameters) == hook, name
    assert list(inspect.signature(callback._from_error).parameters) == ["self", "env", "ex"]
    for name in ("_to_boto_request", "_get_boto_service_action", "_get_sfn_resource", "_get_sfn_resource_type"):
        assert hasattr(callback, name), name
    # the plugin replaces the .sync loop because of this: re-check when it changes
    assert "callback_endpoint.interrupt_all()" in inspect.getsource(callback._eval_integration_pattern)
    # an empty set of supported parameters filters nothing
    assert "if supported_parameters:" in inspect.getsource(StateTask._eval_parameters)
    assert hasattr(resource.ResourceCondition, "Sync")
    assert hasattr(Environment, "is_running")
    assert list(inspect.signature(boto_client_for).parameters) == ["region", "service", "state_credentials"]


def test_step_functions_failure_event_types() -> None:
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    assert {"env", "error_name", "event_type", "event_details"} <= set(inspect.signature(FailureEvent).parameters)
    assert next(iter(inspect.signature(FailureEventException).parameters)) == "failure_event"
    assert list(inspect.signature(CustomErrorName).parameters) == ["error_name"]
    assert list(inspect.signature(StatesErrorName).parameters) == ["typ"]
    assert StatesErrorNameType.StatesTaskFailed.to_name() == "States.TaskFailed"
    assert hasattr(HistoryEventType, "TaskFailed") and "cause" in TaskFailedEventDetails.__annotations__


def test_sagemaker_job_models_hook() -> None:
    from moto.sagemaker.models import BaseObject, FakeProcessingJob, FakeTrainingJob, SageMakerModelBackend

    for method, store in (("create_training_job", "training_jobs"), ("create_processing_job", "processing_jobs")):
        source = inspect.getsource(getattr(SageMakerModelBackend, method))
        assert f"self.{store}[" in source and "return" in source, method
    training = inspect.getsource(FakeTrainingJob.__init__)
    for attribute in (
        "hyper_parameters",
        "input_data_config",
        "output_data_config",
        "checkpoint_config",
        "stopping_condition",
        "algorithm_specification",
        "model_artifacts",
        "training_job_status",
        "secondary_status",
        "secondary_status_transitions",
        "final_metric_data_list",
        "training_start_time",
    ):
        assert f"self.{attribute}" in training, attribute
    processing = inspect.getsource(FakeProcessingJob.__init__)
    for attribute in (
        "app_specification",
        "processing_inputs",
        "processing_output_config",
        "stopping_condition",
        "processing_job_status",
        "processing_end_time",
    ):
        assert f"self.{attribute}" in processing, attribute
    # Describe answers are built from the job's attributes, leaving out those that are None
    for model in (FakeTrainingJob, FakeProcessingJob):
        response_object = vars(model)["response_object"]
        assert isinstance(response_object, property) and response_object.fget is not None, model
        assert "v is not None" in inspect.getsource(response_object.fget)
    assert "self.__dict__" in inspect.getsource(BaseObject.gen_response_object)


def test_retrier_sleeps_through_its_module_time() -> None:
    """mlops/local/plugins/clock.py replaces `time` in this module to compress Retry waits."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    source = inspect.getsource(retrier_decl.RetrierDecl._eval_body)
    assert "time.sleep(interval_seconds)" in source
    assert hasattr(retrier_decl, "time")


def test_json_rest_errors_carry_code_and_status() -> None:
    """mlops/local/plugins/sagemaker.py raises injected faults as JsonRESTError."""
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError("ResourceLimitExceeded", "m")
    assert error.code == 400 and error.error_type == "ResourceLimitExceeded"


def test_wait_states_wait_through_wait_function_eval_body() -> None:
    """mlops/local/plugins/clock.py replaces WaitFunction._eval_body to compress Wait states."""
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (
        seconds,
        seconds_path,
        timestamp,
        wait_function,
    )
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    base = wait_function.WaitFunction
    # as installed by the server process the body may already be ours: check moto's source
    source = inspect.getsource(wait_function)
    assert "w_sec = self._get_wait_seconds(env=env)" in source
    assert "env.program_state_event.wait(wait_seconds)" in source
    assert list(inspect.signature(base._get_wait_seconds).parameters) == ["self", "env"]
    forms = [
        getattr(module, name)
        for module in (seconds, seconds_path, timestamp)
        for name in dir(module)
        if isinstance(getattr(module, name), type)
        and issubclass(getattr(module, name), base)
        and getattr(module, name) is not base
    ]
    assert len(forms) >= 5
    for form in forms:  # every Wait form inherits the body the plugin replaces
        assert "_eval_body" not in vars(form), form
    assert "program_state_event" in inspect.getsource(Environment.__init__)
    assert hasattr(Environment, "is_running")


# mlops/local/plugins/endpoints.py -----------------------------------------------------------
def _absent_or_ours(owner: type, name: str) -> bool:
    """moto lacks `owner.name`, or what is there is the plugin's (installed in this process)."""
    found = vars(owner).get(name)
    return found is None or str(getattr(found, "__module__", "")).startswith("mlops.")


def test_sagemaker_endpoint_backend_hooks() -> None:
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import FakeEndpoint, Model, SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    signatures = {
        "create_endpoint": ["self", "endpoint_name", "endpoint_config_name", "tags"],
        "describe_endpoint": ["self", "endpoint_name"],
        "delete_endpoint": ["self", "endpoint_name"],
        "describe_endpoint_config": ["self", "endpoint_config_name"],
        "describe_model": ["self", "model_name"],
    }
    for name, parameters in signatures.items():
        assert list(inspect.signature(getattr(SageMakerModelBackend, name)).parameters) == parameters, name
    assert "self.endpoints[endpoint_name] = endpoint" in inspect.getsource(SageMakerModelBackend.create_endpoint)
    assert "del self.endpoints[endpoint_name]" in inspect.getsource(SageMakerModelBackend.delete_endpoint)
    assert "self._models[model_name]" in inspect.getsource(SageMakerModelBackend.create_model)
    assert ".response_object" in inspect.getsource(SageMakerModelBackend.describe_endpoint_config)
    assert "self.primary_container" in inspect.getsource(Model.__init__)
    assert list(inspect.signature(FakeEndpoint.arn_formatter).parameters) == [
        "endpoint_name",
        "account_id",
        "region_name",
    ]
    assert "EndpointStatus" in inspect.getsource(FakeEndpoint.summary)
    assert "self.endpoint_status" in inspect.getsource(FakeEndpoint.__init__)
    # moto may now implement UpdateEndpoint itself: then use it, or keep ours on purpose
    assert _absent_or_ours(SageMakerResponse, "update_endpoint")
    assert _absent_or_ours(SageMakerModelBackend, "update_endpoint")
    assert list(inspect.signature(ValidationError).parameters) == ["message"]


def test_sagemaker_runtime_invoke_hooks() -> None:
    from moto.core.responses import BaseResponse
    from moto.moto_server import werkzeug_app
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    assert list(inspect.signature(SageMakerRuntimeResponse.invoke_endpoint).parameters) == ["self"]
    # a handler's (status, headers, body) tuple: moto takes the status from headers["status"]
    assert 'new_headers.get("status", 200)' in inspect.getsource(BaseResponse._transform_response)
    assert "self.raw_body = self.body" in inspect.getsource(BaseResponse.setup_class)
    # requests signed for "sagemaker" that end in /invocations reach the runtime backend
    assert 'endswith("invocations")' in inspect.getsource(werkzeug_app.DomainDispatcherApplication)


def test_step_functions_aws_sdk_error_names_hook() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_aws_sdk

    assert isinstance(state_task_service_aws_sdk._SERVICE_ERROR_NAMES, dict)
    source = inspect.getsource(state_task_service_aws_sdk.StateTaskServiceAwsSdk._normalise_service_error_name)
    assert "_SERVICE_ERROR_NAMES" in source


# mlops/local/plugins/alarms.py --------------------------------------------------------------
def test_cloudwatch_alarm_hooks() -> None:
    from moto.cloudwatch.models import Alarm, CloudWatchBackend, MetricAggregatedDatum, MetricDatum
    from moto.cloudwatch.responses import CloudWatchResponse

    assert list(inspect.signature(CloudWatchBackend.put_metric_data).parameters) == ["self", "namespace", "metric_data"]
    assert "self.metric_data.append" in inspect.getsource(CloudWatchBackend.put_metric_data)
    assert list(inspect.signature(Alarm.update_state).parameters) == ["self", "reason", "reason_data", "state_value"]
    assert ".update_state(reason, reason_data, state_value)" in inspect.getsource(CloudWatchBackend.set_alarm_state)
    alarm = inspect.getsource(Alarm.__init__)
    for attribute in (
        "namespace",
        "metric_name",
        "metric_data_queries",
        "comparison_operator",
        "evaluation_periods",
        "datapoints_to_alarm",
        "period",
        "threshold",
        "statistic",
        "extended_statistic",
        "dimensions",
        "alarm_actions",
        "ok_actions",
        "insufficient_data_actions",
        "unit",
        "actions_enabled",
        "treat_missing_data",
        "state_value",
        "state_reason",
        "state_reason_data",
        "state_updated_timestamp",
        "alarm_arn",
        "rule",
    ):
        assert f"self.{attribute} =" in alarm, attribute
    for attribute in ("self.min", "self.max", "self.sample_count", "self.sum"):
        assert attribute in inspect.getsource(MetricAggregatedDatum.__init__), attribute
    assert "self.value" in inspect.getsource(MetricDatum.__init__)
    assert _absent_or_ours(CloudWatchResponse, "describe_alarm_history"), "moto may now implement it itself"


def test_alarm_events_and_actions_hooks() -> None:
    from moto.events.models import EventsBackend
    from moto.sns.models import SNSBackend

    assert list(inspect.signature(EventsBackend.put_events).parameters) == ["self", "events"]
    assert "rule.send_to_targets(event_msg)" in inspect.getsource(EventsBackend.put_events)
    assert list(inspect.signature(SNSBackend.publish).parameters)[:4] == ["self", "message", "arn", "phone_number"]
    assert "subject" in inspect.signature(SNSBackend.publish).parameters
