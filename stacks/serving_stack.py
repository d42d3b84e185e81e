"""ServingStack: the role SageMaker endpoints run models with. The deploy and rollback
workflow arrives with the serving issue."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from mlops import layout
from mlops.config import ProjectConfig
from stacks.common import StackSettings
from stacks.constructs.grants import grant_key_use, grant_object_read, grant_object_write
from stacks.constructs.sagemaker_role import SageMakerRole, SageMakerRoleProps
from stacks.pipeline_stack import PipelineStack


@dataclass(frozen=True, kw_only=True)
class ServingStackProps:
    config: ProjectConfig
    pipeline: PipelineStack


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
        CfnOutput(self, "ModelRoleArn", value=self.model_role.role_arn)
