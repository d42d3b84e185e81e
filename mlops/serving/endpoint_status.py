"""What `mlops serve status` shows: an endpoint as DescribeEndpoint and DescribeAlarms report it.

Pure: built from the two answers and the config, so it is tested without AWS. During a
blue/green update SageMaker reports the fleet serving now under `ProductionVariants` and the new
one under `PendingDeploymentSummary.ProductionVariants`, each variant with its current and
desired weight; the traffic split is each fleet's share of the current weights of both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mlops.config import ProjectConfig
from mlops.serving import naming

#: what an alarm that the config names but CloudWatch does not know is shown as
MISSING_ALARM = "MISSING"


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class VariantView(_View):
    name: str
    instance_type: str | None = None
    current_instances: int | None = None
    desired_instances: int | None = None
    current_weight: float | None = None
    desired_weight: float | None = None
    #: this variant's share of the endpoint's traffic now (percent, both fleets together)
    traffic_percent: float | None = None
    status: list[str] = Field(default_factory=list)


class UpdateView(_View):
    """A deployment in progress (`PendingDeploymentSummary`)."""

    endpoint_config_name: str
    model_version: int | None
    started_at: datetime | None = None
    variants: list[VariantView]
    #: the new fleet's share of the traffic now (percent)
    new_traffic_percent: float | None


class AlarmView(_View):
    name: str
    metric: str
    state: str
    reason: str | None = None
    updated_at: datetime | None = None


class EndpointView(_View):
    dataset: str
    name: str
    status: str
    endpoint_config_name: str | None
    model_version: int | None
    created_at: datetime | None = None
    last_modified_at: datetime | None = None
    failure_reason: str | None = None
    variants: list[VariantView]
    update: UpdateView | None = None
    alarms: list[AlarmView]


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _variants(described: Sequence[Mapping[str, Any]], total_weight: float) -> list[VariantView]:
    views = []
    for variant in described:
        current = _number(variant.get("CurrentWeight"))
        share = None if current is None or total_weight <= 0 else round(100 * current / total_weight, 2)
        views.append(
            VariantView(
                name=str(variant.get("VariantName", "")),
                instance_type=variant.get("InstanceType"),
                current_instances=_count(variant.get("CurrentInstanceCount")),
                desired_instances=_count(variant.get("DesiredInstanceCount")),
                current_weight=current,
                desired_weight=_number(variant.get("DesiredWeight")),
                traffic_percent=share,
                status=[str(s.get("Status")) for s in variant.get("VariantStatus") or []],
            )
        )
    return views


def _weight(variants: Sequence[Mapping[str, Any]]) -> float:
    return sum(float(v.get("CurrentWeight") or 0) for v in variants)


def alarm_names(config: ProjectConfig, dataset: str) -> dict[str, str]:
    """`{alarm name: metric}` of the rollback alarms the config declares for the dataset."""
    return {naming.alarm(config.prefix, dataset, a.metric): a.metric for a in config.deployment.alarms}


def _alarms(expected: Mapping[str, str], found: Sequence[Mapping[str, Any]]) -> list[AlarmView]:
    by_name = {str(a["AlarmName"]): a for a in found}
    views = []
    for name, metric in expected.items():
        alarm = by_name.get(name)
        if alarm is None:
            views.append(AlarmView(name=name, metric=metric, state=MISSING_ALARM))
            continue
        views.append(
            AlarmView(
                name=name,
                metric=metric,
                state=str(alarm.get("StateValue", "")),
                reason=alarm.get("StateReason"),
                updated_at=alarm.get("StateUpdatedTimestamp"),
            )
        )
    return views


def endpoint_view(
    config: ProjectConfig, dataset: str, described: Mapping[str, Any], alarms: Sequence[Mapping[str, Any]]
) -> EndpointView:
    serving = described.get("ProductionVariants") or []
    pending = described.get("PendingDeploymentSummary")
    pending_variants = (pending or {}).get("ProductionVariants") or []
    total = _weight(serving) + _weight(pending_variants)
    update = None
    if pending:
        new_weight = _weight(pending_variants)
        update = UpdateView(
            endpoint_config_name=str(pending.get("EndpointConfigName", "")),
            model_version=naming.version_of(str(pending.get("EndpointConfigName", ""))),
            started_at=pending.get("StartTime"),
            variants=_variants(pending_variants, total),
            new_traffic_percent=round(100 * new_weight / total, 2) if total > 0 else None,
        )
    config_name = described.get("EndpointConfigName")
    return EndpointView(
        dataset=dataset,
        name=str(described["EndpointName"]),
        status=str(described.get("EndpointStatus", "")),
        endpoint_config_name=config_name,
        model_version=naming.version_of(str(config_name)) if config_name else None,
        created_at=described.get("CreationTime"),
        last_modified_at=described.get("LastModifiedTime"),
        failure_reason=described.get("FailureReason"),
        variants=_variants(serving, total),
        update=update,
        alarms=_alarms(alarm_names(config, dataset), alarms),
    )
