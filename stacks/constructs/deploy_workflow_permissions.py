"""The deploy workflow's IAM, written exactly: the dataset's models, endpoint configs and
endpoint, PassRole of the model role to SageMaker only, and DescribeAlarms of the rollback
alarms (SageMaker reads them with the caller's permissions when it validates the update).

The SageMaker calls are `CallAwsService` tasks (deploy_workflow_sagemaker_tasks.py), which grant
only `sagemaker:<action>` on their own `iam_resources`; everything else they need is here.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, ArnFormat, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from mlops.serving import naming
from stacks.constructs.grants import grant_key_use
from stacks.constructs.python_function import PythonFunction
from stacks.nag import acknowledge_wildcard_resource


class DeployArns:
    """ARNs of what a deployment of `datasets` may touch. SageMaker ARNs carry names in lower
    case; model and endpoint config names end with a version, so theirs are patterns."""

    def __init__(self, stack: Stack, prefix: str, datasets: Sequence[str]) -> None:
        self._stack = stack
        self._prefix = prefix
        self._datasets = tuple(datasets)

    def sagemaker(self, resource: str, name: str) -> str:
        return self._stack.format_arn(service="sagemaker", resource=resource, resource_name=name.lower())

    def models(self) -> list[str]:
        return [self.sagemaker("model", naming.version_pattern(self._prefix, d)) for d in self._datasets]

    def endpoint_configs(self) -> list[str]:
        return [self.sagemaker("endpoint-config", naming.version_pattern(self._prefix, d)) for d in self._datasets]

    def endpoints(self) -> list[str]:
        return [self.sagemaker("endpoint", naming.endpoint(self._prefix, d)) for d in self._datasets]

    def model_packages(self, groups: Sequence[str]) -> list[str]:
        return [self.sagemaker("model-package", f"{group}/*") for group in groups]

    def executions(self, state_machine_name: str) -> str:
        return self._stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )


def _acknowledge_versions(role: iam.IRole, arns: DeployArns) -> None:
    for arn in arns.models():
        acknowledge_wildcard_resource(role, arn, "the SageMaker models of this dataset's versions only")
    for arn in arns.endpoint_configs():
        acknowledge_wildcard_resource(role, arn, "the endpoint configs of this dataset's versions only")


def grant_functions(
    arns: DeployArns,
    *,
    resolve_fn: PythonFunction,
    outcome_fn: PythonFunction,
    record_fn: PythonFunction,
    model_package_groups: Sequence[str],
    alarm_arns: Sequence[str],
    state_machine_name: str,
    registry: dynamodb.ITableV2,
    data_key: kms.IKey,
) -> None:
    """What the resolve, outcome and record functions call themselves."""
    packages = arns.model_packages(model_package_groups)
    resolve = resolve_fn.role
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
    resolve.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeModel"], resources=arns.models()))
    _acknowledge_versions(resolve, arns)
    for fn in (resolve_fn, outcome_fn):
        fn.role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"], resources=arns.endpoints()))
    outcome_fn.role.add_to_policy(
        iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=list(alarm_arns) or ["*"])
    )
    if not alarm_arns:
        Validations.of(outcome_fn.role).acknowledge(
            Acknowledgment(id="AwsSolutions-IAM5[Resource::*]", reason="no alarms configured: reads none")
        )
    executions = arns.executions(state_machine_name)
    resolve.add_to_policy(iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions]))
    acknowledge_wildcard_resource(resolve, executions, "asks whether a lock holder's deploy execution still runs")
    for fn in (resolve_fn, record_fn):
        actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"]
        fn.role.add_to_policy(iam.PolicyStatement(actions=actions, resources=[registry.table_arn]))
        grant_key_use(data_key, fn.role, encrypt=True)


def grant_state_machine(
    role: iam.IRole,
    arns: DeployArns,
    *,
    functions: Sequence[PythonFunction],
    model_role: iam.IRole,
    alarm_arns: Sequence[str],
    artifacts_key: kms.IKey,
    data_key: kms.IKey,
) -> None:
    """What the state machine's SageMaker tasks need beyond their own `iam_resources`."""
    # CallAwsService writes `sagemaker:<action>` on exactly its iam_resources; tagging on
    # create is authorized separately
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["sagemaker:AddTags"],
            resources=[*arns.models(), *arns.endpoint_configs(), *arns.endpoints()],
        )
    )
    _acknowledge_versions(role, arns)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[model_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
    )
    if alarm_arns:
        # deployment guardrails: SageMaker validates the rollback alarms as the caller
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=list(alarm_arns))
        )
    # the endpoint config's KMS keys (data capture, instance volumes): SageMaker takes grants
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["kms:CreateGrant", "kms:DescribeKey"],
            resources=[artifacts_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
    )
    grant_key_use(data_key, role, encrypt=True)  # the notifications topic's key
    for fn in functions:
        acknowledge_wildcard_resource(
            role, f"{fn.function.function_arn}:*", "invokes any published version of its own function"
        )
