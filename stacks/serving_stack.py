"""ServingStack: the role SageMaker endpoints run models with, the rollback alarms of each
dataset's endpoint, the deploy workflow, and what starts it.

Triggers: an EventBridge rule per dataset on "SageMaker Model Package State Change" with
`ModelApprovalStatus: Approved` in the dataset's model package group starts the deploy
workflow, in every environment. SageMaker emits that event when a package is registered
already approved (`model_approval: Approved`: the registration triggers the deployment) and
when a person approves one (`mlops model approve NAME@N`, the console, the API). One path
for both, rather than a Deploy step in the training pipeline: a training run does not wait
hours of canary baking (nor fail because an endpoint rolled back: the run registered a good
model, the deployment history says what happened to it), the pipeline stack needs nothing
of this one (no cycle between the stacks), and an approval outside our CLI deploys the same
way. Duplicate events for one state change are skipped by the workflow's resolve step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from mlops import layout, names
from mlops.config import ProjectConfig
from stacks.common import StackSettings
from stacks.constructs.deploy_workflow import DeployWorkflow, DeployWorkflowProps
from stacks.constructs.endpoint_alarms import EndpointAlarms, EndpointAlarmsProps
from stacks.constructs.grants import grant_key_use, grant_object_read, grant_object_write
from stacks.constructs.sagemaker_role import SageMakerRole, SageMakerRoleProps
from stacks.data_stack import DataStack
from stacks.pipeline_stack import PipelineStack

MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"


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
        self.alarms = EndpointAlarms(
            self,
            "Alarms",
            props=EndpointAlarmsProps(prefix=config.prefix, datasets=datasets, alarms=config.deployment.alarms),
        )
        groups = [names.model_package_group(config, d) for d in datasets]
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
                model_package_groups=groups,
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
        trigger = "registration" if config.settings.model_approval == "Approved" else "approval"
        for dataset, group in zip(datasets, groups, strict=True):
            rule = events.Rule(
                self,
                f"Approved-{dataset}",
                description=f"Deploy {dataset} when a model package of {group} is approved",
                event_pattern=events.EventPattern(
                    source=["aws.sagemaker"],
                    detail_type=[MODEL_PACKAGE_STATE_CHANGE],
                    detail={"ModelPackageGroupName": [group], "ModelApprovalStatus": ["Approved"]},
                ),
            )
            rule.add_target(
                targets.SfnStateMachine(
                    self.deploy.state_machine,
                    input=events.RuleTargetInput.from_object(
                        {
                            "dataset": dataset,
                            "model_package_arn": events.EventField.from_path("$.detail.ModelPackageArn"),
                            "trigger": trigger,
                            "triggered_by": events.EventField.from_path("$.detail.ModelPackageArn"),
                        }
                    ),
                )
            )
        CfnOutput(self, "ModelRoleArn", value=self.model_role.role_arn)
        CfnOutput(self, "DeployStateMachineArn", value=self.deploy.state_machine.state_machine_arn)
