"""Fails loudly when a moto upgrade moves the internals mlops.local.plugins (flows, sagemaker,
model_package_events) plug into.

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


# mlops/local/plugins/sagemaker.py, sagemaker_step_functions.py ------------------------------
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
def test_cloudwatch_alarm_evaluation_hooks() -> None:
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


# mlops/local/plugins/model_package_events.py -----------------------------------------------
def test_model_package_backend_hooks() -> None:
    from moto.events.utils import EventTemplateParser
    from moto.sagemaker.models import ModelPackage, SageMakerModelBackend

    create = inspect.signature(SageMakerModelBackend.create_model_package).parameters
    assert {"model_package_group_name", "model_approval_status", "customer_metadata_properties"} <= set(create)
    assert list(inspect.signature(SageMakerModelBackend.update_model_package).parameters) == [
        "self",
        "model_package_arn",
        "model_approval_status",
        "approval_description",
        "customer_metadata_properties",
        "customer_metadata_properties_to_remove",
        "additional_inference_specifications_to_add",
    ]
    # the gap bridged: moto's update overwrites what it is not given
    source = inspect.getsource(SageMakerModelBackend.update_model_package)
    assert "model_package.customer_metadata_properties = customer_metadata_properties" in source
    for attribute in ("model_approval_status", "approval_description", "customer_metadata_properties"):
        assert f"self.{attribute}" in inspect.getsource(ModelPackage.__init__), attribute
    assert {"input_template", "input_paths_map", "event"} <= set(
        inspect.signature(EventTemplateParser.parse).parameters
    )


def test_registration_and_approval_emit_the_state_change_event_as_aws_shapes_it() -> None:
    import json

    import boto3
    from moto import mock_aws

    from mlops.local.plugins import model_package_events

    model_package_events.install()
    with mock_aws():
        sqs, events, sagemaker = (boto3.client(s, region_name="us-east-1") for s in ("sqs", "events", "sagemaker"))
        queue = sqs.create_queue(QueueName="seen")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(
            Name="approved",
            EventPattern=json.dumps(
                {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Model Package State Change"],
                    "detail": {"ModelPackageGroupName": ["g"], "ModelApprovalStatus": ["Approved"]},
                }
            ),
        )
        events.put_targets(Rule="approved", Targets=[{"Id": "q", "Arn": queue_arn}])
        sagemaker.create_model_package_group(ModelPackageGroupName="g")
        spec = {
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://b/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        }
        pending = sagemaker.create_model_package(
            ModelPackageGroupName="g",
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification=spec,
            CustomerMetadataProperties={"data_version": "v1"},
        )["ModelPackageArn"]
        approved = sagemaker.create_model_package(
            ModelPackageGroupName="g", ModelApprovalStatus="Approved", InferenceSpecification=spec
        )["ModelPackageArn"]
        sagemaker.update_model_package(
            ModelPackageArn=pending, ModelApprovalStatus="Approved", ApprovalDescription="ok"
        )
        sagemaker.update_model_package(ModelPackageArn=pending, ApprovalDescription="still ok")  # no status change
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        seen = [json.loads(m["Body"]) for m in received]
        assert [e["resources"] for e in seen] == [[approved], [pending]]
        event = seen[1]
        assert (event["source"], event["detail-type"], event["version"]) == (
            "aws.sagemaker",
            "SageMaker Model Package State Change",
            "0",
        )
        detail = event["detail"]
        assert detail["ModelPackageArn"] == pending and detail["ModelPackageGroupName"] == "g"
        assert (detail["ModelPackageVersion"], detail["ModelApprovalStatus"]) == (1, "Approved")
        assert detail["ModelPackageStatus"] == "Completed" and detail["InferenceSpecification"]["Containers"]
        assert detail["CreationTime"].endswith("Z") and detail["ApprovalDescription"] == "ok"
        # what an update does not name is kept, as on SageMaker
        described = sagemaker.describe_model_package(ModelPackageName=pending)
        assert described["ModelApprovalStatus"] == "Approved" and described["ApprovalDescription"] == "still ok"
        assert described["CustomerMetadataProperties"] == {"data_version": "v1"}


def test_sagemaker_transform_job_model_hook() -> None:
    """mlops/local/plugins/sagemaker.py runs transform jobs from these attributes and sets the status ones."""
    from moto.sagemaker.models import FakeTransformJob, SageMakerModelBackend

    source = inspect.getsource(SageMakerModelBackend.create_transform_job)
    assert "self.transform_jobs[" in source and "return" in source
    init = inspect.getsource(FakeTransformJob.__init__)
    for attribute in (
        "transform_job_name",
        "model_name",
        "batch_strategy",
        "max_payload_in_mb",
        "environment",
        "transform_input",
        "transform_output",
        "data_processing",
        "transform_job_status",
        "failure_reason",
        "transform_start_time",
        "transform_end_time",
        "last_modified_time",
    ):
        assert f"self.{attribute}" in init, attribute
    response_object = vars(FakeTransformJob)["response_object"]
    assert isinstance(response_object, property) and response_object.fget is not None
    assert "v is not None" in inspect.getsource(response_object.fget)
    # MaxPayloadInMB keeps its capitalisation in Describe answers through this override
    assert "MB" in inspect.getsource(FakeTransformJob.camelCase)


# mlops/local/plugins/scheduler.py -----------------------------------------------------------
def test_scheduler_backend_hooks() -> None:
    from moto.scheduler import models

    create = inspect.signature(models.EventBridgeSchedulerBackend.create_schedule).parameters
    assert {
        "description",
        "end_date",
        "flexible_time_window",
        "group_name",
        "kms_key_arn",
        "name",
        "schedule_expression",
        "schedule_expression_timezone",
        "start_date",
        "state",
        "target",
        "action_after_completion",
    } <= set(create)
    assert list(inspect.signature(models.EventBridgeSchedulerBackend.delete_schedule).parameters) == [
        "self",
        "group_name",
        "name",
    ]
    init = inspect.getsource(models.Schedule.__init__)
    for attribute in ("self.schedule_expression", "self.state", "self.target", "self.creation_date", "self.arn"):
        assert attribute in init, attribute
    assert "self.schedules" in inspect.getsource(models.ScheduleGroup.__init__)
    assert "self.schedule_groups" in inspect.getsource(models.EventBridgeSchedulerBackend.__init__)
    assert "cloudformation" not in inspect.getsource(models).lower(), "moto may now create schedules from templates"


def test_cloudwatch_alarm_hooks() -> None:
    from moto.cloudformation.parsing import get_model_map
    from moto.cloudwatch import models

    parameters = inspect.signature(models.CloudWatchBackend.put_metric_alarm).parameters
    assert {
        "name",
        "namespace",
        "metric_name",
        "dimensions",
        "alarm_actions",
        "ok_actions",
        "treat_missing_data",
    } <= set(parameters)
    assert list(inspect.signature(models.CloudWatchBackend.delete_alarms).parameters) == ["self", "alarm_names"]
    get_model_map.cache_clear()
    assert "AWS::CloudWatch::Alarm" not in {
        k for k, v in get_model_map().items() if v.__module__.startswith("moto.")
    }, "moto may now create alarms from templates itself"


def test_lambda_backend_invoke_hook() -> None:
    from moto.awslambda.models import LambdaBackend, LambdaFunction

    assert list(inspect.signature(LambdaBackend.invoke).parameters) == [
        "self",
        "function_name",
        "qualifier",
        "body",
        "headers",
        "response_headers",
    ]
    assert '"x-amz-function-error"' in inspect.getsource(LambdaFunction.invoke)
