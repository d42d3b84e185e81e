"""ServingStack: the role SageMaker models run with, the rollback alarms of each dataset's
endpoint, the deploy workflow and what starts it (stacks/constructs/deploy_triggers.py), and
batch inference over data versions."""

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
from stacks.constructs.deploy_triggers import DeployTriggers, DeployTriggersProps
from stacks.constructs.deploy_workflow import DeployWorkflow, DeployWorkflowProps
from stacks.constructs.endpoint_alarms import EndpointAlarms, EndpointAlarmsProps
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
        config, pipeline, data = props.config, props.pipeline, props.data
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

        datasets = sorted(config.datasets)
        groups = {d: names.model_package_group(config, d) for d in datasets}
        self.alarms = EndpointAlarms(
            self,
            "Alarms",
            props=EndpointAlarmsProps(prefix=config.prefix, datasets=datasets, alarms=config.deployment.alarms),
        )
        self.deploy = DeployWorkflow(
            self,
            "Deploy",
            props=DeployWorkflowProps(
                prefix=config.prefix,
                state_machine_name=names.deploy_state_machine(config),
                datasets=datasets,
                deployment=config.deployment,
                tags=config.tags(),
                model_role=self.model_role,
                model_package_groups=[groups[d] for d in datasets],
                capture_uri=f"s3://{pipeline.artifacts_bucket_name}/{layout.DATA_CAPTURE}",
                artifacts_key=pipeline.key,
                registry=data.registry,
                data_key=data.encryption.key,
                topic=data.notifications,
                alarm_arns=self.alarms.arns(),
                lambda_settings=config.lambdas,
                config_json=config.to_json(),
                build_root=props.build_root,
                removal_policy=props.removal_policy,
            ),
        )
        self.triggers = DeployTriggers(
            self,
            "DeployTriggers",
            props=DeployTriggersProps(
                groups=groups,
                state_machine=self.deploy.state_machine,
                trigger="registration" if config.settings.model_approval == "Approved" else "approval",
            ),
        )
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
        CfnOutput(self, "DeployStateMachineArn", value=self.deploy.state_machine.state_machine_arn)
        CfnOutput(self, "BatchStateMachineArn", value=self.batch.state_machine.state_machine_arn)
