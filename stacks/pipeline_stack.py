"""PipelineStack: training artifacts, the SageMaker training role, the model package groups and
the training state machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from mlops import layout, names
from mlops.config import ProjectConfig
from stacks import images, packaging
from stacks.common import StackSettings
from stacks.constructs.encryption import EncryptionKey, EncryptionKeyProps
from stacks.constructs.grants import grant_key_use, grant_object_read, grant_object_write
from stacks.constructs.model_registry import ModelRegistry, ModelRegistryProps
from stacks.constructs.sagemaker_role import SageMakerRole, SageMakerRoleProps
from stacks.constructs.secure_bucket import SecureBucket, SecureBucketProps
from stacks.constructs.training_pipeline import TrainingPipeline, TrainingPipelineProps
from stacks.data_stack import DataStack, bucket_name


@dataclass(frozen=True, kw_only=True)
class PipelineStackProps:
    config: ProjectConfig
    removal_policy: RemovalPolicy
    data: DataStack
    build_root: Path


class PipelineStack(Stack):
    def __init__(self, scope: Construct, id_: str, *, props: PipelineStackProps, stack: StackSettings) -> None:
        super().__init__(scope, id_, **stack.as_kwargs())
        config, data = props.config, props.data
        # Buckets cross stacks by their deterministic physical name: their grants are scoped to
        # key prefixes, and the cdk-nag acknowledgement of each `<bucket arn>/<prefix>*` must name
        # the resource when the grant is made, before CDK turns a typed reference into an export.
        # Everything else of the data stack is handed over typed.
        data_lake = s3.Bucket.from_bucket_name(self, "DataLake", data.data_lake_bucket_name)
        self.artifacts_bucket_name = bucket_name(config, "artifacts", self.region)
        self.key = EncryptionKey(
            self,
            "Encryption",
            props=EncryptionKeyProps(
                alias=f"alias/{config.prefix}/artifacts",
                description=f"{config.prefix}: model artifacts, checkpoints, evaluations, training volumes",
                removal_policy=props.removal_policy,
                service_principals=(f"logs.{self.region}.amazonaws.com",),
            ),
        ).key
        self.artifacts: s3.IBucket = SecureBucket(
            self,
            "Artifacts",
            props=SecureBucketProps(
                bucket_name=self.artifacts_bucket_name,
                key=self.key,
                access_logs=data.access_logs,
                access_log_prefix="artifacts/",
                removal_policy=props.removal_policy,
                noncurrent_version_expiration_days=config.data_lake.noncurrent_version_expiration_days,
            ),
        ).bucket
        training_role = SageMakerRole(
            self,
            "TrainingRole",
            props=SageMakerRoleProps(
                description=f"{config.prefix}: SageMaker training and processing jobs",
                log_group_prefix="/aws/sagemaker/TrainingJobs",
            ),
        )
        if config.training.vpc:
            training_role.allow_vpc(config.training.vpc.subnet_ids, config.training.vpc.security_group_ids)
        self.training_role = training_role.role
        # Training reads the content-addressed objects of data versions and writes artifacts;
        # nothing under incoming/ (what a user uploads there later cannot reach a training job).
        grant_object_read(data_lake, self.training_role, layout.OBJECTS)
        grant_object_read(data_lake, self.training_role, layout.VERSIONS)
        grant_key_use(data.encryption.key, self.training_role, encrypt=False)
        grant_object_read(self.artifacts, self.training_role, "")
        grant_object_write(self.artifacts, self.training_role, "")
        grant_key_use(self.key, self.training_role, encrypt=True)

        self.model_registry = ModelRegistry(
            self,
            "Models",
            props=ModelRegistryProps(
                group_names=[names.model_package_group(config, name) for name in config.datasets],
                description=f"{config.project} models trained on",
            ),
        )
        self.training = TrainingPipeline(
            self,
            "Training",
            props=TrainingPipelineProps(
                prefix=config.prefix,
                training=config.training,
                tags=config.tags(),
                training_role=self.training_role,
                image_uri=training_image_uri(config),
                state_machine_name=names.training_state_machine(config),
                source_dir=packaging.REPO_ROOT / config.training.source_dir,
                artifacts=self.artifacts,
                artifacts_key=self.key,
                data_lake=data_lake,
                data_key=data.encryption.key,
                registry=data.registry,
                model_package_groups=list(self.model_registry.groups),
                topic=data.notifications,
                lambda_settings=config.lambdas,
                config_json=config.to_json(),
                build_root=props.build_root,
                removal_policy=props.removal_policy,
            ),
        )
        for group in self.model_registry.groups.values():
            self.training.node.add_dependency(group)
        CfnOutput(self, "ArtifactsBucketName", value=self.artifacts.bucket_name)
        CfnOutput(self, "TrainingRoleArn", value=self.training_role.role_arn)
        CfnOutput(self, "TrainingStateMachineArn", value=self.training.state_machine.state_machine_arn)


def training_image_uri(config: ProjectConfig) -> str:
    """The framework image, resolved offline from the SDK's bundled table at synth time."""
    return images.training_image_uri(
        config.training.framework,
        config.training.framework_version,
        config.settings.region,
    )
