"""Builds the deploy workflow's adapters from a handler's environment, at call time."""

from __future__ import annotations

import functools

import boto3
from pydantic import BaseModel

from mlops import runtime
from mlops.registry.model_packages import ModelPackages
from mlops.serving.adapters import Alarms, ExecutionStatus, Hosting
from mlops.serving.history import DeploymentHistory
from mlops.serving.planning import Planner


class RegistrySettings(BaseModel):
    registry_table: str


@functools.cache
def history() -> DeploymentHistory:
    return DeploymentHistory(boto3.client("dynamodb"), runtime.settings(RegistrySettings).registry_table)


@functools.cache
def hosting() -> Hosting:
    return Hosting(boto3.client("sagemaker"))


@functools.cache
def alarms() -> Alarms:
    return Alarms(boto3.client("cloudwatch"))


@functools.cache
def planner() -> Planner:
    return Planner(
        runtime.packaged_config(),
        ModelPackages(boto3.client("sagemaker")),
        hosting(),
        history(),
        ExecutionStatus(boto3.client("stepfunctions")).is_running,
    )
