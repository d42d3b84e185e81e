"""MonitoringStack: scheduled drift and model-quality checks of every dataset's endpoint, the
alarms on them, retraining on their alerts (with a guard), and the operations dashboard.

Resources of the other stacks are referenced like the pipeline stack references the data lake:
buckets and state machines by their physical names (mlops/names.py), so grants can be scoped to
prefixes and no export pins them; the registry, bus, keys and topic are handed over typed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from mlops import names
from mlops.config import ProjectConfig
from mlops.monitoring import metrics as check_metrics
from mlops.monitoring.adapters import METRICS_NAMESPACE
from stacks.common import StackSettings
from stacks.constructs.drift_monitor import DriftMonitor, DriftMonitorProps, alarm_period, drift_share_metric
from stacks.constructs.python_function import FunctionFactory
from stacks.constructs.retraining_guard import RetrainingGuard, RetrainingGuardProps
from stacks.data_stack import DataStack
from stacks.pipeline_stack import PipelineStack


@dataclass(frozen=True, kw_only=True)
class MonitoringStackProps:
    config: ProjectConfig
    data: DataStack
    pipeline: PipelineStack
    removal_policy: RemovalPolicy
    build_root: Path


class MonitoringStack(Stack):
    def __init__(self, scope: Construct, id_: str, *, props: MonitoringStackProps, stack: StackSettings) -> None:
        super().__init__(scope, id_, **stack.as_kwargs())
        config, data, pipeline = props.config, props.data, props.pipeline
        datasets = sorted(config.datasets)
        artifacts = s3.Bucket.from_bucket_name(self, "Artifacts", pipeline.artifacts_bucket_name)
        data_lake = s3.Bucket.from_bucket_name(self, "DataLake", data.data_lake_bucket_name)
        functions = FunctionFactory(
            prefix=config.prefix,
            settings=config.lambdas,
            config_json=config.to_json(),
            build_root=props.build_root,
            log_key=data.encryption.key,
            removal_policy=props.removal_policy,
        )
        self.drift = DriftMonitor(
            self,
            "Drift",
            props=DriftMonitorProps(
                functions=functions,
                datasets=datasets,
                schedule_names={d: names.drift_schedule(config, d) for d in datasets},
                alarm_names={
                    d: (names.drift_alarm(config, d, "drift"), names.drift_alarm(config, d, "quality"))
                    for d in datasets
                },
                schedule_expression=config.drift.schedule,
                drifted_share=config.drift.drifted_share,
                artifacts=artifacts,
                artifacts_key=pipeline.key,
                data_lake=data_lake,
                data_key=data.encryption.key,
                registry=data.registry,
                bus=data.events.bus,
                event_source=data.events.source,
                model_package_groups=[names.model_package_group(config, d) for d in datasets],
                topic=data.notifications,
            ),
        )
        self.guard = RetrainingGuard(
            self,
            "Retraining",
            props=RetrainingGuardProps(
                functions=functions,
                bus=data.events.bus,
                event_source=data.events.source,
                registry=data.registry,
                registry_table_name=names.registry_table(config),
                data_key=data.encryption.key,
                training_state_machine_name=names.training_state_machine(config),
            ),
        )
        self.dashboard = self._dashboard(config, data, datasets)
        CfnOutput(self, "DriftCheckFunctionName", value=self.drift.check_fn.function.function_name)
        CfnOutput(self, "RetrainingGuardFunctionName", value=self.guard.guard_fn.function.function_name)

    def _dashboard(self, config: ProjectConfig, data: DataStack, datasets: list[str]) -> cloudwatch.Dashboard:
        period = Duration.minutes(5)
        check_period = alarm_period(config.drift.schedule)
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{config.prefix}-overview", default_interval=Duration.days(7)
        )
        training = sfn.StateMachine.from_state_machine_name(
            self, "TrainingStateMachine", names.training_state_machine(config)
        )
        deploy = sfn.StateMachine.from_state_machine_name(
            self, "DeployStateMachine", names.deploy_state_machine(config)
        )
        feature_scores = [
            cloudwatch.MathExpression(
                expression=(
                    f"SEARCH('{{{METRICS_NAMESPACE},Dataset,Feature}} "
                    f'MetricName="{check_metrics.FEATURE_DRIFT_SCORE}" Dataset="{d}"\', '
                    f"'Maximum', {int(check_period.to_seconds())})"
                ),
                label=f"{d}: ",
                period=check_period,
            )
            for d in datasets
        ]
        quality = [
            cloudwatch.MathExpression(
                expression=(
                    f"SEARCH('{{{METRICS_NAMESPACE},Dataset,Metric}} "
                    f'MetricName="{check_metrics.MODEL_QUALITY}" Dataset="{d}"\', '
                    f"'Average', {int(check_period.to_seconds())})"
                ),
                label=f"{d}: ",
                period=check_period,
            )
            for d in datasets
        ]
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Drift: share of drifted features per check",
                left=[drift_share_metric(d, check_period).with_(label=d) for d in datasets],
                left_annotations=[cloudwatch.HorizontalAnnotation(value=config.drift.drifted_share, label="drifts at")],
            ),
            cloudwatch.GraphWidget(title="Drift: score per feature", left=feature_scores),
            cloudwatch.GraphWidget(
                title=f"Model quality on labelled traffic ({config.quality_gate.metric})", left=quality
            ),
            cloudwatch.AlarmStatusWidget(
                title="Drift and quality alarms",
                alarms=[*self.drift.drift_alarms.values(), *self.drift.quality_alarms.values()],
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Training pipeline runs",
                left=[
                    training.metric_started(period=period),
                    training.metric_succeeded(period=period),
                    training.metric_failed(period=period),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Deployments",
                left=[
                    deploy.metric_started(period=period),
                    deploy.metric_succeeded(period=period),
                    deploy.metric_failed(period=period),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Drift checks and retraining guard: errors",
                left=[
                    self.drift.check_fn.function.metric_errors(period=period),
                    self.guard.guard_fn.function.metric_errors(period=period),
                ],
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Registry: consumed capacity",
                left=[
                    data.registry.metric_consumed_read_capacity_units(period=period),
                    data.registry.metric_consumed_write_capacity_units(period=period),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Registry: throttled requests",
                left=[data.registry.metric_throttled_requests_for_operations(period=period)],
            ),
            cloudwatch.GraphWidget(
                title="Registry: system errors",
                left=[data.registry.metric_system_errors_for_operations(period=period)],
            ),
            cloudwatch.GraphWidget(
                title="Notifications published / failed",
                left=[
                    data.notifications.metric_number_of_messages_published(period=period),
                    data.notifications.metric_number_of_notifications_failed(period=period),
                ],
            ),
        )
        return dashboard
