"""What starts the deploy workflow without a person running `mlops serve deploy`.

An EventBridge rule per dataset on "SageMaker Model Package State Change" with
`ModelApprovalStatus: Approved` in the dataset's model package group, in every environment.
SageMaker emits that event when a package is registered already approved
(`model_approval: Approved`: the registration triggers the deployment) and when a person
approves one (`mlops model approve NAME@N`, the console, the API). One path for both, rather
than a Deploy step in the training pipeline: a training run does not wait through hours of
canary baking (nor fail because an endpoint rolled back: the run registered a good model, the
deployment history says what became of it), the pipeline stack needs nothing of the serving
stack (no cycle between them), and an approval outside our CLI deploys the same way.
Duplicate events for one state change are skipped by the workflow's resolve step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from mlops.serving.models import Trigger

MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"


@dataclass(frozen=True, kw_only=True)
class DeployTriggersProps:
    #: dataset -> its model package group
    groups: Mapping[str, str]
    state_machine: sfn.IStateMachine
    #: how the deployments are recorded: `registration` where packages are approved when
    #: registered, `approval` where a person approves them
    trigger: Trigger


class DeployTriggers(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: DeployTriggersProps) -> None:
        super().__init__(scope, id_)
        self.rules: dict[str, events.Rule] = {}
        for dataset, group in sorted(props.groups.items()):
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
            package = events.EventField.from_path("$.detail.ModelPackageArn")
            rule.add_target(
                targets.SfnStateMachine(
                    props.state_machine,
                    input=events.RuleTargetInput.from_object(
                        {
                            "dataset": dataset,
                            "model_package_arn": package,
                            "trigger": props.trigger,
                            "triggered_by": package,
                        }
                    ),
                )
            )
            self.rules[dataset] = rule
