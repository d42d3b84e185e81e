"""The deploy workflow: resolve -> CreateModel (unless the version's model exists) ->
CreateEndpointConfig -> CreateEndpoint, or UpdateEndpoint with a blue/green DeploymentConfig ->
poll DescribeEndpoint -> decide the outcome -> record it -> notify.

Input: `{dataset, model_package_arn?, trigger, triggered_by, strategy?}` (mlops/serving/planning.py).

The SageMaker calls and why they are `CallAwsService` tasks: deploy_workflow_sagemaker_tasks.py.
Their IAM, written exactly: deploy_workflow_permissions.py. The per-strategy DeploymentConfigs,
precomputed at synth time and chosen by `$.plan.strategy`: deploy_workflow_strategies.py.

Polling: a Wait, DescribeEndpoint and a counter, until the endpoint is InService, Failed,
UpdateRollbackFailed or OutOfService, or the counter reaches what the longest deployment may
take (SageMaker's own MaximumExecutionTimeoutInSeconds plus the time to create instances).

Every task has a Catch: the failure is recorded (history `failed`, lock released), notified,
and the execution fails with the error's `Mlops.*` (or `SageMaker.*`) name. A rolled back or
failed deployment fails the execution too (`Mlops.DeploymentRolledBack`, `Mlops.DeploymentFailed`).
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
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from mlops.config import DeploymentConfig, LambdaConfig
from mlops.serving.outcome import TERMINAL_STATES
from stacks.common import log_retention
from stacks.constructs import deploy_workflow_sagemaker_tasks as sagemaker_tasks
from stacks.constructs.deploy_workflow_permissions import DeployArns, grant_functions, grant_state_machine
from stacks.constructs.deploy_workflow_strategies import deployment_config_states, poll_limit
from stacks.constructs.python_function import FunctionFactory, PythonFunction
from stacks.constructs.workflow import lambda_step, notification


@dataclass(frozen=True, kw_only=True)
class DeployWorkflowProps:
    prefix: str
    state_machine_name: str
    datasets: Sequence[str]
    deployment: DeploymentConfig
    tags: Mapping[str, str]
    model_role: iam.IRole
    model_package_groups: Sequence[str]
    #: where endpoints capture requests and responses: s3://<artifacts>/data-capture/
    capture_uri: str
    artifacts_key: kms.IKey
    registry: dynamodb.ITableV2
    data_key: kms.IKey
    topic: sns.ITopic
    alarm_arns: Sequence[str]
    lambda_settings: LambdaConfig
    config_json: str
    build_root: Path
    removal_policy: RemovalPolicy
    poll_seconds: int = 30


class DeployWorkflow(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: DeployWorkflowProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._arns = DeployArns(Stack.of(self), props.prefix, props.datasets)
        functions = FunctionFactory(
            prefix=props.prefix,
            settings=props.lambda_settings,
            config_json=props.config_json,
            build_root=props.build_root,
            log_key=props.artifacts_key,
            removal_policy=props.removal_policy,
        )
        table = {"REGISTRY_TABLE": props.registry.table_name}
        self.resolve_fn = functions.create(
            self,
            "ResolveFunction",
            "serving_resolve",
            "Validate the model package, name the deployment, take the lock, begin the history record",
            config_sections=frozenset({"deployment"}),
            environment=table,
        )
        self.outcome_fn = functions.create(
            self, "OutcomeFunction", "serving_outcome", "Decide deployed / rolled_back / failed"
        )
        self.record_fn = functions.create(
            self,
            "RecordFunction",
            "serving_record",
            "Finish the deployment record, move the serving pointer, release the lock",
            environment=table,
        )
        self.state_machine = self._state_machine()
        grant_functions(
            self._arns,
            resolve_fn=self.resolve_fn,
            outcome_fn=self.outcome_fn,
            record_fn=self.record_fn,
            model_package_groups=props.model_package_groups,
            alarm_arns=props.alarm_arns,
            state_machine_name=props.state_machine_name,
            registry=props.registry,
            data_key=props.data_key,
        )
        grant_state_machine(
            self.state_machine.role,
            self._arns,
            functions=(self.resolve_fn, self.outcome_fn, self.record_fn),
            model_role=props.model_role,
            alarm_arns=props.alarm_arns,
            artifacts_key=props.artifacts_key,
            data_key=props.data_key,
        )

    # ----------------------------------------------------------------------------------------
    # The workflow

    def _invoke(
        self, name: str, fn: PythonFunction, payload: Mapping[str, object], result_path: str
    ) -> tasks.LambdaInvoke:
        return lambda_step(
            self, name, fn.function, payload=sfn.TaskInput.from_object(dict(payload)), result_path=result_path
        )

    def _catch(self, task: sfn.TaskStateBase) -> None:
        task.add_catch(self._failure, result_path="$.failure")

    def _record(self, name: str, path: str) -> tasks.LambdaInvoke:
        return self._invoke(
            name,
            self.record_fn,
            {
                "path": path,
                "state.$": "$",
                "execution_id.$": "$$.Execution.Id",
                "execution_name.$": "$$.Execution.Name",
            },
            "$.result",
        )

    def _notify(self, name: str, subject: str, then: sfn.State) -> sfn.Chain:
        task = notification(
            self,
            name,
            self._props.topic,
            subject=subject,
            message=sfn.TaskInput.from_object(
                {"execution": sfn.JsonPath.execution_id, "deployment": sfn.JsonPath.object_at("$.result")}
            ),
        )
        task.add_catch(then, result_path="$.notify_failure")
        return task.next(then)

    def _failure_path(self) -> sfn.IChainable:
        record = self._record("RecordFailure", "failed")
        fail = sfn.Fail(self, "DeploymentFailed", error_path="$.result.error", cause_path="$.result.cause")
        notify = self._notify("NotifyFailure", "Deployment failed", fail)
        unrecorded = sfn.Pass(
            self,
            "DeploymentNotRecorded",
            parameters={
                "status": "failed",
                "error": "Mlops.DeploymentNotRecorded",
                "cause.$": (
                    "States.Format('{}: {} (the deployment could not be recorded: {})', "
                    "$.failure.Error, $.failure.Cause, $.record_failure.Cause)"
                ),
            },
            result_path="$.result",
        )
        record.add_catch(unrecorded, result_path="$.record_failure")
        unrecorded.next(notify)
        record.next(notify)
        return record

    def _state_machine(self) -> sfn.StateMachine:
        props = self._props
        polls = poll_limit(props.deployment, props.poll_seconds)
        self._failure = self._failure_path()

        resolve = self._invoke(
            "Resolve",
            self.resolve_fn,
            {
                "request.$": "$",
                "execution_id.$": "$$.Execution.Id",
                "execution_name.$": "$$.Execution.Name",
                "started_at.$": "$$.Execution.StartTime",
            },
            "$.plan",
        )
        self._catch(resolve)
        create_model = sagemaker_tasks.create_model(
            self, self._arns, role_arn=props.model_role.role_arn, tags=props.tags
        )
        create_config = sagemaker_tasks.create_endpoint_config(
            self,
            self._arns,
            sagemaker_tasks.endpoint_config_parameters(
                props.deployment, capture_uri=props.capture_uri, key_arn=props.artifacts_key.key_arn, tags=props.tags
            ),
        )
        create_endpoint = sagemaker_tasks.create_endpoint(self, self._arns, tags=props.tags)
        describe = sagemaker_tasks.describe_endpoint(self, self._arns)
        for task in (create_model, create_config, create_endpoint, describe):
            self._catch(task)
        update_endpoint = sagemaker_tasks.update_endpoint(self, self._arns)
        self._catch(update_endpoint)
        choose_deployment_config = deployment_config_states(
            self, deployment=props.deployment, prefix=props.prefix, datasets=props.datasets, update=update_endpoint
        )

        conclude = self._invoke(
            "DecideOutcome",
            self.outcome_fn,
            {"plan.$": "$.plan", "polls.$": "$.poll.count", "poll_seconds": props.poll_seconds},
            "$.decision",
        )
        self._catch(conclude)
        record = self._record("RecordOutcome", "concluded")
        self._catch(record)
        deployed = (
            sfn.Choice(self, "Deployed")
            .when(
                sfn.Condition.string_equals("$.result.status", "deployed"),
                sfn.Succeed(self, "Done", output_path="$.result"),
            )
            .otherwise(sfn.Fail(self, "NotDeployed", error_path="$.result.error", cause_path="$.result.cause"))
        )
        conclude.next(record).next(self._notify("NotifyOutcome", "Deployment finished", deployed))

        wait = sfn.Wait(self, "WaitForEndpoint", time=sfn.WaitTime.duration(Duration.seconds(props.poll_seconds)))
        count = sfn.Pass(
            self,
            "CountPoll",
            parameters={"count.$": "States.MathAdd($.poll.count, 1)"},
            result_path="$.poll",
        )
        settled = (
            sfn.Choice(self, "EndpointSettled")
            .when(
                sfn.Condition.or_(
                    *(sfn.Condition.string_equals("$.endpoint.status", s) for s in sorted(TERMINAL_STATES)),
                    sfn.Condition.number_greater_than_equals("$.poll.count", polls),
                ),
                conclude,
            )
            .otherwise(wait)
        )
        wait.next(describe).next(count).next(settled)
        start_polling = sfn.Pass(
            self, "StartPolling", result=sfn.Result.from_object({"count": 0}), result_path="$.poll"
        )
        start_polling.next(wait)
        create_endpoint.next(start_polling)
        update_endpoint.next(start_polling)

        endpoint_exists = (
            sfn.Choice(self, "EndpointExists")
            .when(sfn.Condition.boolean_equals("$.plan.endpoint_exists", True), choose_deployment_config)
            .otherwise(create_endpoint)
        )
        create_config.next(endpoint_exists)
        create_model.next(create_config)
        model_exists = (
            sfn.Choice(self, "ModelExists")
            .when(sfn.Condition.boolean_equals("$.plan.create_model", True), create_model)
            .otherwise(create_config)
        )
        duplicate = (
            sfn.Choice(self, "Duplicate")
            .when(
                sfn.Condition.boolean_equals("$.plan.skip", True),
                sfn.Succeed(self, "AlreadyDeployed", output_path="$.plan"),
            )
            .otherwise(model_exists)
        )
        definition = resolve.next(duplicate)

        log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"/aws/vendedlogs/states/{props.state_machine_name}",
            retention=log_retention(props.lambda_settings.log_retention_days),
            encryption_key=props.artifacts_key,
            removal_policy=props.removal_policy,
        )
        timeout = Duration.seconds(polls * props.poll_seconds + 3600)
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
