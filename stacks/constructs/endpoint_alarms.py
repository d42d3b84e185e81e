"""The rollback alarms of each dataset's endpoint: one CloudWatch alarm per `deployment.alarms`
entry on SageMaker's per-variant metric (namespace AWS/SageMaker, dimensions EndpointName and
VariantName), named by mlops/serving/naming.alarm so the deploy workflow's DeploymentConfig
can name them. Error counts are summed over the period, latencies averaged; a period without
invocations is not breaching (an idle endpoint is healthy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from mlops.config import AlarmConfig
from mlops.serving import naming
from mlops.serving.models import VARIANT_NAME

_SUMMED = frozenset({"Invocation5XXErrors", "Invocation4XXErrors"})


@dataclass(frozen=True, kw_only=True)
class EndpointAlarmsProps:
    prefix: str
    datasets: Sequence[str]
    alarms: Sequence[AlarmConfig]


class EndpointAlarms(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: EndpointAlarmsProps) -> None:
        super().__init__(scope, id_)
        #: (dataset, metric) -> alarm
        self.alarms: dict[tuple[str, str], cloudwatch.Alarm] = {}
        for dataset in props.datasets:
            endpoint = naming.endpoint(props.prefix, dataset)
            for spec in props.alarms:
                name = naming.alarm(props.prefix, dataset, spec.metric)
                metric = cloudwatch.Metric(
                    namespace="AWS/SageMaker",
                    metric_name=spec.metric,
                    dimensions_map={"EndpointName": endpoint, "VariantName": VARIANT_NAME},
                    period=Duration.seconds(spec.period_seconds),
                    statistic="Sum" if spec.metric in _SUMMED else "Average",
                )
                self.alarms[(dataset, spec.metric)] = cloudwatch.Alarm(
                    self,
                    f"{dataset}-{spec.metric}",
                    alarm_name=name,
                    alarm_description=(
                        f"Rolls back a deployment of {endpoint} when {spec.metric} reaches {spec.threshold:g}"
                    ),
                    metric=metric,
                    threshold=spec.threshold,
                    evaluation_periods=spec.evaluation_periods,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )

    def arns(self) -> list[str]:
        return [alarm.alarm_arn for alarm in self.alarms.values()]
