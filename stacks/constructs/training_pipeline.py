"""The training workflow: resolve the data version -> train (SageMaker, managed spot, .sync) ->
evaluate (SageMaker processing, .sync) -> quality gate -> register the model package -> notify.

Training and evaluation are `CustomState`s (see sagemaker_job_states.py), which add no IAM of
their own: it is written exactly in training_pipeline_permissions.py (create/describe/stop of
jobs named with the project prefix, and PassRole of the training role to SageMaker only).

Every failure is caught, notified, and ends in a Fail state with the error and cause.
Registration is the last write, so a rejected or failed run registers nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from mlops.config import LambdaConfig, TrainingConfig
from mlops.layout import MODELS
from stacks import packaging
from stacks.common import log_retention
from stacks.constructs.python_function import FunctionFactory, PythonFunction
from stacks.constructs.sagemaker_job_states import (
    JobSettings,
    evaluation_job_parameters,
    sync_job_state,
    training_job_parameters,
)
from stacks.constructs.training_pipeline_permissions import grant_functions, grant_state_machine
from stacks.constructs.workflow import lambda_step, notification


@dataclass(frozen=True, kw_only=True)
class TrainingPipelineProps:
    prefix: str
    state_machine_name: str
    training: TrainingConfig
    tags: Mapping[str, str]
    training_role: iam.Role
    image_uri: str
    source_dir: Path
    artifacts: s3.IBucket
    artifacts_key: kms.IKey
    data_lake: s3.IBucket
    data_key: kms.IKey
    registry: dynamodb.ITableV2
    model_package_groups: list[str]
    topic: sns.ITopic
    lambda_settings: LambdaConfig
    config_json: str
    build_root: Path
    removal_policy: RemovalPolicy
    evaluation_instance_type: str = "ml.m5.large"
    evaluation_max_runtime_seconds: int = 3600
    train_attempts: int = 3


class TrainingPipeline(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: TrainingPipelineProps) -> None:
        super().__init__(scope, id_)
        self.source_dir = s3_assets.Asset(
            self, "SourceDir", path=str(packaging.source_archive(props.source_dir, props.build_root))
        )
        self.evaluate_script = s3_assets.Asset(self, "EvaluateScript", path=str(props.source_dir / "evaluate.py"))
        props.training_role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadTrainingCode",
                actions=["s3:GetObject"],
                resources=[a.bucket.arn_for_objects(a.s3_object_key) for a in (self.source_dir, self.evaluate_script)],
            )
        )
        #: the code's S3 URL, as registered in every model package (`SAGEMAKER_SUBMIT_DIRECTORY`)
        self.source_dir_url = self.source_dir.s3_object_url
        #: the code version recorded with every model: the content hash of sourcedir.tar.gz
        self.code_version = self.source_dir.asset_hash

        functions = FunctionFactory(
            prefix=props.prefix,
            settings=props.lambda_settings,
            config_json=props.config_json,
            build_root=props.build_root,
            log_key=props.artifacts_key,
            removal_policy=props.removal_policy,
        )

        def function(
            name: str, package: str, description: str, environment: dict[str, str], sections: frozenset[str]
        ) -> PythonFunction:
            return functions.create(self, name, package, description, config_sections=sections, environment=environment)

        self.resolve_fn = function(
            "ResolveFunction",
            "pipeline_resolve",
            "Resolve the data version, hyperparameters and job names of a training run",
            {"REGISTRY_TABLE": props.registry.table_name, "ARTIFACTS_BUCKET": props.artifacts.bucket_name},
            frozenset({"training"}),
        )
        self.gate_fn = function(
            "GateFunction", "pipeline_gate", "Quality gate on a model's evaluation", {}, frozenset()
        )
        self.register_fn = function(
            "RegisterFunction",
            "pipeline_register",
            "Register a model package with metrics and lineage",
            {},
            frozenset({"settings"}),
        )
        self.record_fn = function(
            "RecordFunction",
            "pipeline_record",
            "Record a training run (data version, code, hyperparameters, metrics, gate, cost, error)",
            {"REGISTRY_TABLE": props.registry.table_name},
            frozenset({"training"}),
        )
        stack = Stack.of(self)
        grant_functions(
            stack,
            resolve_fn=self.resolve_fn,
            gate_fn=self.gate_fn,
            register_fn=self.register_fn,
            record_fn=self.record_fn,
            data_lake=props.data_lake,
            data_key=props.data_key,
            artifacts=props.artifacts,
            artifacts_key=props.artifacts_key,
            registry=props.registry,
            model_package_groups=props.model_package_groups,
        )
        self.state_machine = self._state_machine(props)
        grant_state_machine(
            stack,
            self.state_machine.role,
            functions=(self.resolve_fn, self.gate_fn, self.register_fn, self.record_fn),
            prefix=props.prefix,
            training_role=props.training_role,
            data_key=props.data_key,
        )

    def grant_read_code(self, role: iam.IRole) -> None:
        """Let `role` read exactly the code archive registered with the models (an endpoint's
        container downloads `SAGEMAKER_SUBMIT_DIRECTORY` to run inference.py), nothing else of
        the assets bucket."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadInferenceCode",
                actions=["s3:GetObject"],
                resources=[self.source_dir.bucket.arn_for_objects(self.source_dir.s3_object_key)],
            )
        )

    # ----------------------------------------------------------------------------------------
    # The workflow

    def _invoke(
        self, name: str, fn: PythonFunction, payload: Mapping[str, object], result_path: str
    ) -> tasks.LambdaInvoke:
        return lambda_step(
            self, name, fn.function, payload=sfn.TaskInput.from_object(dict(payload)), result_path=result_path
        )

    def _train(self, props: TrainingPipelineProps) -> sfn.CustomState:
        return sync_job_state(
            self,
            "Train",
            action="createTrainingJob",
            parameters=training_job_parameters(
                self._job_settings(props), props.training, props.artifacts.s3_url_for_object(MODELS)
            ),
            result_selector={
                "job_name.$": "$.TrainingJobName",
                "model_uri.$": "$.ModelArtifacts.S3ModelArtifacts",
                "billable_seconds.$": "$.BillableTimeInSeconds",
                "training_seconds.$": "$.TrainingTimeInSeconds",
            },
            result_path="$.training",
            attempts=props.train_attempts,
        )

    def _evaluate(self, props: TrainingPipelineProps) -> sfn.CustomState:
        return sync_job_state(
            self,
            "Evaluate",
            action="createProcessingJob",
            parameters=evaluation_job_parameters(
                self._job_settings(props),
                script_uri=self.evaluate_script.s3_object_url,
                script_key=self.evaluate_script.s3_object_key,
                instance_type=props.evaluation_instance_type,
                max_runtime_seconds=props.evaluation_max_runtime_seconds,
            ),
            # what the record step prices the job by (mlops/pipeline/run_cost.py): the
            # instance is this construct's constant, the times are SageMaker's
            result_selector={
                "job_name.$": "$.ProcessingJobName",
                "started_at.$": "$.ProcessingStartTime",
                "ended_at.$": "$.ProcessingEndTime",
                "instance_type": props.evaluation_instance_type,
                "instance_count": 1,
            },
            result_path="$.evaluation",
            attempts=props.train_attempts,
        )

    @staticmethod
    def _job_settings(props: TrainingPipelineProps) -> JobSettings:
        return JobSettings(
            role_arn=props.training_role.role_arn,
            image_uri=props.image_uri,
            key_arn=props.artifacts_key.key_arn,
            tags=props.tags,
            network_isolation=props.training.network_isolation,
            subnet_ids=tuple(props.training.vpc.subnet_ids) if props.training.vpc else (),
            security_group_ids=tuple(props.training.vpc.security_group_ids) if props.training.vpc else (),
        )

    def _record(self, name: str, outcome: str) -> tasks.LambdaInvoke:
        """The run record step (mlops/pipeline/records.py); its output is the execution's output."""
        return self._invoke(
            name,
            self.record_fn,
            {
                "outcome": outcome,
                "state.$": "$",
                "execution_id.$": "$$.Execution.Id",
                "execution_name.$": "$$.Execution.Name",
                "started_at.$": "$$.Execution.StartTime",
                "code_version": self.code_version,
            },
            "$.record",
        )

    def _notify(self, name: str, topic: sns.ITopic, subject: str, then: sfn.State) -> sfn.Chain:
        """Notify with the whole run record, then go on to `then`, also when the notification
        fails (the run is recorded already; a notification must not change its outcome)."""
        task = notification(
            self,
            name,
            topic,
            subject=subject,
            # the whole run record: a Pass-built one on the unrecorded path has only outcome/error/cause
            message=sfn.TaskInput.from_object(
                {"execution": sfn.JsonPath.execution_id, "run": sfn.JsonPath.object_at("$.record")}
            ),
        )
        task.add_catch(then, result_path="$.notify_failure")
        return task.next(then)

    def _failure_path(self, props: TrainingPipelineProps) -> sfn.IChainable:
        """Every Catch lands here (with `$.failure`): record the run with a classified error, notify,
        and fail with that error. If even the record step fails, the original error and the
        record step's are both named in the cause."""
        record = self._record("RecordFailure", "failed")
        fail = sfn.Fail(self, "TrainingFailed", error_path="$.record.error", cause_path="$.record.cause")
        notify = self._notify("NotifyFailure", props.topic, "Training failed", fail)
        unrecorded = sfn.Pass(
            self,
            "RunNotRecorded",
            parameters={
                "outcome": "failed",
                "error": "Mlops.RunNotRecorded",
                "cause.$": (
                    "States.Format('{}: {} (the run could not be recorded: {})', "
                    "$.failure.Error, $.failure.Cause, $.record_failure.Cause)"
                ),
            },
            result_path="$.record",
        )
        record.add_catch(unrecorded, result_path="$.record_failure")
        unrecorded.next(notify)
        record.next(notify)
        return record

    def _state_machine(self, props: TrainingPipelineProps) -> sfn.StateMachine:
        failure = self._failure_path(props)

        resolve = self._invoke(
            "ResolveDataVersion",
            self.resolve_fn,
            {
                "request.$": "$",
                "execution_name.$": "$$.Execution.Name",
                "code": {
                    "sagemaker_program": props.training.entry_point,
                    "sagemaker_submit_directory": self.source_dir.s3_object_url,
                },
                "code_version": self.code_version,
            },
            "$.run",
        )
        train = self._train(props)
        evaluate = self._evaluate(props)
        gate = self._invoke(
            "QualityGate",
            self.gate_fn,
            {"evaluation_uri.$": "$.run.evaluation_uri", "champion_metrics.$": "$.run.champion_metrics"},
            "$.gate",
        )
        register = self._invoke(
            "RegisterModel",
            self.register_fn,
            {
                "run.$": "$.run",
                "training.$": "$.training",
                "gate.$": "$.gate",
                "execution_id.$": "$$.Execution.Id",
                "code_version": self.code_version,
                "image_uri": props.image_uri,
                "source_dir_uri": self.source_dir_url,
            },
            "$.registration",
        )
        record_registered = self._record("RecordRegistered", "registered")
        record_rejected = self._record("RecordRejected", "rejected")
        record_unchanged = self._record("RecordUnchanged", "unchanged")
        notify_registered = self._notify(
            "NotifyRegistered", props.topic, "Model registered", sfn.Succeed(self, "Registered", output_path="$.record")
        )
        notify_rejected = self._notify(
            "NotifyRejected",
            props.topic,
            "Model rejected by the quality gate",
            sfn.Succeed(self, "Rejected", output_path="$.record"),
        )
        for step in (resolve, train, evaluate, gate, register, record_registered, record_rejected, record_unchanged):
            step.add_catch(failure, result_path="$.failure")

        verdict = (
            sfn.Choice(self, "GateVerdict")
            .when(
                sfn.Condition.boolean_equals("$.gate.passed", True),
                register.next(record_registered).next(notify_registered),
            )
            .otherwise(record_rejected.next(notify_rejected))
        )
        # An identical run (same run key) already registered a model: record this run as
        # `unchanged`, pointing at that package, and train nothing. No notification: nothing
        # happened that anyone has to act on.
        already_registered = (
            sfn.Choice(self, "AlreadyRegistered")
            .when(
                sfn.Condition.boolean_equals("$.run.unchanged", True),
                record_unchanged.next(sfn.Succeed(self, "Unchanged", output_path="$.record")),
            )
            .otherwise(train.next(evaluate).next(gate).next(verdict))
        )
        definition = resolve.next(already_registered)

        log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"/aws/vendedlogs/states/{props.state_machine_name}",
            retention=log_retention(props.lambda_settings.log_retention_days),
            encryption_key=props.artifacts_key,
            removal_policy=props.removal_policy,
        )
        training = props.training
        job_budget = (training.max_wait_seconds if training.use_spot else None) or training.max_run_seconds
        timeout = Duration.seconds(job_budget * props.train_attempts + props.evaluation_max_runtime_seconds + 3600)
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=props.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=timeout,
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
