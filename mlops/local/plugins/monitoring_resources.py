"""CloudFormation resource types of the monitoring stack that moto 5.2.5 does not know (it skips
them with a warning): `AWS::Scheduler::Schedule` and `AWS::CloudWatch::Alarm`, created through
moto's scheduler and CloudWatch backends. Registered by being imported (CloudFormationModel
subclasses); plugins/scheduler.py checks the registry picked them up."""

from __future__ import annotations

import logging
from typing import Any

from moto.core.common_models import CloudFormationModel

from mlops.local.plugins._contract import MotoContractError, require

logger = logging.getLogger("mlops.local")
_SCHEDULER = "moto.scheduler.models"


def _scheduler(account_id: str, region_name: str) -> Any:
    return require(_SCHEDULER, "scheduler_backends")[account_id][region_name]


class ScheduleResource(CloudFormationModel):
    def __init__(self, name: str, group: str, arn: str) -> None:
        self.name, self.group, self.arn = name, group, arn

    def is_created(self) -> bool:
        return True

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::Schedule"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            return self.arn
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> ScheduleResource:
        p = cloudformation_json.get("Properties", {})
        schedule = _scheduler(account_id, region_name).create_schedule(
            description=p.get("Description"),
            end_date=p.get("EndDate"),
            flexible_time_window=p.get("FlexibleTimeWindow", {"Mode": "OFF"}),
            group_name=p.get("GroupName"),
            kms_key_arn=p.get("KmsKeyArn"),
            name=p.get("Name") or resource_name,
            schedule_expression=p["ScheduleExpression"],
            schedule_expression_timezone=p.get("ScheduleExpressionTimezone"),
            start_date=None,
            state=p.get("State", "ENABLED"),
            target=dict(p["Target"]),
            action_after_completion=p.get("ActionAfterCompletion"),
        )
        return cls(schedule.name, schedule.group_name, schedule.arn)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: ScheduleResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> ScheduleResource:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        p = cloudformation_json.get("Properties", {})
        cls(p.get("Name") or resource_name, p.get("GroupName") or "default", "").delete(account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        try:
            _scheduler(account_id, region_name).delete_schedule(self.group, self.name)
        except Exception:  # already gone: deleting is idempotent, as in CloudFormation
            logger.info("schedule %s was already deleted", self.name)


class AlarmResource(CloudFormationModel):
    def __init__(self, name: str, arn: str) -> None:
        self.name, self.arn = name, arn

    def is_created(self) -> bool:
        return True

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            return self.arn
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> AlarmResource:
        p = cloudformation_json.get("Properties", {})
        if "Metrics" in p:
            raise MotoContractError("alarms on metric math are not created locally")
        name = p.get("AlarmName") or resource_name
        alarm = _cloudwatch(account_id, region_name).put_metric_alarm(
            name=name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=int(p.get("Period", 60)),
            threshold=float(p["Threshold"]),
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription"),
            dimensions=list(p.get("Dimensions", [])),
            alarm_actions=list(p.get("AlarmActions", [])),
            datapoints_to_alarm=int(p["DatapointsToAlarm"]) if "DatapointsToAlarm" in p else None,
            extended_statistic=p.get("ExtendedStatistic"),
            ok_actions=list(p.get("OKActions", [])),
            insufficient_data_actions=list(p.get("InsufficientDataActions", [])),
            unit=p.get("Unit"),
            actions_enabled=bool(p.get("ActionsEnabled", True)),
            treat_missing_data=p.get("TreatMissingData"),
            tags=list(p.get("Tags", [])),
        )
        return cls(name, str(alarm.alarm_arn))

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: AlarmResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> AlarmResource:
        if (cloudformation_json.get("Properties", {}).get("AlarmName") or new_resource_name) != original_resource.name:
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        name = cloudformation_json.get("Properties", {}).get("AlarmName") or resource_name
        _cloudwatch(account_id, region_name).delete_alarms([name])

    def delete(self, account_id: str, region_name: str) -> None:
        _cloudwatch(account_id, region_name).delete_alarms([self.name])


def _cloudwatch(account_id: str, region_name: str) -> Any:
    return require("moto.cloudwatch.models", "cloudwatch_backends")[account_id][region_name]
