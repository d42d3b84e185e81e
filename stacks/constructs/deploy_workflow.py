"""The deploy workflow: resolve -> CreateModel (unless the version's model exists) ->
CreateEndpointConfig -> CreateEndpoint, or UpdateEndpoint with a blue/green DeploymentConfig ->
poll DescribeEndpoint -> decide the outcome -> record it -> notify.

Input: `{dataset, model_package_arn?, trigger, triggered_by, strategy?}` (mlops/serving/planning.py).

The SageMaker calls are `CallAwsService` tasks (aws-sdk:sagemaker:*), not CDK's SageMaker
tasks: `SageMakerUpdateEndpoint` cannot pass a `DeploymentConfig` (no canary, no
auto-rollback alarms) and `SageMakerCreateEndpointConfig` renders no `DataCaptureConfig`.
Their IAM is written here, exactly: the dataset's models, endpoint configs and endpoint,
PassRole of the model role to SageMaker only, and DescribeAlarms of the rollback alarms
(SageMaker reads them with the caller's permissions when it validates the update).

`--strategy` overrides need a DeploymentConfig at run time. The configs are precomputed at
synth time, one per strategy SageMaker can run with this config (mlops/serving/deployment_plan.py),
and a Choice on `$.plan.strategy` picks one: the whole policy (alarms, bakes, timeouts) is in
the definition, reviewable in the template, and no Lambda output can shape it. The resolve
step refuses a strategy the config cannot run (DeploymentPlanError) before anything is created.

Polling: a Wait, DescribeEndpoint and a counter, until the endpoint is InService, Failed,
UpdateRollbackFailed or OutOfService, or the counter reaches what the longest deployment may
take (SageMaker's own MaximumExecutionTimeoutInSeconds plus the time to create instances).

Every task has a Catch: the failure is recorded (history `failed`, lock released), notified,
and the execution fails with the error's `Mlops.*` (or `SageMaker.*`) name. A rolled back or
failed deployment fails the execution too (`Mlops.DeploymentRolledBack`, `Mlops.DeploymentFailed`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, ArnFormat, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from mlops.config import DeploymentConfig, DeploymentStrategy, LambdaConfig
from mlops.serving import deployment_plan, naming
from mlops.serving.deployment_plan import DeploymentPlanError
from mlops.serving.models import VARIANT_NAME
from mlops.serving.outcome import TERMINAL_STATES
from stacks.common import log_retention
from stacks.constructs.grants import grant_key_use
from stacks.constructs.python_function import FunctionFactory, PythonFunction
from stacks.constructs.sagemaker_job_states import has_instance_storage
from stacks.constructs.workflow import lambda_step, notification
from stacks.nag import acknowledge_wildcard_resource

#: SageMaker API errors worth another try on the read-only DescribeEndpoint (throttling has no
#: modelled exception: Step Functions names it after the service's base exception)
DESCRIBE_RETRY_ERRORS = ["SageMaker.AmazonSageMakerException"]


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


def strategy_configs(deployment: DeploymentConfig, alarm_names: Sequence[str]) -> dict[DeploymentStrategy, Any]:
    """UpdateEndpoint's DeploymentConfig for every strategy SageMaker can run with this config
    (the alarms, which are per dataset, are filled in by the definition)."""
    configs: dict[DeploymentStrategy, Any] = {}
    for strategy in DeploymentStrategy:
        try:
            configs[strategy] = deployment_plan.deployment_config(
                deployment.model_copy(update={"strategy": strategy}), alarm_names
            )
        except DeploymentPlanError:
            continue  # the resolve step refuses it with the reason
    return configs


class DeployWorkflow(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: DeployWorkflowProps) -> None:
        super().__init__(scope, id_)
        self._stack = Stack.of(self)
        self._props = props
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
        self._grant()

    # ----------------------------------------------------------------------------------------
    # Names and IAM

    def _arn(self, resource: str, name: str) -> str:
        # SageMaker ARNs carry names in lower case
        return self._stack.format_arn(service="sagemaker", resource=resource, resource_name=name.lower())

    def _models(self) -> list[str]:
        return [self._arn("model", naming.version_pattern(self._props.prefix, d)) for d in self._props.datasets]

    def _endpoint_configs(self) -> list[str]:
        return [
            self._arn("endpoint-config", naming.version_pattern(self._props.prefix, d)) for d in self._props.datasets
        ]

    def _endpoints(self) -> list[str]:
        return [self._arn("endpoint", naming.endpoint(self._props.prefix, d)) for d in self._props.datasets]

    def _acknowledge_versions(self, role: iam.IRole) -> None:
        for arn in self._models():
            acknowledge_wildcard_resource(role, arn, "the SageMaker models of this dataset's versions only")
        for arn in self._endpoint_configs():
            acknowledge_wildcard_resource(role, arn, "the endpoint configs of this dataset's versions only")

    def _grant(self) -> None:
        props = self._props
        packages = [self._arn("model-package", f"{group}/*") for group in props.model_package_groups]
        resolve = self.resolve_fn.role
        resolve.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeModelPackage"], resources=packages))
        for arn in packages:
            acknowledge_wildcard_resource(resolve, arn, "reads the versions of its own model package groups only")
        resolve.add_to_policy(iam.PolicyStatement(actions=["sagemaker:ListModelPackages"], resources=["*"]))
        Validations.of(resolve).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="sagemaker:ListModelPackages supports no resource-level permissions; it is read-only",
            )
        )
        resolve.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeModel"], resources=self._models()))
        self._acknowledge_versions(resolve)
        for fn in (self.resolve_fn, self.outcome_fn):
            fn.role.add_to_policy(
                iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"], resources=self._endpoints())
            )
        self.outcome_fn.role.add_to_policy(
            iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=list(props.alarm_arns) or ["*"])
        )
        if not props.alarm_arns:
            Validations.of(self.outcome_fn.role).acknowledge(
                Acknowledgment(id="AwsSolutions-IAM5[Resource::*]", reason="no alarms configured: reads none")
            )
        executions = self._stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{props.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        resolve.add_to_policy(iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions]))
        acknowledge_wildcard_resource(resolve, executions, "asks whether a lock holder's deploy execution still runs")
        for fn in (self.resolve_fn, self.record_fn):
            actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"]
            fn.role.add_to_policy(iam.PolicyStatement(actions=actions, resources=[props.registry.table_arn]))
            grant_key_use(props.data_key, fn.role, encrypt=True)

        role = self.state_machine.role
        # CallAwsService writes `sagemaker:<action>` on exactly its iam_resources; tagging on
        # create is authorized separately
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sagemaker:AddTags"],
                resources=[*self._models(), *self._endpoint_configs(), *self._endpoints()],
            )
        )
        self._acknowledge_versions(role)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[props.model_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        if props.alarm_arns:
            # deployment guardrails: SageMaker validates the rollback alarms as the caller
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=list(props.alarm_arns))
            )
        # the endpoint config's KMS keys (data capture, instance volumes): SageMaker takes grants
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:CreateGrant", "kms:DescribeKey"],
                resources=[props.artifacts_key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        grant_key_use(props.data_key, role, encrypt=True)  # the notifications topic's key
        for fn in (self.resolve_fn, self.outcome_fn, self.record_fn):
            acknowledge_wildcard_resource(
                role, f"{fn.function.function_arn}:*", "invokes any published version of its own function"
            )

    # ----------------------------------------------------------------------------------------
    # The workflow

    def _tags(self) -> list[dict[str, str]]:
        return [{"Key": key, "Value": value} for key, value in sorted(self._props.tags.items())]

    def _sagemaker(
        self,
        name: str,
        action: str,
        parameters: Mapping[str, Any],
        resources: list[str],
        *,
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = sfn.JsonPath.DISCARD,
    ) -> tasks.CallAwsService:
        return tasks.CallAwsService(
            self,
            name,
            service="sagemaker",
            action=action,
            parameters=dict(parameters),
            iam_resources=resources,
            result_selector=dict(result_selector) if result_selector else None,
            result_path=result_path,
        )

    def _invoke(
        self, name: str, fn: PythonFunction, payload: Mapping[str, object], result_path: str
    ) -> tasks.LambdaInvoke:
        return lambda_step(
            self, name, fn.function, payload=sfn.TaskInput.from_object(dict(payload)), result_path=result_path
        )

    def _endpoint_config_parameters(self) -> dict[str, Any]:
        props, deployment = self._props, self._props.deployment
        parameters: dict[str, Any] = {
            "EndpointConfigName.$": "$.plan.endpoint_config_name",
            "ProductionVariants": [
                {
                    "VariantName": VARIANT_NAME,
                    "ModelName.$": "$.plan.model_name",
                    "InitialInstanceCount": deployment.instance_count,
                    "InstanceType": deployment.instance_type,
                    "InitialVariantWeight": 1,
                }
            ],
            "DataCaptureConfig": deployment_plan.data_capture_config(
                deployment, props.capture_uri, props.artifacts_key.key_arn
            ),
            "Tags": self._tags(),
        }
        if not has_instance_storage(deployment.instance_type):
            parameters["KmsKeyId"] = props.artifacts_key.key_arn
        return parameters

    def _update(self) -> sfn.IChainable:
        """The dataset's rollback alarms, then the strategy's precomputed DeploymentConfig, then
        UpdateEndpoint with it. Both choices are static: every alarm name and every config is
        in the definition."""
        deployment = self._props.deployment
        configs = strategy_configs(deployment, [])
        update = self._sagemaker(
            "UpdateEndpoint",
            "updateEndpoint",
            {
                "EndpointName.$": "$.plan.endpoint_name",
                "EndpointConfigName.$": "$.plan.endpoint_config_name",
                "DeploymentConfig.$": "$.deployment_config",
                "RetainAllVariantProperties": False,
            },
            [*self._endpoints(), *self._endpoint_configs()],
        )
        self._catch(update)
        strategy = sfn.Choice(self, "DeploymentStrategy")
        for name, config in configs.items():
            if deployment.alarms:
                config = config | {"AutoRollbackConfiguration": {"Alarms.$": "$.rollback_alarms"}}
            pass_state = sfn.Pass(
                self,
                f"{name.name.title().replace('_', '')}Config",
                parameters=config,
                result_path="$.deployment_config",
            )
            strategy.when(sfn.Condition.string_equals("$.plan.strategy", name.value), pass_state.next(update))
        strategy.otherwise(
            sfn.Fail(
                self,
                "StrategyNotPossible",
                error="Mlops.DeploymentPlanInvalid",
                cause="the requested strategy cannot run with this deployment config",
            )
        )
        self._update_task = update
        if not deployment.alarms:
            return strategy
        alarms = sfn.Choice(self, "RollbackAlarms")
        for dataset in self._props.datasets:
            names = [naming.alarm(self._props.prefix, dataset, a.metric) for a in deployment.alarms]
            listed = sfn.Pass(
                self,
                f"AlarmsOf-{dataset}",
                result=sfn.Result.from_array([{"AlarmName": n} for n in names]),
                result_path="$.rollback_alarms",
            )
            alarms.when(sfn.Condition.string_equals("$.plan.dataset", dataset), listed.next(strategy))
        alarms.otherwise(
            sfn.Fail(self, "UnknownDataset", error="Mlops.UnknownDatasetError", cause="no alarms for this dataset")
        )
        return alarms

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

    def _poll_limit(self) -> int:
        """Polls enough for the longest deployment SageMaker allows with this config, plus the
        time a new endpoint's instances take to start."""
        longest = max(
            (
                c["BlueGreenUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"]
                for c in strategy_configs(self._props.deployment, []).values()
            ),
            default=deployment_plan.MAX_EXECUTION_TIMEOUT,
        )
        return math.ceil((longest + deployment_plan.PROVISIONING_ALLOWANCE) / self._props.poll_seconds)

    def _state_machine(self) -> sfn.StateMachine:
        props = self._props
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
        create_model = self._sagemaker(
            "CreateModel",
            "createModel",
            {
                "ModelName.$": "$.plan.model_name",
                "ExecutionRoleArn": props.model_role.role_arn,
                "PrimaryContainer.$": "$.plan.container",
                "Tags": self._tags(),
            },
            self._models(),
        )
        create_config = self._sagemaker(
            "CreateEndpointConfig", "createEndpointConfig", self._endpoint_config_parameters(), self._endpoint_configs()
        )
        create_endpoint = self._sagemaker(
            "CreateEndpoint",
            "createEndpoint",
            {
                "EndpointName.$": "$.plan.endpoint_name",
                "EndpointConfigName.$": "$.plan.endpoint_config_name",
                "Tags": self._tags(),
            },
            [*self._endpoints(), *self._endpoint_configs()],
        )
        describe = self._sagemaker(
            "DescribeEndpoint",
            "describeEndpoint",
            {"EndpointName.$": "$.plan.endpoint_name"},
            self._endpoints(),
            result_selector={"status.$": "$.EndpointStatus"},
            result_path="$.endpoint",
        )
        describe.add_retry(
            errors=DESCRIBE_RETRY_ERRORS,
            interval=Duration.seconds(5),
            max_attempts=5,
            backoff_rate=2,
            jitter_strategy=sfn.JitterType.FULL,
        )
        for task in (create_model, create_config, create_endpoint, describe):
            self._catch(task)
        update = self._update()

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
                    sfn.Condition.number_greater_than_equals("$.poll.count", self._poll_limit()),
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
        self._update_task.next(start_polling)

        endpoint_exists = (
            sfn.Choice(self, "EndpointExists")
            .when(sfn.Condition.boolean_equals("$.plan.endpoint_exists", True), update)
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
        timeout = Duration.seconds(self._poll_limit() * props.poll_seconds + 3600)
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
