"""The training workflow's IAM, written exactly. Training and evaluation are `CustomState`s
(sagemaker_job_states.py), which add no IAM of their own: the state machine may create,
describe and stop jobs named with the project prefix, and pass the training role to SageMaker
only. The functions read and write only the prefixes, table and model package groups they use.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from mlops import layout
from mlops.layout import EVALUATIONS, RUNS
from stacks.constructs.grants import grant_key_use, grant_object_read, grant_object_write
from stacks.constructs.python_function import PythonFunction
from stacks.constructs.sagemaker_job_states import SYNC_RULES
from stacks.nag import acknowledge_wildcard_resource


def _arn(stack: Stack, service: str, resource: str, name: str) -> str:
    return stack.format_arn(service=service, resource=resource, resource_name=name)


def grant_functions(
    stack: Stack,
    *,
    resolve_fn: PythonFunction,
    gate_fn: PythonFunction,
    register_fn: PythonFunction,
    record_fn: PythonFunction,
    data_lake: s3.IBucket,
    data_key: kms.IKey,
    artifacts: s3.IBucket,
    artifacts_key: kms.IKey,
    registry: dynamodb.ITableV2,
    model_package_groups: Sequence[str],
) -> None:
    """What the resolve, gate, register and record functions call themselves."""
    resolve = resolve_fn.role
    grant_object_read(data_lake, resolve, layout.VERSIONS)  # manifests
    grant_object_read(data_lake, resolve, layout.OBJECTS)  # the content-addressed objects exist
    grant_key_use(data_key, resolve, encrypt=False)
    grant_object_write(artifacts, resolve, RUNS)
    grant_key_use(artifacts_key, resolve, encrypt=True)
    resolve.add_to_policy(
        iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:Query"],
            resources=[registry.table_arn],
        )
    )

    # the champion: the newest approved package of the group (ListModelPackages has no resource scope)
    resolve.add_to_policy(
        iam.PolicyStatement(actions=["sagemaker:ListModelPackages"], resources=["*"]),
    )
    Validations.of(resolve).acknowledge(
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::*]",
            reason="sagemaker:ListModelPackages supports no resource-level permissions; it is read-only",
        )
    )

    grant_object_read(artifacts, gate_fn.role, EVALUATIONS)
    grant_key_use(artifacts_key, gate_fn.role, encrypt=False)

    groups = [_arn(stack, "sagemaker", "model-package-group", group.lower()) for group in model_package_groups]
    packages = [_arn(stack, "sagemaker", "model-package", f"{group.lower()}/*") for group in model_package_groups]
    register_fn.role.add_to_policy(
        iam.PolicyStatement(actions=["sagemaker:CreateModelPackage"], resources=[*groups, *packages])
    )
    resolve.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeModelPackage"], resources=packages))
    for arn in packages:
        acknowledge_wildcard_resource(
            register_fn.role, arn, "registers new versions in its own model package group only"
        )
        acknowledge_wildcard_resource(resolve, arn, "reads the champion's metrics from its own group only")

    record = record_fn.role
    record.add_to_policy(iam.PolicyStatement(actions=["dynamodb:PutItem"], resources=[registry.table_arn]))
    grant_key_use(data_key, record, encrypt=True)


def grant_state_machine(
    stack: Stack,
    role: iam.IRole,
    *,
    functions: Sequence[PythonFunction],
    prefix: str,
    training_role: iam.IRole,
    data_key: kms.IKey,
) -> None:
    """What the state machine's job states need, and the key of the notifications topic."""
    for kind, verbs in (
        ("training-job", ("CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob")),
        ("processing-job", ("CreateProcessingJob", "DescribeProcessingJob", "StopProcessingJob")),
    ):
        jobs = _arn(stack, "sagemaker", kind, f"{prefix}-*")
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=[f"sagemaker:{v}" for v in verbs] + ["sagemaker:AddTags"], resources=[jobs])
        )
        acknowledge_wildcard_resource(
            role, jobs, f"SageMaker {kind}s named with the project prefix, one per execution and attempt"
        )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[training_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[_arn(stack, "events", "rule", rule) for rule in SYNC_RULES],
        )
    )
    # Publishing to a KMS-encrypted topic needs the key too (SnsPublish grants only sns:Publish).
    grant_key_use(data_key, role, encrypt=True)
    for fn in functions:
        acknowledge_wildcard_resource(
            role, f"{fn.function.function_arn}:*", "invokes any published version of its own function"
        )
