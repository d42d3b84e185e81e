"""The deploy workflow's SageMaker calls: CreateModel, CreateEndpointConfig, CreateEndpoint,
UpdateEndpoint and DescribeEndpoint, each a task state of the workflow's scope.

They are `CallAwsService` tasks (aws-sdk:sagemaker:*), not CDK's SageMaker tasks:
`SageMakerUpdateEndpoint` cannot pass a `DeploymentConfig` (no canary, no auto-rollback
alarms) and `SageMakerCreateEndpointConfig` renders no `DataCaptureConfig`. Each grants only
`sagemaker:<action>` on its `iam_resources`; the rest of their IAM is in
deploy_workflow_permissions.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from mlops.config import DeploymentConfig
from mlops.serving import deployment_plan
from mlops.serving.models import VARIANT_NAME
from stacks.constructs.deploy_workflow_permissions import DeployArns
from stacks.constructs.sagemaker_job_states import has_instance_storage

#: SageMaker API errors worth another try on the read-only DescribeEndpoint (throttling has no
#: modelled exception: Step Functions names it after the service's base exception)
DESCRIBE_RETRY_ERRORS = ["SageMaker.AmazonSageMakerException"]


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def sagemaker_call(
    scope: Construct,
    name: str,
    action: str,
    parameters: Mapping[str, Any],
    resources: list[str],
    *,
    result_selector: Mapping[str, Any] | None = None,
    result_path: str | None = sfn.JsonPath.DISCARD,
) -> tasks.CallAwsService:
    return tasks.CallAwsService(
        scope,
        name,
        service="sagemaker",
        action=action,
        parameters=dict(parameters),
        iam_resources=resources,
        result_selector=dict(result_selector) if result_selector else None,
        result_path=result_path,
    )


def create_model(scope: Construct, arns: DeployArns, *, role_arn: str, tags: Mapping[str, str]) -> tasks.CallAwsService:
    """The version's model, named and contained as the resolve step planned (`$.plan`)."""
    return sagemaker_call(
        scope,
        "CreateModel",
        "createModel",
        {
            "ModelName.$": "$.plan.model_name",
            "ExecutionRoleArn": role_arn,
            "PrimaryContainer.$": "$.plan.container",
            "Tags": tag_list(tags),
        },
        arns.models(),
    )


def endpoint_config_parameters(
    deployment: DeploymentConfig, *, capture_uri: str, key_arn: str, tags: Mapping[str, str]
) -> dict[str, Any]:
    """CreateEndpointConfig: one variant of the planned model, data capture, and the KMS key
    for the instance volumes (instances with local storage encrypt it themselves)."""
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
        "DataCaptureConfig": deployment_plan.data_capture_config(deployment, capture_uri, key_arn),
        "Tags": tag_list(tags),
    }
    if not has_instance_storage(deployment.instance_type):
        parameters["KmsKeyId"] = key_arn
    return parameters


def create_endpoint_config(scope: Construct, arns: DeployArns, parameters: Mapping[str, Any]) -> tasks.CallAwsService:
    return sagemaker_call(scope, "CreateEndpointConfig", "createEndpointConfig", parameters, arns.endpoint_configs())


def create_endpoint(scope: Construct, arns: DeployArns, *, tags: Mapping[str, str]) -> tasks.CallAwsService:
    return sagemaker_call(
        scope,
        "CreateEndpoint",
        "createEndpoint",
        {
            "EndpointName.$": "$.plan.endpoint_name",
            "EndpointConfigName.$": "$.plan.endpoint_config_name",
            "Tags": tag_list(tags),
        },
        [*arns.endpoints(), *arns.endpoint_configs()],
    )


def describe_endpoint(scope: Construct, arns: DeployArns) -> tasks.CallAwsService:
    """The endpoint's status into `$.endpoint.status`; read-only, so retried."""
    describe = sagemaker_call(
        scope,
        "DescribeEndpoint",
        "describeEndpoint",
        {"EndpointName.$": "$.plan.endpoint_name"},
        arns.endpoints(),
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
    return describe


def update_endpoint(scope: Construct, arns: DeployArns) -> tasks.CallAwsService:
    """UpdateEndpoint with the DeploymentConfig the strategy states put at `$.deployment_config`
    (deploy_workflow_strategies.py)."""
    return sagemaker_call(
        scope,
        "UpdateEndpoint",
        "updateEndpoint",
        {
            "EndpointName.$": "$.plan.endpoint_name",
            "EndpointConfigName.$": "$.plan.endpoint_config_name",
            "DeploymentConfig.$": "$.deployment_config",
            "RetainAllVariantProperties": False,
        },
        [*arns.endpoints(), *arns.endpoint_configs()],
    )
