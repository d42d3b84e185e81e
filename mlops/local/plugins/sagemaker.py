"""SageMaker training, processing and batch transform jobs in the local cloud (moto 5.2.5), in the server process.

Gaps bridged (tests/integration/test_moto_contract.py guards every internal used):

1. moto's `CreateTrainingJob`/`CreateProcessingJob`/`CreateTransformJob` store the request and
   report `Completed` at once, running nothing. Here the backend's `create_*_job` mark the job
   `InProgress` and run it for real on a background thread (`mlops.local.sagemaker_jobs`,
   `mlops.local.transform_jobs`), for every client, as SageMaker does. When it ends, the job
   (moto's `FakeTrainingJob`/`FakeProcessingJob`, whose describe output is built from its
   attributes) gets `Completed`/`Failed`/`Stopped`, `SecondaryStatus`, `FailureReason`,
   start/end times, `TrainingTimeInSeconds` and `BillableTimeInSeconds` (equal: managed spot
   savings are not simulated), and `ModelArtifacts` where the model really is; a transform job
   (`FakeTransformJob`) gets its status, `FailureReason` and `TransformStartTime`/`EndTime`.
2. moto's Step Functions interpreter refuses `arn:aws:states:::sagemaker:*` (its factory lists
   `sagemaker` as unsupported). `state_task_service_for` is patched (in the factory module and
   where `state_task_factory` imported it) to return `StateTaskServiceSageMaker` for
   `createTrainingJob`, `createProcessingJob` and `createTransformJob`, request-response and `.sync`. As on AWS, `.sync`
   polls the Describe API and outputs its answer (timestamps as epoch milliseconds); a job that
   ends `Failed` or `Stopped` fails the task with `States.TaskFailed` and the Describe output
   (including `FailureReason`) as JSON cause. `createModel`, `createEndpointConfig`,
   `createEndpoint` and `updateEndpoint` are request-response tasks (as on AWS, where they have
   no `.sync`), answered by `plugins.endpoints`. An API error fails any of them with the name Step
   Functions gives it: `SageMaker.<Code>Exception` for the errors the SageMaker API models
   (`ResourceLimitExceeded`, `ResourceInUse`, `ResourceNotFound`, ...: the SDK's exception
   classes), `SageMaker.AmazonSageMakerException` for the rest (validation, throttling), with
   the service's message and code as cause (`step_functions_error` lists the names). moto's
   `.sync` loop itself fails for any service without `.waitForTaskToken` (it calls
   `interrupt_all()` on a `None` callback endpoint), so the class runs its own polling loop
   (`_eval_integration_pattern`).
   The job's stdout and stderr, each line stamped when it was written, go to CloudWatch Logs
   (moto's logs API) as on SageMaker: `/aws/sagemaker/TrainingJobs`,
   `/aws/sagemaker/TransformJobs` or
   `/aws/sagemaker/ProcessingJobs`, stream `<job name>/algo-1-<start epoch>`, written when the
   job ends and before its status turns terminal (mlops/local/job_logs.py).
3. Injected faults (`mlops.local.faults`): `CreateTrainingJob`/`CreateProcessingJob`/`CreateTransformJob` first
   consult the fault registry and, when a fault is pending, raise moto's `JsonRESTError` with
   its code, message and HTTP status, before anything is created: every client (boto3 then
   raises e.g. `SageMaker.Client.exceptions.ResourceLimitExceeded`) and the Step Functions
   integration above (e.g. `SageMaker.ResourceLimitExceededException`) see the real API's error.
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mlops.local import faults, job_logs, sagemaker_jobs, transform_jobs
from mlops.local.plugins._contract import require, run_once
from mlops.pipeline.job_logs import LOG_GROUPS, stream_name

logger = logging.getLogger("mlops.local")

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
_LOG_GROUPS: dict[str, str] = {
    "training": LOG_GROUPS["training"],
    "processing": LOG_GROUPS["processing"],
    "transform": "/aws/sagemaker/TransformJobs",
}
_POLL_SECONDS = 0.5


@run_once
def install(endpoint_url: str) -> None:
    """Call in the server process before it serves its first request."""
    _run_jobs_for_real(endpoint_url)
    _register_step_functions_integration()


# 1 ----------------------------------------------------------------------------------------
def _s3_client(endpoint_url: str, region: str, service: str = "s3") -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the local cloud's fixed credentials
    )


def _apply(job: Any, result: sagemaker_jobs.JobResult, kind: str) -> None:
    if kind == "training":
        job.training_start_time = result.started
        job.training_end_time = result.ended
        job.training_time_in_seconds = result.seconds
        job.billable_time_in_seconds = result.seconds
        if result.model_artifacts:
            job.model_artifacts = {"S3ModelArtifacts": result.model_artifacts}
        else:
            job.model_artifacts = None
        job.secondary_status = result.secondary_status
        job.secondary_status_transitions = [
            *job.secondary_status_transitions,
            {"Status": result.secondary_status, "StartTime": result.ended, "EndTime": result.ended},
        ]
    elif kind == "processing":
        job.processing_start_time = result.started
        job.processing_end_time = result.ended
    else:
        job.transform_start_time = result.started
        job.transform_end_time = result.ended
    if result.failure_reason:
        job.failure_reason = result.failure_reason
    if result.status != "Completed" and kind != "transform":
        job.exit_message = sagemaker_jobs._tail(result.logs) or None
    job.last_modified_time = result.ended
    setattr(job, f"{kind}_job_status", result.status)


def _run_in_background(job: Any, kind: str, request: dict[str, Any], endpoint_url: str, region: str) -> None:
    def runner(s3: Any) -> sagemaker_jobs.JobResult:
        if kind == "transform":
            sagemaker = _s3_client(endpoint_url, region, "sagemaker")
            return transform_jobs.run_transform_job(request, s3, sagemaker, endpoint_url=endpoint_url, region=region)
        run = sagemaker_jobs.run_training_job if kind == "training" else sagemaker_jobs.run_processing_job
        return run(request, s3, endpoint_url=endpoint_url, region=region)

    def work() -> None:
        try:
            result = runner(_s3_client(endpoint_url, region))
        except Exception as exc:  # the job fails; the server goes on
            logger.exception("%s job %s crashed", kind, request.get(f"{kind.title()}JobName"))
            now = sagemaker_jobs._now()
            result = sagemaker_jobs.JobResult("Failed", "Failed", now, now, f"InternalServerError: {exc}"[:1024])
        name = str(request.get(f"{kind.title()}JobName"))
        logger.info("%s job %s: %s", kind, name, result.status)
        _publish_logs(kind, name, result, endpoint_url, region)
        _apply(job, result, kind)

    threading.Thread(target=work, name=f"sagemaker-{kind}-job", daemon=True).start()


def _publish_logs(kind: str, name: str, result: sagemaker_jobs.JobResult, endpoint_url: str, region: str) -> None:
    """The job's output into its SageMaker log group and stream, before its status turns terminal."""
    group = _LOG_GROUPS[kind]
    stream = stream_name(name, result.started)
    try:
        written = job_logs.publish(_s3_client(endpoint_url, region, "logs"), group, stream, result.log_lines)
    except Exception:  # the logs are lost, the job's outcome is not
        logger.exception("cannot write the logs of %s job %s to %s", kind, name, group)
        return
    logger.info("%s job %s: %d log event(s) in %s %s", kind, name, written, group, stream)


