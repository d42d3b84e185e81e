"""One Lambda function packaged from `functions/<name>/handler.py` without Docker.

Every function gets: the same runtime and architecture (from config), the AWS-managed
Powertools layer (plus SDK for pandas when asked), X-Ray tracing, its own KMS-encrypted log
group with the configured retention, reserved concurrency from config, and its own role
that holds nothing but what the stack grants it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from aws_cdk import (
    Acknowledgment,
    Duration,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_logs as logs,
)
from constructs import Construct

from mlops.config import LambdaConfig
from stacks import packaging
from stacks.common import log_retention

RUNTIME = lambda_.Runtime.PYTHON_3_14
RUNTIME_TAG = "python314"
POWERTOOLS_ACCOUNT = "017000801446"
SDK_PANDAS_ACCOUNT = "336392948345"


class ManagedLayer(Enum):
    POWERTOOLS = "powertools"
    SDK_PANDAS = "sdk-pandas"


def managed_layer_arn(layer: ManagedLayer, *, region: str, settings: LambdaConfig) -> str:
    if layer is ManagedLayer.POWERTOOLS:
        return (
            f"arn:aws:lambda:{region}:{POWERTOOLS_ACCOUNT}:layer:"
            f"AWSLambdaPowertoolsPythonV3-{RUNTIME_TAG}-{settings.architecture}:{settings.powertools_layer_version}"
        )
    suffix = "-Arm64" if settings.architecture == "arm64" else ""
    return (
        f"arn:aws:lambda:{region}:{SDK_PANDAS_ACCOUNT}:layer:"
        f"AWSSDKPandas-Python314{suffix}:{settings.sdk_pandas_layer_version}"
    )


@dataclass(frozen=True, kw_only=True)
class PythonFunctionProps:
    function_name: str
    #: directory under functions/ holding handler.py
    handler_package: str
    description: str
    settings: LambdaConfig
    config_json: str
    #: the optional config sections the handler reads (see packaging.function_config)
    config_sections: frozenset[str]
    build_root: Path
    log_key: kms.IKey
    removal_policy: RemovalPolicy
    environment: Mapping[str, str] = field(default_factory=dict)
    layers: tuple[ManagedLayer, ...] = (ManagedLayer.POWERTOOLS,)
    timeout: Duration | None = None
    memory_mb: int | None = None


class PythonFunction(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: PythonFunctionProps) -> None:
        super().__init__(scope, id_)
        settings = props.settings
        region = Stack.of(self).region
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{props.function_name}",
            retention=log_retention(settings.log_retention_days),
            encryption_key=props.log_key,
            removal_policy=props.removal_policy,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {props.function_name}",
        )
        # Only its own log group: no AWSLambdaBasicExecutionRole (which allows every group).
        self.log_group.grant_write(self.role)
        asset_dir = packaging.stage(
            props.handler_package,
            packaging.function_config(props.config_json, props.config_sections),
            props.build_root,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=props.function_name,
            description=props.description,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64
            if settings.architecture == "arm64"
            else lambda_.Architecture.X86_64,
            code=lambda_.Code.from_asset(str(asset_dir)),
            handler=f"functions.{props.handler_package}.handler.handler",
            memory_size=props.memory_mb or settings.memory_mb,
            timeout=props.timeout or Duration.seconds(settings.timeout_seconds),
            reserved_concurrent_executions=settings.reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            role=self.role,
            layers=[
                lambda_.LayerVersion.from_layer_version_arn(
                    self, f"Layer-{layer.value}", managed_layer_arn(layer, region=region, settings=settings)
                )
                for layer in props.layers
            ],
            environment={
                "POWERTOOLS_SERVICE_NAME": props.function_name,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "MLOPS_CONFIG_FILE": packaging.CONFIG_FILE_NAME,
                **props.environment,
            },
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Active tracing: xray:PutTraceSegments and PutTelemetryRecords support no resource scoping",
            )
        )


@dataclass(frozen=True, kw_only=True)
class FunctionFactory:
    """What every function of one construct shares; `create` names it `<prefix>-<package>`."""

    prefix: str
    settings: LambdaConfig
    config_json: str
    build_root: Path
    log_key: kms.IKey
    removal_policy: RemovalPolicy

    def create(
        self,
        scope: Construct,
        id_: str,
        package: str,
        description: str,
        *,
        config_sections: frozenset[str] = frozenset(),
        environment: Mapping[str, str] | None = None,
        layers: tuple[ManagedLayer, ...] = (ManagedLayer.POWERTOOLS,),
        timeout: Duration | None = None,
        memory_mb: int | None = None,
    ) -> PythonFunction:
        return PythonFunction(
            scope,
            id_,
            props=PythonFunctionProps(
                function_name=f"{self.prefix}-{package.replace('_', '-')}",
                handler_package=package,
                description=description,
                settings=self.settings,
                config_json=self.config_json,
                config_sections=config_sections,
                build_root=self.build_root,
                log_key=self.log_key,
                removal_policy=self.removal_policy,
                environment=environment or {},
                layers=layers,
                timeout=timeout,
                memory_mb=memory_mb,
            ),
        )
