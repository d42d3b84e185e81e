"""The Step Functions integration of SageMaker in the local cloud (moto 5.2.5): task states with
`arn:aws:states:::sagemaker:*` resources, which moto's interpreter refuses (its factory lists
`sagemaker` as unsupported). Installed by plugins.sagemaker, after the jobs it polls run for real.

Gaps bridged (tests/integration/test_moto_contract.py guards every internal used):

1. `state_task_service_for` is patched (in the factory module and where `state_task_factory`
   imported it) to return `StateTaskServiceSageMaker` for `createTrainingJob`,
   `createProcessingJob` and `createTransformJob`, request-response and `.sync`. As on AWS,
   `.sync` polls the Describe API and outputs its answer (timestamps as epoch milliseconds); a
   job that ends `Failed` or `Stopped` fails the task with `States.TaskFailed` and the Describe
   output (including `FailureReason`) as JSON cause. `createModel`, `createEndpointConfig`,
   `createEndpoint` and `updateEndpoint` are request-response tasks (as on AWS, where they have
   no `.sync`), answered by `plugins.endpoints`.
2. An API error fails any of them with the name Step Functions gives it: `SageMaker.<Code>Exception`
   for the errors the SageMaker API models (`ResourceLimitExceeded`, `ResourceInUse`,
   `ResourceNotFound`, ...: the SDK's exception classes), `SageMaker.AmazonSageMakerException`
   for the rest (validation, throttling), with the service's message and code as cause
   (`step_functions_error` lists the names).
3. moto's `.sync` loop itself fails for any service without `.waitForTaskToken` (it calls
   `interrupt_all()` on a `None` callback endpoint), so the class runs its own polling loop
   (`_eval_integration_pattern`).
"""

from __future__ import annotations

import functools
import importlib
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mlops.local.plugins._contract import require, run_once

_FACTORY = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_factory"
_TASK_FACTORY = "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_factory"
_SERVICE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"

#: The error shapes botocore's SageMaker model declares (shape name == error code, no
#: `error.code` override; tests/unit/local/test_sagemaker_names.py checks the set against botocore).
_MODELLED_ERRORS = frozenset(
    {
        "ConflictException",
        "ResourceAlreadyExists",
        "ResourceInUse",
        "ResourceLimitExceeded",
        "ResourceNotFound",
    }
)


def step_functions_error(code: str) -> str:
    """The error name Step Functions gives a SageMaker API error code.

    Step Functions names a service error `SageMaker.<exception class>`, the class being the
    SDK's for a modelled error shape (the shape name with an `Exception` suffix where it has
    none) and the service's base `AmazonSageMakerException` for any other code:

    - `ResourceLimitExceeded` -> `SageMaker.ResourceLimitExceededException`
    - `ResourceInUse` -> `SageMaker.ResourceInUseException`
    - `ResourceNotFound` -> `SageMaker.ResourceNotFoundException`
    - `ResourceAlreadyExists` -> `SageMaker.ResourceAlreadyExistsException`
    - `ConflictException` -> `SageMaker.ConflictException`
    - anything else (`ValidationException`, `ThrottlingException`, `InternalFailure`, ...) ->
      `SageMaker.AmazonSageMakerException` (the code stays in the cause: `Error Code: ...`)
    """
    if code not in _MODELLED_ERRORS:
        return "SageMaker.AmazonSageMakerException"
    return f"SageMaker.{code}" if code.endswith("Exception") else f"SageMaker.{code}Exception"


_TERMINAL = {"Completed", "Failed", "Stopped"}
_POLL_SECONDS = 0.5


@run_once
def install() -> None:
    """Call in the server process before it serves its first request."""
    factory = require(_FACTORY, "state_task_service_for")
    require(_TASK_FACTORY, "state_task_service_for")
    factory_module = importlib.import_module(_FACTORY)
    task_factory_module = importlib.import_module(_TASK_FACTORY)
    service_class = _service_class()

    @functools.wraps(factory)
    def state_task_service_for(service_name: str) -> Any:
        if service_name == "sagemaker":
            return service_class()
        return factory(service_name)

    setattr(factory_module, "state_task_service_for", state_task_service_for)  # noqa: B010
    setattr(task_factory_module, "state_task_service_for", state_task_service_for)  # noqa: B010


