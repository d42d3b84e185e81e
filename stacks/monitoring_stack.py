"""MonitoringStack: the operations dashboard. Drift checks arrive with the drift issue."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from mlops.config import ProjectConfig
from stacks.common import StackSettings
from stacks.data_stack import DataStack


@dataclass(frozen=True, kw_only=True)
class MonitoringStackProps:
    config: ProjectConfig
    data: DataStack


class MonitoringStack(Stack):
    def __init__(self, scope: Construct, id_: str, *, props: MonitoringStackProps, stack: StackSettings) -> None:
        super().__init__(scope, id_, **stack.as_kwargs())
        config, data = props.config, props.data
        period = Duration.minutes(5)
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{config.prefix}-overview", default_interval=Duration.days(7)
        )
        self.dashboard.add_widgets(
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