def _run_jobs_for_real(endpoint_url: str) -> None:
    backend_class = require("moto.sagemaker.models", "SageMakerModelBackend")
    create_training = require("moto.sagemaker.models", "SageMakerModelBackend.create_training_job")
    create_processing = require("moto.sagemaker.models", "SageMakerModelBackend.create_processing_job")
    create_transform = require("moto.sagemaker.models", "SageMakerModelBackend.create_transform_job")

    json_error = require("moto.core.exceptions", "JsonRESTError")

    def raise_injected(operation: str) -> None:
        fault = faults.take("sagemaker", operation)
        if fault is not None:
            logger.info("injected fault: %s answers %s", operation, fault.code)
            error = json_error(fault.code, fault.message)
            error.code = fault.status
            raise error

    @functools.wraps(create_training)
    def create_training_job(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise_injected("CreateTrainingJob")
        job = create_training(self, *args, **kwargs)
        request = {
            "TrainingJobName": job.training_job_name,
            "AlgorithmSpecification": job.algorithm_specification,
            "HyperParameters": job.hyper_parameters,
            "InputDataConfig": job.input_data_config,
            "OutputDataConfig": job.output_data_config,
            "CheckpointConfig": job.checkpoint_config,
            "StoppingCondition": job.stopping_condition,
        }
        job.training_job_status = "InProgress"
        job.secondary_status = "Training"
        job.model_artifacts = None
        job.final_metric_data_list = None
        job.algorithm_specification.pop("MetricDefinitions", None)  # moto invents a ranking metric
        job.training_start_time = job.training_end_time = None
        _run_in_background(job, "training", request, endpoint_url, self.region_name)
        return job

    @functools.wraps(create_processing)
    def create_processing_job(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise_injected("CreateProcessingJob")
        job = create_processing(self, *args, **kwargs)
        request = {
            "ProcessingJobName": job.processing_job_name,
            "AppSpecification": job.app_specification,
            "ProcessingInputs": job.processing_inputs,
            "ProcessingOutputConfig": job.processing_output_config,
            "StoppingCondition": job.stopping_condition,
        }
        job.processing_job_status = "InProgress"
        job.processing_end_time = None
        _run_in_background(job, "processing", request, endpoint_url, self.region_name)
        return job

    @functools.wraps(create_transform)
    def create_transform_job(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise_injected("CreateTransformJob")
        job = create_transform(self, *args, **kwargs)
        request = {
            "TransformJobName": job.transform_job_name,
            "ModelName": job.model_name,
            "BatchStrategy": job.batch_strategy,
            "MaxPayloadInMB": job.max_payload_in_mb,
            "Environment": job.environment,
            "TransformInput": job.transform_input,
            "TransformOutput": job.transform_output,
            "DataProcessing": job.data_processing,
        }
        job.transform_job_status = "InProgress"
        job.failure_reason = None  # moto's "" would show as an empty FailureReason
        job.transform_start_time = job.transform_end_time = None
        _run_in_background(job, "transform", request, endpoint_url, self.region_name)
        return job

    backend_class.create_training_job = create_training_job
    backend_class.create_processing_job = create_processing_job
    backend_class.create_transform_job = create_transform_job


# 2 ----------------------------------------------------------------------------------------
def _register_step_functions_integration() -> None:
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