def _jsonable(value: Any) -> Any:
    """Describe output as Step Functions shows it: timestamps in epoch milliseconds."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _service_class() -> type:
    callback_base = require(f"{_SERVICE}.state_task_service_callback", "StateTaskServiceCallback")
    resource_condition = require(f"{_SERVICE}.resource", "ResourceCondition")
    boto_client_for = require("moto.stepfunctions.parser.asl.utils.boto_client", "boto_client_for")
    failure_event = require("moto.stepfunctions.parser.asl.component.common.error_name.failure_event", "FailureEvent")
    failure_exception = require(
        "moto.stepfunctions.parser.asl.component.common.error_name.failure_event", "FailureEventException"
    )
    custom_error_name = require(
        "moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name", "CustomErrorName"
    )
    states_error_name = require(
        "moto.stepfunctions.parser.asl.component.common.error_name.states_error_name", "StatesErrorName"
    )
    states_error_type = require(
        "moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type", "StatesErrorNameType"
    )
    history_event_type = require("moto.stepfunctions.parser.api", "HistoryEventType")
    task_failed_details = require("moto.stepfunctions.parser.api", "TaskFailedEventDetails")
    event_details = require("moto.stepfunctions.parser.asl.eval.event.event_detail", "EventDetails")
    to_json_str = require("moto.stepfunctions.parser.asl.utils.encoding", "to_json_str")
    from botocore.exceptions import ClientError

    # API action (as in the resource ARN) -> (name parameter, Describe action, status field)
    actions: dict[str, tuple[str, str, str]] = {
        "createtrainingjob": ("TrainingJobName", "describe_training_job", "TrainingJobStatus"),
        "createprocessingjob": ("ProcessingJobName", "describe_processing_job", "ProcessingJobStatus"),
        "createtransformjob": ("TransformJobName", "describe_transform_job", "TransformJobStatus"),
    }
    # the hosting actions Step Functions integrates request-response only
    request_response = {"createmodel", "createendpointconfig", "createendpoint", "updateendpoint"}

    class StateTaskServiceSageMaker(callback_base):  # type: ignore[misc,valid-type]
        """`arn:aws:states:::sagemaker:create{Training,Processing,Transform}Job[.sync]`;
        `createModel`, `createEndpointConfig`, `createEndpoint`, `updateEndpoint` (request-response)."""

        def __init__(self) -> None:
            super().__init__(supported_integration_patterns={resource_condition.Sync})

        def _get_supported_parameters(self) -> set[str] | None:
            # an empty set: every parameter passes (SageMaker validates them)
            action = self.resource.api_action.lower()
            return set() if action in actions or action in request_response else None

        def _client(self, resource_runtime_part: Any, state_credentials: Any) -> Any:
            return boto_client_for(
                region=resource_runtime_part.region, service="sagemaker", state_credentials=state_credentials
            )

        def _task_failed(self, env: Any, error: str, cause: str) -> Any:
            name = states_error_name(typ=states_error_type.StatesTaskFailed) if error == "States.TaskFailed" else None
            return failure_event(
                env=env,
                error_name=name or custom_error_name(error_name=error),
                event_type=history_event_type.TaskFailed,
                event_details=event_details(
                    taskFailedEventDetails=task_failed_details(
                        error=error,
                        cause=cause,
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )

        def _from_error(self, env: Any, ex: Exception) -> Any:
            if isinstance(ex, ClientError):
                code = str(ex.response["Error"].get("Code", "ValidationException"))
                message = str(ex.response["Error"].get("Message", ""))
                error = step_functions_error(code)
                status = ex.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
                cause = f"{message} (Service: AmazonSageMaker; Status Code: {status}; Error Code: {code})"
                return self._task_failed(env, error, cause)
            return super()._from_error(env=env, ex=ex)

        def _eval_service_task(
            self, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], state_credentials: Any
        ) -> None:
            client = self._client(resource_runtime_part, state_credentials)
            action = self._get_boto_service_action()
            operation = client.meta.service_model.operation_model(client.meta.method_to_api_mapping.get(action, action))
            parameters = dict(normalised_parameters)
            self._to_boto_request(parameters, operation.input_shape)
            response = getattr(client, action)(**parameters)
            env.stack.append(_jsonable(response))

        def _eval_integration_pattern(
            self, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], state_credentials: Any
        ) -> None:
            # moto 5.2.5's version ends with `callback_endpoint.interrupt_all()` on an endpoint that
            # is None for a service without .waitForTaskToken, which fails every .sync task with
            # States.Runtime; this is its .sync path without that.
            resolve = self._build_sync_resolver(env, resource_runtime_part, normalised_parameters, state_credentials)
            outcome = None
            while env.is_running():
                outcome = resolve()
                if outcome:
                    break
                time.sleep(_POLL_SECONDS)
            env.stack.append(outcome)

        def _build_sync_resolver(
            self, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], state_credentials: Any
        ) -> Callable[[], Any]:
            env.stack.pop()  # the Create output; .sync outputs the Describe answer instead
            name_key, describe, status_key = actions[self.resource.api_action.lower()]
            client = self._client(resource_runtime_part, state_credentials)
            job_name = normalised_parameters[name_key]

            def resolve() -> Any:
                described = _jsonable(getattr(client, describe)(**{name_key: job_name}))
                status = described.get(status_key)
                if status not in _TERMINAL:
                    return None
                if status == "Completed":
                    return described
                raise failure_exception(self._task_failed(env, "States.TaskFailed", to_json_str(described)))

            return resolve

    return StateTaskServiceSageMaker
