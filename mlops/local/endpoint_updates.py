"""Blue/green traffic shifting for local endpoints: the plan of an UpdateEndpoint `DeploymentConfig`.

`traffic_steps` turns `BlueGreenUpdatePolicy.TrafficRoutingConfiguration` into the shares of
traffic (percent) on the new fleet after each shift:

- `ALL_AT_ONCE`: [100];
- `CANARY`: [canary, 100], `CanarySize` as `CAPACITY_PERCENT` or `INSTANCE_COUNT` (of the new
  fleet's instances);
- `LINEAR`: [step, 2 x step, ..., 100] by `LinearStepSize`.

Each shift is followed by a bake of `WaitIntervalInSeconds`; after the last one the old fleet
is kept for `TerminationWaitInSeconds` (alarms still watched) and then stopped. Locally every
one of these waits, and `MaximumExecutionTimeoutInSeconds`, is compressed by
`MLOPS_LOCAL_WAIT_SCALE` (`mlops.local.plugins.clock.scale`), as Step Functions waits are.

`FleetSplit` routes invocations between the old and the new fleet deterministically: with p%
on the new fleet, invocation n goes there when floor(n * p / 100) grows, so 10% sends exactly
every tenth invocation to the new fleet.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any


class DeploymentConfigError(ValueError):
    """A DeploymentConfig SageMaker would refuse (ValidationException)."""


@dataclass(frozen=True)
class Plan:
    steps: list[int]
    bake_seconds: float
    termination_wait_seconds: float
    max_execution_seconds: float | None
    alarm_names: list[str]


def _capacity_percent(size: dict[str, Any] | None, instances: int, what: str) -> int:
    if not size:
        raise DeploymentConfigError(f"{what} is required for this traffic routing type")
    value = float(size.get("Value", 0))
    if size.get("Type") == "INSTANCE_COUNT":
        percent = 100.0 * value / max(instances, 1)
    elif size.get("Type") == "CAPACITY_PERCENT":
        percent = value
    else:
        raise DeploymentConfigError(f"{what}.Type must be INSTANCE_COUNT or CAPACITY_PERCENT")
    if not 0 < percent <= 100:
        raise DeploymentConfigError(f"{what} must be more than 0% and at most 100% of the new fleet")
    return max(1, min(100, math.floor(percent)))


def traffic_steps(routing: dict[str, Any], new_instances: int) -> list[int]:
    kind = routing.get("Type")
    if kind == "ALL_AT_ONCE":
        return [100]
    if kind == "CANARY":
        canary = _capacity_percent(routing.get("CanarySize"), new_instances, "CanarySize")
        return [canary, 100] if canary < 100 else [100]
    if kind == "LINEAR":
        step = _capacity_percent(routing.get("LinearStepSize"), new_instances, "LinearStepSize")
        return [min(step * i, 100) for i in range(1, math.ceil(100 / step) + 1)]
    raise DeploymentConfigError(f"TrafficRoutingConfiguration.Type {kind!r} is not ALL_AT_ONCE, CANARY or LINEAR")


def plan(deployment_config: dict[str, Any] | None, new_instances: int, scale: float) -> Plan:
    """The local plan of an update; without a blue/green policy, all traffic at once, no bake."""
    config = deployment_config or {}
    alarm_names = [str(a["AlarmName"]) for a in (config.get("AutoRollbackConfiguration") or {}).get("Alarms") or []]
    policy = config.get("BlueGreenUpdatePolicy")
    if config.get("RollingUpdatePolicy") and not policy:
        raise DeploymentConfigError(
            "RollingUpdatePolicy is not supported by the local cloud: use BlueGreenUpdatePolicy"
        )
    if not policy:
        return Plan([100], 0.0, 0.0, None, alarm_names)
    routing = policy.get("TrafficRoutingConfiguration") or {}
    wait = float(routing.get("WaitIntervalInSeconds", 0))
    if not 0 <= wait <= 3600:
        raise DeploymentConfigError("WaitIntervalInSeconds must be between 0 and 3600")
    maximum = policy.get("MaximumExecutionTimeoutInSeconds")
    return Plan(
        steps=traffic_steps(routing, new_instances),
        bake_seconds=wait * scale,
        termination_wait_seconds=float(policy.get("TerminationWaitInSeconds", 0)) * scale,
        max_execution_seconds=float(maximum) * scale if maximum else None,
        alarm_names=alarm_names,
    )


@dataclass
class FleetSplit:
    """Which fleet serves the next invocation while `percent_new` of the traffic is shifted."""

    percent_new: int = 0
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, percent: int) -> None:
        with self._lock:
            self.percent_new = percent
            self._count = 0

    def to_new(self) -> bool:
        with self._lock:
            self._count += 1
            n, p = self._count, self.percent_new
        return (n * p) // 100 > ((n - 1) * p) // 100
