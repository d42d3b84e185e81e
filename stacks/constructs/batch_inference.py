"""Batch inference: a model package version over a data version, with the endpoint's inference code.

Resolve (Lambda: the package, its SageMaker Model, created when missing, the data version's
objects, one transform job per format) -> Transform (a Map over the plan's parts, each a
`sagemaker:createTransformJob.sync`) -> Record (Lambda: `batch/<dataset>/<batch id>/record.json`
beside the predictions) -> Notify. Every failure is caught, recorded, notified and ends in a
Fail state with the recorded error.

IAM, exactly: the state machine creates/describes/stops transform jobs named with the project
prefix and passes no role (a transform job runs as its model's role); the resolve function
passes only the model role, to SageMaker only, creating models named with the prefix. The
model role reads the configured datasets' content-addressed objects (IAM cannot narrow that to
one version: objects are shared by content between versions; the job's manifest names the
version's own) and reads and writes only `batch/` in the artifacts bucket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from mlops import layout
from mlops.config import LambdaConfig
from mlops.serving.batch import ACCEPT, FORMATS
from stacks.common import log_retention
from stacks.constructs.grants import grant_key_use, grant_object_read, grant_object_write
from stacks.constructs.python_function import FunctionFactory, PythonFunction
from stacks.constructs.sagemaker_job_states import (
    TRANSFORM_SYNC_RULE,
    JobSettings,
    sync_job_state,
    transform_job_parameters,
)
from stacks.constructs.workflow import lambda_step, notification
from stacks.nag import acknowledge_wildcard_resource


@dataclass(frozen=True, kw_only=True)
class BatchInferenceProps:
    prefix: str
    state_machine_name: str
    datasets: Sequence[str]
    model_package_groups: Sequence[str]
    model_role: iam.Role
    data_lake: s3.IBucket
    data_key: kms.IKey
    artifacts: s3.IBucket
    artifacts_key: kms.IKey
    registry: dynamodb.ITableV2
    topic: sns.ITopic
    tags: Mapping[str, str]
    instance_type: str
    lambda_settings: LambdaConfig
    config_json: str
    build_root: Path
    removal_policy: RemovalPolicy
    timeout_hours: int = 24
    attempts: int = 3


class BatchInference(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: BatchInferenceProps) -> None:
        super().__init__(scope, id_)
        self._stack = Stack.of(self)
        functions = FunctionFactory(
            prefix=props.prefix,
            settings=props.lambda_settings,
            config_json=props.config_json,
            build_root=props.build_root,
            log_key=props.artifacts_key,
            removal_policy=props.removal_policy,
        )
        self.resolve_fn = functions.create(
            self,
            "ResolveFunction",
            "batch_resolve",
            "Plan a batch transform: model version, SageMaker Model, the data version's objects",
            environment={
                "REGISTRY_TABLE": props.registry.table_name,
                "ARTIFACTS_BUCKET": props.artifacts.bucket_name,
                "MODEL_ROLE_ARN": props.model_role.role_arn,
            },
        )
        self.record_fn = functions.create(
            self,
            "RecordFunction",
            "batch_record",
            "Record which model and data version produced a batch's predictions",
            environment={"ARTIFACTS_BUCKET": props.artifacts.bucket_name},
        )
        self._grant_model_role(props)
        self._grant_functions(props)
        self.state_machine = self._state_machine(props)
        self._grant_state_machine(props)

    def _arn(self, service: str, resource: str, name: str) -> str:
        return self._stack.format_arn(service=service, resource=resource, resource_name=name)

    # ----------------------------------------------------------------------------------------
    # IAM

    def _grant_model_role(self, props: BatchInferenceProps) -> None:
        role = props.model_role
        for dataset in props.datasets:
            grant_object_read(props.data_lake, role, layout.dataset_objects_prefix(dataset))
        grant_key_use(props.data_key, role, encrypt=False)
        grant_object_read(props.artifacts, role, layout.BATCH)  # the jobs' manifests
        grant_object_write(props.artifacts, role, layout.BATCH)

    def _grant_functions(self, props: BatchInferenceProps) -> None:
        resolve = self.resolve_fn.role
        resolve.add_to_policy(
            iam.PolicyStatement(actions=["dynamodb:GetItem", "dynamodb:Query"], resources=[props.registry.table_arn])
        )
        for dataset in props.datasets:
            grant_object_read(props.data_lake, resolve, f"{layout.VERSIONS}{dataset}/")  # manifests
            grant_object_read(props.data_lake, resolve, layout.dataset_objects_prefix(dataset))  # CSV headers
        grant_key_use(props.data_key, resolve, encrypt=False)
        grant_object_write(props.artifacts, resolve, layout.BATCH)
        grant_key_use(props.artifacts_key, resolve, encrypt=True)

        packages = [self._arn("sagemaker", "model-package", f"{g.lower()}/*") for g in props.model_package_groups]
        resolve.add_to_policy(
            iam.PolicyStatement(
                actions=["sagemaker:DescribeModelPackage"],
                resources=packages,
            )
        )
        resolve.add_to_policy(iam.PolicyStatement(actions=["sagemaker:ListModelPackages"], resources=["*"]))
        Validations.of(resolve).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="sagemaker:ListModelPackages supports no resource-level permissions; it is read-only",
            )
        )
        models = self._arn("sagemaker", "model", f"{props.prefix}-*")
        resolve.add_to_policy(
            iam.PolicyStatement(
                actions=["sagemaker:DescribeModel", "sagemaker:CreateModel", "sagemaker:AddTags"], resources=[models]
            )
        )
        resolve.add_to_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[props.model_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        for arn in packages:
            acknowledge_wildcard_resource(resolve, arn, "reads the versions of its own model package group only")
        acknowledge_wildcard_resource(
            resolve, models, "SageMaker Models named with the project prefix, one per version"
        )

        record = self.record_fn.role
        grant_object_read(props.artifacts, record, layout.BATCH)  # lists what the jobs wrote
        grant_object_write(props.artifacts, record, layout.BATCH)
        grant_key_use(props.artifacts_key, record, encrypt=True)

    def _grant_state_machine(self, props: BatchInferenceProps) -> None:
        role = self.state_machine.role
        jobs = self._arn("sagemaker", "transform-job", f"{props.prefix}-*")
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateTransformJob",
                    "sagemaker:DescribeTransformJob",
                    "sagemaker:StopTransformJob",
                    "sagemaker:AddTags",
                ],
                resources=[jobs],
            )
        )
        acknowledge_wildcard_resource(
            role, jobs, "SageMaker transform jobs named with the project prefix, one per part"
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[self._arn("events", "rule", TRANSFORM_SYNC_RULE)],
            )
        )
        grant_key_use(props.data_key, role, encrypt=True)  # the notifications topic's key
        for fn in (self.resolve_fn, self.record_fn):
            acknowledge_wildcard_resource(
                role, f"{fn.function.function_arn}:*", "invokes any published version of its own function"
            )

    # ----------------------------------------------------------------------------------------
    # The workflow

    def _record(self, name: str, outcome: str) -> tasks.LambdaInvoke:
        payload = {
            "outcome": outcome,
            "state.$": "$",
            "execution_id.$": "$$.Execution.Id",
            "execution_name.$": "$$.Execution.Name",
            "started_at.$": "$$.Execution.StartTime",
        }
        return lambda_step(
            self, name, self.record_fn.function, payload=sfn.TaskInput.from_object(payload), result_path="$.record"
        )

    def _notify(self, name: str, topic: sns.ITopic, subject: str, then: sfn.State) -> sfn.Chain:
        """A lost notification never changes the batch's recorded outcome."""
        task = notification(
            self,
            name,
            topic,
            subject=subject,
            message=sfn.TaskInput.from_object(
                {"execution": sfn.JsonPath.execution_id, "batch": sfn.JsonPath.object_at("$.record")}
            ),
        )
        task.add_catch(then, result_path="$.notify_failure")
        return task.next(then)

    def _failure_path(self, props: BatchInferenceProps) -> sfn.IChainable:
        record = self._record("RecordFailure", "failed")
        fail = sfn.Fail(self, "BatchFailed", error_path="$.record.error", cause_path="$.record.cause")
        notify = self._notify("NotifyFailure", props.topic, "Batch inference failed", fail)
        unrecorded = sfn.Pass(
            self,
            "BatchNotRecorded",
            parameters={
                "status": "failed",
                "error": "Mlops.BatchNotRecorded",
                "cause.$": (
                    "States.Format('{}: {} (the batch could not be recorded: {})', "
                    "$.failure.Error, $.failure.Cause, $.record_failure.Cause)"
                ),
            },
            result_path="$.record",
        )
        record.add_catch(unrecorded, result_path="$.record_failure")
        unrecorded.next(notify)
        record.next(notify)
        return record

    def _transform(self, props: BatchInferenceProps) -> sfn.Map:
        job = JobSettings(
            role_arn=props.model_role.role_arn,
            image_uri="",
            key_arn=props.artifacts_key.key_arn,
            tags=props.tags,
            network_isolation=False,
        )
        transform = sync_job_state(
            self,
            "Transform",
            action="createTransformJob",
            parameters=transform_job_parameters(job, instance_type=props.instance_type, accept=ACCEPT),
            result_selector={
                "job_name.$": "$.TransformJobName",
                "status.$": "$.TransformJobStatus",
                "started_at.$": "$.TransformStartTime",
                "ended_at.$": "$.TransformEndTime",
            },
            result_path="$",
            attempts=props.attempts,
        )
        parts = sfn.Map(
            self,
            "TransformParts",
            items_path="$.plan.parts",
            item_selector={
                "part.$": "$$.Map.Item.Value",
                "model_name.$": "$.plan.model_name",
                "output_uri.$": "$.plan.output_uri",
                "environment.$": "$.plan.environment",
            },
            max_concurrency=len(FORMATS),
            result_path="$.jobs",
        )
        parts.item_processor(transform)
        return parts

    def _state_machine(self, props: BatchInferenceProps) -> sfn.StateMachine:
        failure = self._failure_path(props)
        resolve = lambda_step(
            self,
            "Resolve",
            self.resolve_fn.function,
            payload=sfn.TaskInput.from_object({"request.$": "$", "execution_name.$": "$$.Execution.Name"}),
            result_path="$.plan",
        )
        transform = self._transform(props)
        record = self._record("RecordSuccess", "succeeded")
        notify = self._notify(
            "NotifySuccess", props.topic, "Batch inference done", sfn.Succeed(self, "Done", output_path="$.record")
        )
        for step in (resolve, transform, record):
            step.add_catch(failure, result_path="$.failure")
        definition = resolve.next(transform).next(record).next(notify)

        log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"/aws/vendedlogs/states/{props.state_machine_name}",
            retention=log_retention(props.lambda_settings.log_retention_days),
            encryption_key=props.artifacts_key,
            removal_policy=props.removal_policy,
        )
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=props.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(props.timeout_hours),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        Validations.of(machine.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray tracing and CloudWatch Logs delivery actions support no resource scoping",
            )
        )
        return machine


__all__ = ["BatchInference", "BatchInferenceProps", "PythonFunction"]
