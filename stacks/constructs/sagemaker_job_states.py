"""Step Functions task states that run SageMaker jobs synchronously (`.sync`).

Explicit `CustomState` parameters: the L2 `SageMakerCreateTrainingJob` has no managed-spot or
checkpoint fields, CDK has no task for processing jobs, and the L2 `SageMakerCreateTransformJob`
takes its split and compression as synth-time enums (one job per format needs them from the
plan) and creates a role with AmazonSageMakerFullAccess unless given one (a transform job runs
as its model's role; it has none of its own). The job name carries the state's
retry count, so a retried state never collides with the job its failed attempt created.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from mlops.config import TrainingConfig
from mlops.pipeline.job_contract import EVALUATION_ARGUMENTS

#: Step Functions error names of SageMaker API errors worth retrying. Step Functions names an
#: API error after the SDK's exception class: only the codes SageMaker models get a class of
#: their own; every other code (ValidationException, throttling, ...) is the one generic
#: `SageMaker.AmazonSageMakerException`. Retrying that would retry permanent validation errors
#: for minutes, so only the modelled capacity/limit error is retried.
TRANSIENT_SAGEMAKER_ERRORS = ["SageMaker.ResourceLimitExceededException"]
#: the EventBridge rules Step Functions manages to learn when a `.sync` job ends
SYNC_RULES = (
    "StepFunctionsGetEventsForSageMakerTrainingJobsRule",
    "StepFunctionsGetEventsForSageMakerProcessingJobsRule",
)
#: the rule Step Functions manages to learn when a `.sync` transform job ends
TRANSFORM_SYNC_RULE = "StepFunctionsGetEventsForSageMakerTransformJobsRule"
CHECKPOINT_DIR = "/opt/ml/checkpoints"
PROCESSING = "/opt/ml/processing"
#: Nitro instances with local NVMe storage reject `VolumeKmsKeyId` (their instance storage is
#: always hardware-encrypted): g4dn, g5, p3dn, p4d, p5, trn1, m5d, c5d, ...
_INSTANCE_STORAGE = re.compile(r"^ml\.([a-z]+\d+[a-z]*d[a-z]*|g5|g6|g6e|p5|p5e|trn1|inf2)\.")


def has_instance_storage(instance_type: str) -> bool:
    return bool(_INSTANCE_STORAGE.match(instance_type))


@dataclass(frozen=True, kw_only=True)
class JobSettings:
    """What every job of the pipeline shares."""

    role_arn: str
    image_uri: str
    key_arn: str
    tags: Mapping[str, str]
    network_isolation: bool
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()

    def tag_list(self) -> list[dict[str, str]]:
        return [{"Key": key, "Value": value} for key, value in sorted(self.tags.items())]

    def vpc(self) -> dict[str, object]:
        """`{"VpcConfig": ...}` for jobs that run in the configured VPC, else nothing."""
        if not self.subnet_ids:
            return {}
        return {"VpcConfig": {"Subnets": list(self.subnet_ids), "SecurityGroupIds": list(self.security_group_ids)}}


def _volume(instance_type: str, key_arn: str) -> dict[str, object]:
    return {} if has_instance_storage(instance_type) else {"VolumeKmsKeyId": key_arn}


def training_job_parameters(job: JobSettings, training: TrainingConfig, output_path: str) -> dict[str, object]:
    """CreateTrainingJob: name, data manifest, hyperparameters and checkpoint prefix come from `$.run`."""
    stopping: dict[str, object] = {"MaxRuntimeInSeconds": training.max_run_seconds}
    parameters: dict[str, object] = {
        "TrainingJobName.$": "States.Format('{}-t{}', $.run.job_name, $$.State.RetryCount)",
        "RoleArn": job.role_arn,
        "AlgorithmSpecification": {"TrainingImage": job.image_uri, "TrainingInputMode": "File"},
        "HyperParameters.$": "$.run.hyperparameters",
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "ManifestFile",
                        "S3Uri.$": "$.run.manifest_uri",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": output_path, "KmsKeyId": job.key_arn},
        "ResourceConfig": {
            "InstanceType": training.instance_type,
            "InstanceCount": training.instance_count,
            "VolumeSizeInGB": training.volume_size_gb,
            **_volume(training.instance_type, job.key_arn),
        },
        "StoppingCondition": stopping,
        "EnableNetworkIsolation": job.network_isolation,
        **job.vpc(),
        "Tags": job.tag_list(),
    }
    if training.use_spot:
        stopping["MaxWaitTimeInSeconds"] = training.max_wait_seconds or training.max_run_seconds
        parameters["EnableManagedSpotTraining"] = True
        # the same prefix for every attempt of a run: a retried or interrupted job resumes
        parameters["CheckpointConfig"] = {"S3Uri.$": "$.run.checkpoint_uri", "LocalPath": CHECKPOINT_DIR}
    return parameters


def _s3_input(name: str, local: str, uri: Mapping[str, str], data_type: str = "S3Prefix") -> dict[str, object]:
    return {
        "InputName": name,
        "S3Input": {
            **uri,
            "LocalPath": f"{PROCESSING}/{local}",
            "S3DataType": data_type,
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def evaluation_job_parameters(
    job: JobSettings, *, script_uri: str, script_key: str, instance_type: str, max_runtime_seconds: int
) -> dict[str, object]:
    """CreateProcessingJob running evaluate.py on the trained model and the run's data manifest,
    with the dataset's target and id columns as arguments; evaluation.json lands under
    `$.run.evaluation_prefix`."""
    return {
        "ProcessingJobName.$": "States.Format('{}-e{}', $.run.job_name, $$.State.RetryCount)",
        "RoleArn": job.role_arn,
        "AppSpecification": {
            "ImageUri": job.image_uri,
            "ContainerEntrypoint": ["python3", f"{PROCESSING}/input/code/{script_key}"],
            # the dataset's target and id columns, as the training job got them
            "ContainerArguments.$": EVALUATION_ARGUMENTS,
        },
        "ProcessingInputs": [
            _s3_input("code", "input/code", {"S3Uri": script_uri}),
            _s3_input("model", "model", {"S3Uri.$": "$.training.model_uri"}),
            _s3_input("test", "test", {"S3Uri.$": "$.run.manifest_uri"}, "ManifestFile"),
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "evaluation",
                    "S3Output": {
                        "S3Uri.$": "$.run.evaluation_prefix",
                        "LocalPath": f"{PROCESSING}/evaluation",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ],
            "KmsKeyId": job.key_arn,
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceType": instance_type,
                "InstanceCount": 1,
                "VolumeSizeInGB": 30,
                **_volume(instance_type, job.key_arn),
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime_seconds},
        "NetworkConfig": {"EnableNetworkIsolation": job.network_isolation, **job.vpc()},
        "Tags": job.tag_list(),
    }


def transform_job_parameters(job: JobSettings, *, instance_type: str, accept: str) -> dict[str, object]:
    """CreateTransformJob over one part of a batch plan (mlops/serving/batch.py), run inside a
    Map whose items carry `part` and the plan's `model_name`, `output_uri` and `environment`.
    Outputs are assembled by line: one prediction line per data row, in input order."""
    return {
        "TransformJobName.$": "States.Format('{}-r{}', $.part.job_name, $$.State.RetryCount)",
        "ModelName.$": "$.model_name",
        "BatchStrategy.$": "$.part.batch_strategy",
        "MaxPayloadInMB.$": "$.part.max_payload_mb",
        "Environment.$": "$.environment",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "ManifestFile", "S3Uri.$": "$.part.manifest_uri"}},
            "ContentType.$": "$.part.content_type",
            "SplitType.$": "$.part.split_type",
            "CompressionType.$": "$.part.compression_type",
        },
        "TransformOutput": {
            "S3OutputPath.$": "$.output_uri",
            "Accept": accept,
            "AssembleWith": "Line",
            "KmsKeyId": job.key_arn,
        },
        "TransformResources": {
            "InstanceType": instance_type,
            "InstanceCount": 1,
            **_volume(instance_type, job.key_arn),
        },
        "Tags": job.tag_list(),
    }


def sync_job_state(
    scope: Construct,
    id_: str,
    *,
    action: str,
    parameters: Mapping[str, object],
    result_selector: Mapping[str, object],
    result_path: str,
    attempts: int,
) -> sfn.CustomState:
    """A `sagemaker:<action>.sync` task that retries transient SageMaker errors with backoff."""
    state = sfn.CustomState(
        scope,
        id_,
        state_json={
            "Type": "Task",
            "Resource": f"arn:{Stack.of(scope).partition}:states:::sagemaker:{action}.sync",
            "Parameters": dict(parameters),
            "ResultSelector": dict(result_selector),
            "ResultPath": result_path,
        },
    )
    state.add_retry(
        errors=TRANSIENT_SAGEMAKER_ERRORS,
        interval=Duration.seconds(30),
        max_attempts=attempts,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
    return state
