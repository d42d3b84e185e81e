"""Scheduled drift and model-quality checks: one EventBridge Scheduler schedule per dataset
invokes the check function with `{"dataset": ...}`; the function reads the endpoint's capture
since the last check, writes report.json/report.html, puts metrics (ServerlessMLOps/Drift) and
publishes DriftDetected / ModelQualityDegraded. Alarms per dataset on the drift share and on
degraded quality notify the topic.

IAM, exactly: the scheduler role may invoke this function only (from schedules of this account);
the function reads capture and labels, writes drift reports (artifacts bucket), reads data-version
manifests (data lake), reads and writes its own registry items, describes model packages of the
project's groups, puts metrics in its own namespace only and events on the domain bus only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from constructs import Construct

from mlops import layout
from mlops.monitoring import metrics as check_metrics
from mlops.monitoring.adapters import METRICS_NAMESPACE
from mlops.monitoring.schedule import interval_seconds, parse
from stacks.constructs.grants import grant_key_use, grant_object_read, grant_object_write
from stacks.constructs.python_function import FunctionFactory, ManagedLayer, PythonFunction
from stacks.nag import acknowledge_wildcard_resource

#: the longest period an alarm may use, and the one for schedules without a fixed interval
MAX_ALARM_PERIOD_S = 86_400


@dataclass(frozen=True, kw_only=True)
class DriftMonitorProps:
    functions: FunctionFactory
    datasets: Sequence[str]
    #: dataset -> its schedule's name
    schedule_names: Mapping[str, str]
    #: dataset -> (drift alarm name, quality alarm name)
    alarm_names: Mapping[str, tuple[str, str]]
    schedule_expression: str
    drifted_share: float
    artifacts: s3.IBucket
    artifacts_key: kms.IKey
    data_lake: s3.IBucket
    data_key: kms.IKey
    registry: dynamodb.ITableV2
    bus: events.IEventBus
    event_source: str
    model_package_groups: Sequence[str]
    topic: sns.ITopic


def alarm_period(expression: str) -> Duration:
    """One check per period: the schedule's interval (whole minutes, at most a day)."""
    seconds = interval_seconds(parse(expression)) or MAX_ALARM_PERIOD_S
    return Duration.seconds(min(max(60, seconds // 60 * 60), MAX_ALARM_PERIOD_S))


class DriftMonitor(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: DriftMonitorProps) -> None:
        super().__init__(scope, id_)
        self._stack = Stack.of(self)
        self.check_fn: PythonFunction = props.functions.create(
            self,
            "CheckFunction",
            "monitor_check",
            "Drift and model-quality check of a dataset's endpoint capture since the last check",
            config_sections=frozenset({"drift"}),
            environment={
                "REGISTRY_TABLE": props.registry.table_name,
                "ARTIFACTS_BUCKET": props.artifacts.bucket_name,
                "EVENT_BUS": props.bus.event_bus_name,
                "EVENT_SOURCE": props.event_source,
            },
            layers=(ManagedLayer.POWERTOOLS, ManagedLayer.SDK_PANDAS),
            timeout=Duration.minutes(15),
            memory_mb=2048,
        )
        self._grant_check(props)
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": self._stack.account}}
            ),
            description="EventBridge Scheduler: invokes the drift check function, nothing else",
        )
        target_function = self.check_fn.function
        self.schedules: dict[str, scheduler.Schedule] = {}
        for dataset in props.datasets:
            self.schedules[dataset] = scheduler.Schedule(
                self,
                f"Schedule-{dataset}",
                schedule_name=props.schedule_names[dataset],
                description=f"Drift and model-quality check of {dataset}",
                schedule=scheduler.ScheduleExpression.expression(props.schedule_expression),
                target=scheduler_targets.LambdaInvoke(
                    target_function,
                    input=scheduler.ScheduleTargetInput.from_object({"dataset": dataset}),
                    role=self.scheduler_role,
                    retry_attempts=2,
                    max_event_age=Duration.hours(1),
                ),
            )
        acknowledge_wildcard_resource(
            self.scheduler_role,
            f"{target_function.function_arn}:*",
            "the scheduler invokes any published version of the drift check function only",
        )
        period = alarm_period(props.schedule_expression)
        self.drift_alarms: dict[str, cloudwatch.Alarm] = {}
        self.quality_alarms: dict[str, cloudwatch.Alarm] = {}
        for dataset in props.datasets:
            drift_name, quality_name = props.alarm_names[dataset]
            self.drift_alarms[dataset] = self._alarm(
                f"DriftAlarm-{dataset}",
                drift_name,
                drift_share_metric(dataset, period),
                props.drifted_share,
                f"{dataset}: the share of drifted features reached {props.drifted_share:g} (see the drift report)",
                props.topic,
            )
            self.quality_alarms[dataset] = self._alarm(
                f"QualityAlarm-{dataset}",
                quality_name,
                quality_degraded_metric(dataset, period),
                1,
                f"{dataset}: model quality on labelled traffic fell beyond drift.quality_tolerance",
                props.topic,
            )

    def _alarm(
        self, id_: str, name: str, metric: cloudwatch.Metric, threshold: float, description: str, topic: sns.ITopic
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            id_,
            alarm_name=name,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            # one datapoint per check: between checks the alarm keeps the last check's state
            treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(topic))
        alarm.add_ok_action(cw_actions.SnsAction(topic))
        return alarm

    def _grant_check(self, props: DriftMonitorProps) -> None:
        role = self.check_fn.role
        grant_object_read(props.artifacts, role, layout.DATA_CAPTURE)
        grant_object_read(props.artifacts, role, layout.LABELS)
        grant_object_write(props.artifacts, role, layout.DRIFT_REPORTS)
        grant_key_use(props.artifacts_key, role, encrypt=True)
        grant_object_read(props.data_lake, role, layout.VERSIONS)
        # registry items are encrypted with the data key: the check writes its watermark and records
        grant_key_use(props.data_key, role, encrypt=True)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
                resources=[props.registry.table_arn],
            )
        )
        packages = [
            self._stack.format_arn(service="sagemaker", resource="model-package", resource_name=f"{group.lower()}/*")
            for group in props.model_package_groups
        ]
        role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeModelPackage"], resources=packages))
        for arn in packages:
            acknowledge_wildcard_resource(role, arn, "reads the serving model's evaluation metrics from its own group")
        role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:ListModelPackages"], resources=["*"]))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
            )
        )
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="PutMetricData (limited to its namespace by condition) and the read-only ListModelPackages "
                "support no resource-level permissions; X-Ray tracing neither",
            )
        )
        props.bus.grant_put_events_to(role)


def drift_share_metric(dataset: str, period: Duration) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=check_metrics.DRIFTED_SHARE,
        dimensions_map={"Dataset": dataset},
        statistic="Maximum",
        period=period,
    )


def quality_degraded_metric(dataset: str, period: Duration) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name="QualityDegraded",
        dimensions_map={"Dataset": dataset},
        statistic="Maximum",
        period=period,
    )
