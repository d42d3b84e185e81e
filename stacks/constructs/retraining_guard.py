"""Retraining on alerts: an EventBridge rule on the domain bus sends DriftDetected and
ModelQualityDegraded to the guard function, which starts the training pipeline unless a run is
in progress, one started within the cooldown, or `drift.retrain` is false (mlops/monitoring/guard.py).

IAM, exactly: start and list executions of the training state machine, describe its executions,
read and write the registry (its own items; run records through the runs index).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from mlops.monitoring.models import ALERT_TYPES
from mlops.registry import keys
from stacks.constructs.grants import grant_key_use
from stacks.constructs.python_function import FunctionFactory, PythonFunction
from stacks.nag import acknowledge_wildcard_resource


@dataclass(frozen=True, kw_only=True)
class RetrainingGuardProps:
    functions: FunctionFactory
    bus: events.IEventBus
    event_source: str
    registry: dynamodb.ITableV2
    registry_table_name: str
    data_key: kms.IKey
    training_state_machine_name: str


class RetrainingGuard(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: RetrainingGuardProps) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.state_machine_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=props.training_state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.guard_fn: PythonFunction = props.functions.create(
            self,
            "GuardFunction",
            "monitor_guard",
            "Start retraining on a drift or quality alert, or record why not",
            config_sections=frozenset({"drift"}),
            environment={"REGISTRY_TABLE": props.registry.table_name, "STATE_MACHINE_ARN": self.state_machine_arn},
        )
        role = self.guard_fn.role
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:StartExecution", "states:ListExecutions", "states:DescribeStateMachine"],
                resources=[self.state_machine_arn],
            )
        )
        executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{props.training_state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_policy(iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions]))
        acknowledge_wildcard_resource(role, executions, "describes executions of the training state machine only")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
                resources=[props.registry.table_arn],
            )
        )
        # run records by dataset (the cooldown counts runs started by anyone); named, not `index/*`
        runs_index = stack.format_arn(
            service="dynamodb", resource="table", resource_name=f"{props.registry_table_name}/index/{keys.RUNS_INDEX}"
        )
        role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:Query"], resources=[runs_index]))
        grant_key_use(props.data_key, role, encrypt=True)

        self.rule = events.Rule(
            self,
            "AlertRule",
            event_bus=props.bus,
            description="Drift and model-quality alerts to the retraining guard",
            event_pattern=events.EventPattern(source=[props.event_source], detail_type=list(ALERT_TYPES)),
        )
        self.rule.add_target(targets.LambdaFunction(self.guard_fn.function, retry_attempts=2))
