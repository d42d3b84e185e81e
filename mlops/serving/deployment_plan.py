"""What SageMaker's endpoint APIs take, built from the `deployment:` config.

`deployment_config` is UpdateEndpoint's `DeploymentConfig`: a blue/green update whose traffic
shifts canary-style (`canary_size_percent` first, the rest after baking), linearly
(`linear_step_percent` a step) or all at once; each shift waits `bake_time_seconds` while the
configured alarms watch, and any alarm in ALARM rolls the endpoint back to the old fleet.
`data_capture_config` is CreateEndpointConfig's `DataCaptureConfig`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from mlops.config import DeploymentConfig, DeploymentStrategy
from mlops.errors import MlopsError

#: SageMaker's bounds for MaximumExecutionTimeoutInSeconds and TerminationWaitInSeconds
MIN_EXECUTION_TIMEOUT = 600
MAX_EXECUTION_TIMEOUT = 14400
MAX_TERMINATION_WAIT = 3600
#: room on top of the baking for instances to start and traffic to move
PROVISIONING_ALLOWANCE = 1800


class DeploymentPlanError(MlopsError):
    """The deployment config asks for something SageMaker cannot do."""

    error_name = "Mlops.DeploymentPlanInvalid"
    exit_code = 2


def traffic_shifts(deployment: DeploymentConfig) -> list[int]:
    """The share of traffic (percent) on the new fleet after each shift, ending at 100."""
    if deployment.strategy is DeploymentStrategy.ALL_AT_ONCE:
        return [100]
    if deployment.strategy is DeploymentStrategy.CANARY:
        return [deployment.canary_size_percent, 100]
    step = deployment.linear_step_percent
    return [min(step * i, 100) for i in range(1, math.ceil(100 / step) + 1)]


def baking_seconds(deployment: DeploymentConfig) -> int:
    """How long the alarms watch in all: one bake after every shift."""
    return deployment.bake_time_seconds * len(traffic_shifts(deployment))


def deployment_config(
    deployment: DeploymentConfig, alarm_names: Sequence[str], *, termination_wait_seconds: int = 0
) -> dict[str, Any]:
    if not 0 <= termination_wait_seconds <= MAX_TERMINATION_WAIT:
        raise DeploymentPlanError(
            f"termination wait must be 0-{MAX_TERMINATION_WAIT} s, not {termination_wait_seconds}"
        )
    routing: dict[str, Any] = {
        "Type": deployment.strategy.name,  # CANARY | LINEAR | ALL_AT_ONCE
        "WaitIntervalInSeconds": deployment.bake_time_seconds,
    }
    if deployment.strategy is DeploymentStrategy.CANARY:
        routing["CanarySize"] = {"Type": "CAPACITY_PERCENT", "Value": deployment.canary_size_percent}
    elif deployment.strategy is DeploymentStrategy.LINEAR:
        routing["LinearStepSize"] = {"Type": "CAPACITY_PERCENT", "Value": deployment.linear_step_percent}
    needed = baking_seconds(deployment) + termination_wait_seconds + PROVISIONING_ALLOWANCE
    if needed - PROVISIONING_ALLOWANCE > MAX_EXECUTION_TIMEOUT:
        raise DeploymentPlanError(
            f"{deployment.strategy.value} with {len(traffic_shifts(deployment))} shifts of "
            f"{deployment.bake_time_seconds} s bakes {baking_seconds(deployment)} s, over SageMaker's "
            f"{MAX_EXECUTION_TIMEOUT} s limit for one deployment: shorten deployment.bake_time_seconds "
            "or take larger steps"
        )
    config: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": termination_wait_seconds,
            "MaximumExecutionTimeoutInSeconds": min(max(needed, MIN_EXECUTION_TIMEOUT), MAX_EXECUTION_TIMEOUT),
        }
    }
    if alarm_names:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": name} for name in alarm_names]}
    return config


def data_capture_config(deployment: DeploymentConfig, destination_uri: str, kms_key_id: str) -> dict[str, Any]:
    """Capture requests and responses (the drift checks read them); off when the percentage is 0."""
    return {
        "EnableCapture": deployment.data_capture_percent > 0,
        "InitialSamplingPercentage": deployment.data_capture_percent,
        "DestinationS3Uri": destination_uri,
        "KmsKeyId": kms_key_id,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]},
    }
