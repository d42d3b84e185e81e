"""ServingStack: the role SageMaker models run with, batch inference over data versions. The
deploy and rollback workflow arrives with the serving issue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from mlops import layout, names
from mlops.config import ProjectConfig
from stacks.common import StackSettings
from stacks.constructs.batch_inference import BatchInference, BatchInferenceProps
from stacks.constructs.grants import grant_key_use, grant_object_read, grant_object_write
from stacks.constructs.sagemaker_role import SageMakerRole, SageMakerRoleProps
from stacks.data_stack import DataStack
from stacks.pipeline_stack import PipelineStack


@dataclass(frozen=True, kw_only=True)
class ServingStackProps:
    config: ProjectConfig
    data: DataStack
    pipeline: PipelineStack
    removal_policy: RemovalPolicy
    build_root: Path


class ServingStack(Stack):
    def __init__(self, scope: Construct, id_: str, *, props: ServingStackProps, stack: StackSettings) -> None:
        super().__init__(scope, id_, **stack.as_kwargs())
        config, pipeline = props.config, props.pipeline
        # by name, like the data lake in the pipeline stack (prefix-scoped grants; see there)
        artifacts = s3.Bucket.from_bucket_name(self, "Artifacts", pipeline.artifacts_bucket_name)
        self.model_role = SageMakerRole(
            self,
            "ModelRole",
            props=SageMakerRoleProps(
                description=f"{config.prefix}: SageMaker models behind endpoints",
                log_group_prefix="/aws/sagemaker/Endpoints",
            ),
        ).role
        # Models read their artifacts and the inference code registered with them; endpoints
        # write captured requests under data-capture/.
        grant_object_read(artifacts, self.model_role, layout.MODELS)
        pipeline.training.grant_read_code(self.model_role)
        grant_object_write(artifacts, self.model_role, layout.DATA_CAPTURE)
        grant_key_use(pipeline.key, self.model_role, encrypt=True)
        self.batch = BatchInference(
            self,
            "BatchInference",
            props=BatchInferenceProps(
                prefix=config.prefix,
                state_machine_name=names.batch_state_machine(config),
                datasets=sorted(config.datasets),
                model_package_groups=[names.model_package_group(config, d) for d in sorted(config.datasets)],
                model_role=self.model_role,
                data_lake=s3.Bucket.from_bucket_name(self, "DataLake", props.data.data_lake_bucket_name),
                data_key=props.data.encryption.key,
                artifacts=artifacts,
                artifacts_key=pipeline.key,
                registry=props.data.registry,
                topic=props.data.notifications,
                tags=config.tags(),
                instance_type=config.deployment.instance_type,
                lambda_settings=config.lambdas,
                config_json=config.to_json(),
                build_root=props.build_root,
                removal_policy=props.removal_policy,
            ),
        )
        CfnOutput(self, "ModelRoleArn", value=self.model_role.role_arn)
        CfnOutput(self, "BatchStateMachineArn", value=self.batch.state_machine.state_machine_arn)
