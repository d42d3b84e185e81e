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
2. The job's stdout and stderr, each line stamped when it was written, go to CloudWatch Logs
   (moto's logs API) as on SageMaker: `/aws/sagemaker/TrainingJobs`,
   `/aws/sagemaker/TransformJobs` or
   `/aws/sagemaker/ProcessingJobs`, stream `<job name>/algo-1-<start epoch>`, written when the
   job ends and before its status turns terminal (mlops/local/job_logs.py).
3. Injected faults (`mlops.local.faults`): `CreateTrainingJob`/`CreateProcessingJob`/`CreateTransformJob` first
   consult the fault registry and, when a fault is pending, raise moto's `JsonRESTError` with
   its code, message and HTTP status, before anything is created: every client (boto3 then
   raises e.g. `SageMaker.Client.exceptions.ResourceLimitExceeded`) and the Step Functions
   integration (e.g. `SageMaker.ResourceLimitExceededException`) see the real API's error.

`install` also installs that integration (sagemaker_step_functions.py): Step Functions tasks
that create these jobs (`.sync` too) or models, endpoint configs and endpoints.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

from mlops.local import faults, job_logs, sagemaker_jobs, transform_jobs
from mlops.local.plugins import sagemaker_step_functions
from mlops.local.plugins._contract import require, run_once
from mlops.pipeline.job_logs import LOG_GROUPS, stream_name

logger = logging.getLogger("mlops.local")

_LOG_GROUPS: dict[str, str] = {
    "training": LOG_GROUPS["training"],
    "processing": LOG_GROUPS["processing"],
    "transform": "/aws/sagemaker/TransformJobs",
}


@run_once
def install(endpoint_url: str) -> None:
    """Call in the server process before it serves its first request."""
    _run_jobs_for_real(endpoint_url)
    sagemaker_step_functions.install()


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
